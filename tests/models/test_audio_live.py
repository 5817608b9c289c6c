"""The audio stage on the real models: Smart Turn, the end-of-turn policy on paused questions,
echo cancellation, barge-in in the live loop, and `kiosk run --headless` holding a two-turn
conversation with a barge-in. Live tests run in real time; they assert behaviour, not speed."""

from __future__ import annotations

import copy
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from edge.echo import ResidualGate, WebRtcEchoCanceller
from edge.eot import SmartEndpoint
from edge.linear_echo import LinearEchoCanceller
from edge.playback import VirtualSpeaker
from edge.room import EchoMic, EchoPath, ScriptedShopper
from edge.turn_detect import SmartTurn
from edge.vad import SileroVad
from edge.wav import read_wav, write_wav
from kiosk.bench import double_talk, turn_eval
from kiosk.bench.audio import RealTurnModels
from kiosk.config import load_config
from kiosk.conversation import ConversationLoop
from kiosk.events import Event, ReplyProgress
from kiosk.models import ModelCache
from kiosk.runtime import Runtime, build_runtime
from tests.conftest import SPEECH

pytestmark = pytest.mark.models
AA = SPEECH / "local_aa_batteries__piper_en-US-joe-medium_x100.wav"
TAPE = SPEECH / "local_duct_tape__espeak-ng_en-us-m3_170wpm.wav"


@pytest.fixture(scope="module")
def runtime(model_cache: ModelCache) -> Runtime:
    return build_runtime(load_config(None, use_env=False), cloud_mode="off")


def test_smart_turn_hears_a_finished_question_and_a_hesitation(runtime: Runtime) -> None:
    model = SmartTurn(runtime.models.require_file("smart-turn-v3"))
    finished = read_wav(AA)[: -int(0.2 * 16000)]  # the question and 200 ms of silence
    assert model.probability(finished) > 0.5
    item = next(
        i for i in turn_eval.pause_items() if i.name.startswith("pause_00_batteries__piper")
    )
    spans = item.audio[: int((item.last_piece_s - 0.5) * 16000)]  # "Where are the, um," + 0.3 s
    assert model.probability(spans) < 0.5


@pytest.mark.parametrize(
    "name",
    [
        "pause_11_paper_towels__piper-joe-2st-x110.wav",  # "I need some, um, paper towels."
        "pause_01_double_a_batteries__espeak-en-gb-m7-140.wav",
    ],
)
def test_a_pause_inside_the_sentence_does_not_end_the_turn(runtime: Runtime, name: str) -> None:
    item = next(i for i in turn_eval.pause_items() if i.name == name)
    assert max(item.pauses_s) > 0.8
    models = turn_eval.CachedModels(RealTurnModels(runtime))
    probs = models.vad(item)
    kiosk = turn_eval.simulate(SmartEndpoint(), item, probs, models, "none")
    silence = turn_eval.simulate(turn_eval.POLICIES["silence_800ms"](), item, probs, models, "none")
    assert silence.cut_off  # the plain 800 ms rule answers half a question
    assert not kiosk.cut_off and kiosk.decided_s is not None
    assert kiosk.decided_s - item.speech_end_s < 1.0  # and the real end is still found


def test_echo_alone_does_not_reach_the_vad(runtime: Runtime) -> None:
    """The kiosk's voice (committed Piper speech, so the run is repeatable) comes back through a
    simulated room; after cancellation and the gate the VAD never hears a turn in it."""
    files = sorted(SPEECH.glob("*piper*.wav"))
    far = np.concatenate([read_wav(f) for f in files]) * 0.8
    far = far[: len(far) - len(far) % 160]
    echo = EchoPath().apply(far)
    vad = SileroVad(runtime.models.require_file("silero-vad"))
    raw = vad.probabilities(echo)
    assert (raw > 0.5).sum() > 50  # without cancellation it is "speech"
    cleaned = WebRtcEchoCanceller().process(echo, far)
    vad.reset()
    heard = vad.probabilities(ResidualGate().process(echo, cleaned, far))
    assert (heard > 0.5).sum() < 5  # shorter than the shortest turn (150 ms)
    runs = np.convolve(heard >= 0.6, np.ones(2), mode="valid")
    assert not (runs >= 2).any()  # and never the two windows a barge-in needs


def _live(
    runtime: Runtime, questions: list[np.ndarray], linear: LinearEchoCanceller | None = None
) -> tuple[ConversationLoop, VirtualSpeaker, list[Event]]:
    """A simulated shopper asks; each next question starts 1 s into the kiosk's answer; the
    kiosk hears its own voice through a simulated room. `linear`: the double-talk detector's
    canceller, converged on that room (None: a fresh one, as on the first reply after start)."""
    speaker = VirtualSpeaker()
    holder: list[ScriptedShopper] = []

    def answering_since(t_ns: int) -> bool:
        last = holder[0].onsets_ns[-1] if holder[0].onsets_ns else 0
        return any(last < h.started_ns <= t_ns for h in list(speaker.handles))

    shopper = ScriptedShopper(questions, answering_since, tail_s=7.0)
    holder.append(shopper)
    events: list[Event] = []
    loop = ConversationLoop(
        runtime.engine,
        SileroVad(runtime.models.require_file("silero-vad")),
        SmartEndpoint(),
        EchoMic(shopper, speaker.timeline, EchoPath()),
        speaker,
        events.append,
        max_turns=len(questions),
        turn_model=SmartTurn(runtime.models.require_file("smart-turn-v3")),
        echo=WebRtcEchoCanceller(),
        gate=ResidualGate(),
        linear_echo=linear,
    )
    runner = threading.Thread(target=loop.run, args=(threading.Event(),), daemon=True)
    runner.start()
    runner.join(timeout=120)
    speaker.close()
    assert not runner.is_alive()
    return loop, speaker, events


def test_the_kiosk_does_not_answer_its_own_voice(runtime: Runtime) -> None:
    loop, speaker, events = _live(runtime, [read_wav(AA)])
    assert [r.shelf.id if r.shelf else None for r in loop.results] == ["A5-L"]
    assert loop.stats.barge_ins == 0
    assert not any(h.cut for h in speaker.handles)  # the whole reply played, over its own echo
    done = [e for e in events if isinstance(e, ReplyProgress) and e.done]
    assert [e.interrupted for e in done] == [False]


def test_talking_over_the_kiosk_stops_it_and_is_answered(runtime: Runtime) -> None:
    loop, _, events = _live(runtime, [read_wav(AA), read_wav(TAPE)])
    assert loop.stats.barge_ins == 1
    assert len(loop.results) == 2 and loop.results[0].shelf is not None
    assert loop.results[0].shelf.id == "A5-L"
    # the second question was heard over the kiosk's voice and answered as a turn of its own
    # (how well it is transcribed depends on the canceller's double-talk handling)
    assert loop.results[1].transcript.strip()
    done = [e for e in events if isinstance(e, ReplyProgress) and e.done]
    assert [e.interrupted for e in done] == [True, False]
    assert done[0].played_s < done[0].total_s - 1.0


def test_kiosk_run_headless_holds_a_conversation_with_a_barge_in(
    model_cache: ModelCache, tmp_path: Path
) -> None:
    """A file mic and the virtual speaker: the shopper asks an open question (its honest
    fallback answer lasts over 6 s), then talks over the answer to ask for the duct tape."""
    rate = 16000
    audio = np.random.default_rng(0).standard_normal(rate * 20).astype(np.float32) * 1e-3
    first, second = (
        read_wav(SPEECH / "open_sunscreen__piper_en-US-joe-medium_x100.wav"),
        read_wav(TAPE),
    )
    audio[rate : rate + len(first)] += first
    at = int(9.5 * rate)  # the answer is playing by then, on a fast machine or a busy one
    audio[at : at + len(second)] += second
    mic_file, out = tmp_path / "shopper.wav", tmp_path / "kiosk.wav"
    write_wav(mic_file, (audio * 32767).astype(np.int16), rate)
    env = {
        "KIOSK_CLOUD__MODE": "off",
        "KIOSK_TELEMETRY__STATE_DIR": str(tmp_path / "state"),
        "QT_QPA_PLATFORM": "offscreen",
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk",
            "run",
            "--headless",
            "--mic-file",
            str(mic_file),
            "--speaker-file",
            str(out),
            "--turns",
            "2",
            "--control-socket",
            str(tmp_path / "control.sock"),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    replies = [line for line in done.stdout.splitlines() if line.startswith("kiosk: [")]
    assert len(replies) == 2, done.stdout
    assert replies[0].startswith("kiosk: [fallback]"), done.stdout
    assert "shelf H2-R" in replies[1], done.stdout
    assert "kiosk: barge-in: reply stopped" in done.stdout, done.stdout
    played = read_wav(out)
    assert np.abs(played).max() > 0.05 and len(played) / rate > 3.0


def test_a_kiosk_that_has_learned_its_room_holds_on_the_shopper_s_first_words(
    runtime: Runtime,
) -> None:
    """Once the linear canceller has converged, the detector holds the speaker on what it
    leaves, before Silero is sure of the speech; nobody talking over it holds nothing."""
    room = double_talk.converged(EchoPath(), SPEECH)
    alone, speaker, _ = _live(runtime, [read_wav(AA)], copy.deepcopy(room))
    assert alone.stats.barge_in_held == 0 and not any(h.cut for h in speaker.handles)
    loop, _, events = _live(runtime, [read_wav(AA), read_wav(TAPE)], copy.deepcopy(room))
    # a hold can lapse in a pause between the shopper's words and the reply resume until the
    # next word holds it again (real time decides where the pauses fall): one barge-in, and
    # the detector started the holds
    assert loop.stats.barge_ins == 1 and loop.stats.held_by_double_talk >= 1
    assert len(loop.results) == 2 and loop.results[1].transcript.strip()
    done = [e for e in events if isinstance(e, ReplyProgress) and e.done]
    assert [e.interrupted for e in done] == [True, False]
