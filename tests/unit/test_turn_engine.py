from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from kiosk.agent.turn import TurnEngine
from kiosk.store.catalog import Catalog
from kiosk.store.pack import load_store
from tests.fakes import Conversation, LoudnessVad, ScriptedStt, ToneTts

pytestmark = pytest.mark.unit


def _engine(mini_store_dir: Path, *lines: str) -> tuple[TurnEngine, ScriptedStt, ToneTts]:
    stt, tts = ScriptedStt(*lines), ToneTts()
    ticks = itertools.count()
    engine = TurnEngine(
        Catalog(load_store(mini_store_dir)),
        LoudnessVad(),
        stt,
        tts,
        clock=lambda: next(ticks) / 1000,
    )
    return engine, stt, tts


def test_a_local_turn_end_to_end(mini_store_dir: Path) -> None:
    engine, stt, tts = _engine(mini_store_dir, "Where can I find the AA batteries?")
    audio = Conversation(3).add_user_speech(0.5, 2.0).audio
    result = engine.run(audio)
    assert 1.4 < stt.heard[0] < 1.9  # trimmed to the speech, with padding
    assert stt.prompts[0] is not None and "duracell" in stt.prompts[0]
    assert result.to_json() == {
        "transcript": "Where can I find the AA batteries?",
        "route": "local",
        "reason": "locate: catalog match 'double a batteries' score 1.00",
        "product": {"sku": "0041333424019", "name": "Duracell AA batteries, 8 pack"},
        "shelf": "A5-L",
        "reply_text": "The Duracell AA batteries are in aisle 5, left side. They're 9.99.",
        "timings_ms": {"vad": 1.0, "stt": 1.0, "route": 1.0, "tts_first_audio": 1.0, "tts": 2.0},
    }
    assert " ".join(tts.spoken) == result.reply_text  # spoken sentence by sentence
    assert result.reply_rate == 22050 and len(result.reply_audio) > 0


def test_silence_gets_a_retry_prompt_without_calling_stt(mini_store_dir: Path) -> None:
    engine, stt, _ = _engine(mini_store_dir, "should not be used")
    result = engine.run(Conversation(2).audio)
    assert stt.heard == []
    assert result.decision.route == "fallback"
    assert result.reply_text.startswith("Sorry, I didn't catch that")
    assert result.to_json()["product"] is None


def test_open_question_with_cloud_off_is_an_honest_fallback(mini_store_dir: Path) -> None:
    engine, _, _ = _engine(mini_store_dir, "Is this sunscreen safe for a three year old?")
    result = engine.run(Conversation(3).add_user_speech(0.5, 2.5).audio)
    assert result.decision.route == "fallback"
    assert result.shelf is None
    assert "can't answer it here" in result.reply_text


def test_open_question_escalates_with_the_utterance(mini_store_dir: Path) -> None:
    from kiosk.agent.ports import CloudRequest
    from tests.fakes import ScriptedCloud

    engine, _, tts = _engine(mini_store_dir, "What wine goes well with salmon?")
    cloud = ScriptedCloud(("A crisp white, like a Sauvignon Blanc.", None))
    engine.cloud = cloud  # type: ignore[assignment]
    result = engine.run(Conversation(3).add_user_speech(0.5, 2.5).audio, ended_ns=123)
    assert result.decision.route == "cloud"
    assert result.reply_text.startswith("A crisp white")
    assert result.reply_rate == 24000 and tts.spoken == []
    [request] = cloud.requests
    assert isinstance(request, CloudRequest) and request.audio.size > 16000
    assert request.speech_ended_ns == 123  # the cloud's deadline counts from it
    assert result.timings_ms["cloud_first_audio"] == 12.0


def test_cloud_failure_becomes_an_honest_fallback(mini_store_dir: Path) -> None:
    from kiosk.agent.ports import CloudError
    from tests.fakes import ScriptedCloud

    engine, _, _ = _engine(mini_store_dir, "What wine goes well with salmon?")
    engine.cloud = ScriptedCloud(fail_with=CloudError("socket dropped"))  # type: ignore[assignment]
    result = engine.run(Conversation(3).add_user_speech(0.5, 2.5).audio)
    assert result.decision.route == "fallback"
    assert result.decision.reason.endswith("cloud failed")
    assert "service desk" in result.reply_text


def test_cloud_down_is_not_asked(mini_store_dir: Path) -> None:
    from tests.fakes import ScriptedCloud

    engine, _, _ = _engine(mini_store_dir, "What wine goes well with salmon?")
    cloud = ScriptedCloud()
    cloud.up = False
    engine.cloud = cloud  # type: ignore[assignment]
    result = engine.run(Conversation(3).add_user_speech(0.5, 2.5).audio)
    assert result.decision.route == "fallback" and cloud.requests == []


def test_the_cloud_deadline_counts_from_the_end_of_speech() -> None:
    from kiosk.cloud.client import LiveSettings, reply_deadline

    settings = LiveSettings(reply_timeout_s=2.4, min_reply_window_s=0.6)
    second = 1_000_000_000
    escalated = 100 * second
    # Recognition took 1 s: 1.4 s of the window is left.
    assert reply_deadline(settings, escalated - second, escalated) == 101.4
    # Not known: the whole window from the escalation.
    assert reply_deadline(settings, None, escalated) == 102.4
    # Recognition took longer than the window: the cloud still gets its minimum.
    assert reply_deadline(settings, escalated - 5 * second, escalated) == 100.6
    # A clock that disagrees (end of speech after the escalation) is not trusted.
    assert reply_deadline(settings, escalated + second, escalated) == 102.4
