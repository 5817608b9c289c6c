from __future__ import annotations

import numpy as np
import pytest

from edge.endpoint import UtteranceSegmenter
from edge.vad import WINDOW, VadOptions
from tests.fakes import Conversation, LoudnessVad

pytestmark = pytest.mark.unit
WINDOW_NS = WINDOW * 1_000_000_000 // 16000


def _run(audio: np.ndarray, segmenter: UtteranceSegmenter):  # type: ignore[no-untyped-def]
    vad = LoudnessVad()
    out = []
    for i in range(len(audio) // WINDOW):
        window = audio[i * WINDOW : (i + 1) * WINDOW]
        utterance = segmenter.push(window, float(vad.process(window)[0]), i * WINDOW_NS)
        if utterance:
            out.append(utterance)
    return out


def test_two_questions_make_two_utterances() -> None:
    talk = Conversation(10).add_user_speech(1.0, 2.5).add_user_speech(5.0, 6.0)
    found = _run(talk.audio, UtteranceSegmenter(VadOptions(min_silence_ms=500)))
    assert len(found) == 2
    assert abs(found[0].end_ns / 1e9 - 2.5) < 0.05
    assert abs(found[1].start_ns / 1e9 - 5.0) < 0.25
    assert not found[0].cut


def test_a_pause_shorter_than_the_silence_rule_does_not_cut() -> None:
    talk = Conversation(6).add_user_speech(1.0, 2.0).add_user_speech(2.3, 3.0)
    found = _run(talk.audio, UtteranceSegmenter(VadOptions(min_silence_ms=500)))
    assert len(found) == 1
    assert abs(found[0].end_ns / 1e9 - 3.0) < 0.05


def test_a_click_is_not_speech() -> None:
    talk = Conversation(4).add_user_speech(1.0, 1.05)
    assert _run(talk.audio, UtteranceSegmenter(VadOptions(min_speech_ms=150))) == []


def test_a_monologue_is_cut_at_the_maximum_turn_length() -> None:
    talk = Conversation(70).add_user_speech(0.5, 69.0)
    found = _run(talk.audio, UtteranceSegmenter(VadOptions(), max_turn_s=20))
    assert found[0].cut
    assert 19.5 < len(found[0].audio) / 16000 < 20.5


def test_wrong_window_size_is_refused() -> None:
    with pytest.raises(ValueError, match="512 samples"):
        UtteranceSegmenter(VadOptions()).push(np.zeros(100, np.float32), 0.0, 0)
