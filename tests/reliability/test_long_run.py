"""What a kiosk that runs for months must not do: keep every turn. The live loop, with
hand-written fakes and a file read at full speed, answers more questions than it keeps."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from kiosk.agent.turn import TurnEngine
from kiosk.conversation import KEEP_RESULTS
from kiosk.events import Event, TurnCompleted
from kiosk.store.catalog import Catalog
from kiosk.store.pack import load_store
from tests.fakes import Conversation, LoudnessVad, ScriptedStt, ToneTts, lock_step_loop

pytestmark = pytest.mark.unit


def test_a_loop_that_runs_on_keeps_only_its_recent_turns(mini_store_dir: Path) -> None:
    questions = KEEP_RESULTS + 8
    talk = Conversation(questions * 2.0 + 1.0)
    for i in range(questions):
        talk.add_user_speech(0.5 + 2.0 * i, 1.3 + 2.0 * i)
    stt = ScriptedStt(*["Where can I find the AA batteries?"] * questions)
    engine = TurnEngine(
        Catalog(load_store(mini_store_dir)), LoudnessVad(), stt, ToneTts(), bias_stt=False
    )
    events: list[Event] = []
    loop = lock_step_loop(engine, talk.audio, events.append)
    loop.run(threading.Event())
    assert sum(isinstance(e, TurnCompleted) for e in events) == questions
    assert loop.turns_done == questions
    assert len(loop.results) == KEEP_RESULTS, "older turns (and their reply audio) are let go"
