from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from edge.audio_io import AudioDeviceError, RecordingSpeaker
from edge.stt import Transcript
from kiosk.agent.turn import TurnEngine, TurnResult
from kiosk.events import (
    DeviceStatus,
    Event,
    PointToShelf,
    ReplyStarted,
    StatusChanged,
    TurnCompleted,
    UserSaid,
)
from kiosk.store.catalog import Catalog
from kiosk.store.pack import load_store
from kiosk.text_questions import MAX_CHARS, TextQuestions
from tests.fakes import LoudnessVad, ScriptedStt, ToneTts

pytestmark = pytest.mark.unit


def _engine(mini_store_dir: Path) -> TurnEngine:
    return TurnEngine(Catalog(load_store(mini_store_dir)), LoudnessVad(), ScriptedStt(), ToneTts())


def test_a_typed_question_runs_the_local_answer_path_and_speaks(mini_store_dir: Path) -> None:
    events: list[Event] = []
    speaker = RecordingSpeaker()
    questions = TextQuestions(
        _engine(mini_store_dir), lambda r: speaker.play(r.reply_audio, r.reply_rate), events.append
    )
    result = questions.answer_now("batteries")
    questions.close()
    assert result.decision.route == "local" and result.shelf is not None
    reply = next(e for e in events if isinstance(e, ReplyStarted))
    assert reply.shelf_id == "A5-L" and reply.text == result.reply_text
    assert reply.audio_s == pytest.approx(len(result.reply_audio) / result.reply_rate)
    assert [type(e).__name__ for e in events] == [
        "StatusChanged",
        "UserSaid",
        "ReplyStarted",
        "PointToShelf",
        "StatusChanged",
        "TurnCompleted",
        "StatusChanged",
    ]
    done = next(e for e in events if isinstance(e, TurnCompleted))
    assert done.source == "touch" and done.shelf_id == "A5-L" and done.route == "local"
    assert events[1] == UserSaid("batteries", source="touch")
    assert PointToShelf("A5-L") in events
    assert [e.state for e in events if isinstance(e, StatusChanged)] == [
        "thinking",
        "speaking",
        "listening",
    ]
    assert len(speaker.played) == 1


def test_ask_returns_at_once_and_the_newest_waiting_question_wins(mini_store_dir: Path) -> None:
    gate = threading.Event()
    asked: list[str] = []
    real = _engine(mini_store_dir)

    class Gated:
        def answer(self, transcript: Transcript) -> TurnResult:
            asked.append(transcript.text)
            gate.wait(5)
            return real.answer(transcript)

    done = threading.Event()

    def sink(event: Event) -> None:
        if isinstance(event, StatusChanged) and event.state == "listening" and len(asked) > 1:
            done.set()

    questions = TextQuestions(Gated(), None, sink)
    assert questions.ask("milk")
    while not asked:  # the worker has taken "milk" and is stuck in the engine
        threading.Event().wait(0.01)
    assert questions.ask("  batteries  ")
    assert questions.ask("toothpaste")  # replaces "batteries", which never ran
    assert not questions.ask("   ")
    gate.set()
    assert done.wait(5)
    questions.close()
    assert asked == ["milk", "toothpaste"]


def test_long_text_is_cut(mini_store_dir: Path) -> None:
    events: list[Event] = []
    questions = TextQuestions(_engine(mini_store_dir), None, events.append)
    questions.ask("x" * 1000)
    questions.close()
    said = [e for e in events if isinstance(e, UserSaid)]
    assert said and len(said[0].text) == MAX_CHARS


def test_a_failing_turn_returns_to_listening_and_the_worker_survives(
    mini_store_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    events: list[Event] = []
    finished = threading.Event()

    class Broken:
        calls = 0

        def answer(self, transcript: Transcript) -> TurnResult:
            Broken.calls += 1
            if Broken.calls == 1:
                raise RuntimeError("model crashed")
            return _engine(mini_store_dir).answer(transcript)

    listening = threading.Event()

    def sink(event: Event) -> None:
        events.append(event)
        if event == StatusChanged("listening"):
            listening.set()
        if isinstance(event, ReplyStarted):
            finished.set()

    questions = TextQuestions(Broken(), None, sink)
    with caplog.at_level(logging.ERROR, logger="kiosk.text_questions"):
        questions.ask("my secret question")
        assert listening.wait(5)  # the failed turn hands the screen back
        questions.ask("batteries")
        assert finished.wait(5)
    questions.close()
    assert StatusChanged("listening") in events
    assert any("typed turn failed" in r.getMessage() for r in caplog.records)
    assert not any("secret" in r.getMessage() for r in caplog.records)  # no transcript in logs


def test_a_dead_speaker_is_reported_not_raised(mini_store_dir: Path) -> None:
    events: list[Event] = []

    def play(result: TurnResult) -> None:
        raise AudioDeviceError("output device 'USB': device unavailable")

    questions = TextQuestions(_engine(mini_store_dir), play, events.append)
    questions.answer_now("batteries")
    questions.close()
    down = [e for e in events if isinstance(e, DeviceStatus)]
    assert down == [DeviceStatus("speaker", False, "output device 'USB': device unavailable")]
    assert events[-1] == StatusChanged("listening")
