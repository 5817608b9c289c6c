"""The audio stage's pure parts: timeline, residual gate, play queue, front end, features,
speculative STT, resilient devices. No models, no sound devices."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest

from edge.audio_io import (
    BLOCK_MS,
    AudioBlock,
    AudioDeviceError,
    FileMic,
    ResilientMic,
)
from edge.echo import FRAME, GateOptions, ResidualGate, erle_db
from edge.listen import AudioFrontEnd, HeardWindow
from edge.playback import PlayQueue, ResilientSpeaker
from edge.room import EchoMic, EchoPath, EchoPathOptions
from edge.stt import SpeculativeStt, Transcript
from edge.timeline import PlaybackTimeline
from edge.tts import split_for_speech
from edge.turn_detect import N_FRAMES, N_MELS, fit_window, log_mel_features, mel_filters
from kiosk.conversation import speech_over_reply
from tests.fakes import LoudnessVad, ScriptedStt

pytestmark = pytest.mark.unit
RATE = 16000
SEC = 1_000_000_000


def tone(seconds: float, hz: float = 440.0, level: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (np.sin(2 * np.pi * hz * t) * level).astype(np.float32)


# --- timeline ------------------------------------------------------------------------------
def test_the_timeline_returns_what_played_at_a_time_and_silence_elsewhere() -> None:
    timeline = PlaybackTimeline(seconds=1.0)
    played = tone(0.25)
    timeline.write(played, 10 * SEC)
    assert np.array_equal(timeline.read(10 * SEC, len(played)), played)
    assert not timeline.read(9 * SEC, 800).any()  # before anything played
    assert not timeline.read(11 * SEC, 800).any()  # after it ended
    half = timeline.read(10 * SEC + SEC // 8, 4000)  # the second half, then silence
    assert np.array_equal(half[:2000], played[2000:]) and not half[2000:].any()


def test_the_timeline_wraps_and_forgets_what_is_too_old() -> None:
    timeline = PlaybackTimeline(seconds=0.5)
    for k in range(6):  # 1.5 s of blocks through a 0.5 s ring
        timeline.write(np.full(RATE // 4, k + 1, np.float32), k * SEC // 4)
    assert not timeline.read(0, 100).any()  # overwritten
    assert (timeline.read(5 * SEC // 4, 100) == 6).all()
    assert (timeline.read(4 * SEC // 4 + SEC // 8, 4000)[:2000] == 5).all()


def test_a_gap_between_replies_reads_as_silence() -> None:
    timeline = PlaybackTimeline(seconds=4.0)
    timeline.write(np.ones(1600, np.float32), 0)
    timeline.write(np.ones(1600, np.float32), 2 * SEC)
    assert not timeline.read(SEC, 1600).any()


# --- echo path and residual gate -----------------------------------------------------------
def test_the_simulated_echo_is_late_and_quieter() -> None:
    path = EchoPath(EchoPathOptions(delay_ms=50, gain_db=-6))
    played = np.random.default_rng(0).standard_normal(RATE).astype(np.float32) * 0.1
    echo = path.apply(played)
    assert not echo[: int(0.05 * RATE)].any()
    assert 4 < erle_db(played, echo) < 8


def test_the_echo_at_a_time_comes_from_the_timeline() -> None:
    path = EchoPath()
    timeline = PlaybackTimeline()
    played = tone(1.0)
    timeline.write(played, 5 * SEC)
    whole = path.apply(played)
    piece = path.echo_at(timeline, 5 * SEC + SEC // 2, 512)
    assert np.allclose(piece, whole[8000 : 8000 + 512], atol=1e-4)


class OneBlockMic:
    """A microphone that delivers one block, captured at `at_ns`."""

    realtime = False

    def __init__(self, samples: np.ndarray, at_ns: int) -> None:
        self._block = AudioBlock(samples, at_ns)

    def blocks(self) -> Iterator[AudioBlock]:
        yield self._block

    def drain(self) -> None:
        pass

    def close(self) -> None:
        pass


def test_the_simulated_room_echoes_what_a_late_speaker_thread_records_afterwards() -> None:
    """The echo of a block is built once the speaker has recorded up to the block's end, even
    when its thread writes late: the room never contradicts the cancellers' reference."""
    path = EchoPath(EchoPathOptions(delay_ms=20))
    timeline = PlaybackTimeline()
    played = tone(1.0)
    timeline.write(played[: RATE // 2], 5 * SEC)
    mic = EchoMic(OneBlockMic(np.zeros(512, np.float32), 5 * SEC + SEC // 2), timeline, path)
    late = threading.Timer(0.05, timeline.write, (played[RATE // 2 :], 5 * SEC + SEC // 2))
    late.start()
    (block,) = list(mic.blocks())
    late.join()
    assert np.allclose(block.samples, path.apply(played)[8000 : 8000 + 512], atol=1e-4)


def test_the_gate_closes_on_echo_residue_and_opens_for_double_talk() -> None:
    reference = tone(0.5)
    mic = reference * 0.5
    residue = mic * 0.01  # the canceller removed 40 dB: only echo was there
    gated = ResidualGate().process(mic, residue, reference)
    assert erle_db(residue, gated) > 30
    talk = tone(0.5, hz=220, level=0.2)  # the shopper talks: cancellation removes little
    kept = ResidualGate().process(mic + talk, talk, reference)
    assert np.allclose(kept, talk)
    silent_speaker = ResidualGate().process(mic, residue, np.zeros_like(reference))
    assert np.allclose(silent_speaker, residue)


# --- play queue ---------------------------------------------------------------------------
def test_the_queue_plays_in_order_and_clear_drops_the_rest_at_once() -> None:
    queue = PlayQueue(rate=48000)
    first = queue.put((tone(0.2) * 32767).astype(np.int16), 16000)
    second = queue.put(tone(0.2), 16000)
    out, ref = queue.pull(4800, now_ns=1000, ref_n=1600)  # 100 ms at 48 kHz
    assert out.any() and len(ref) == 1600 and ref.any()
    assert first.started_ns == 1000 and not first.done
    assert abs(queue.pending_s() - 0.3) < 0.01
    dropped = queue.clear()
    assert abs(dropped - 0.3) < 0.01
    assert first.cut and second.cut and first.finished.is_set()
    out, ref = queue.pull(4800, now_ns=2000, ref_n=1600)
    assert not out.any() and not ref.any()  # the very next block is silence


def test_a_hold_plays_silence_and_keeps_the_reply_until_released_or_cleared() -> None:
    queue = PlayQueue(rate=16000)
    handle = queue.put(tone(0.2), 16000)
    queue.pull(160, now_ns=0, ref_n=160)
    queue.hold(60.0)
    out, ref = queue.pull(160, now_ns=1, ref_n=160)
    assert not out.any() and not ref.any()  # silent, and no echo reference either
    assert abs(queue.pending_s() - 0.19) < 1e-3 and not handle.cut  # nothing dropped
    queue.release()
    out, _ = queue.pull(160, now_ns=2, ref_n=160)
    assert out.any() and abs(handle.played_s - 0.02) < 1e-3  # it goes on where it paused
    queue.hold(60.0)
    queue.clear()
    later = queue.put(tone(0.1), 16000)
    assert (
        queue.pull(160, now_ns=3, ref_n=160)[0].any() and later.started_ns == 3
    )  # a clear ends a hold


def test_a_reply_that_plays_to_the_end_is_done_not_cut() -> None:
    queue = PlayQueue(rate=16000)
    handle = queue.put(tone(0.1), 16000)
    for i in range(12):
        queue.pull(160, now_ns=i, ref_n=160)
    assert handle.done and not handle.cut and abs(handle.played_s - 0.1) < 1e-3


def test_a_missing_speaker_drops_replies_reports_once_and_comes_back() -> None:
    now = [0.0]
    reports: list[tuple[bool, str]] = []
    attempts = [0]

    class Fake:
        name, output_latency_s, alive = "USB", 0.01, True

        def __init__(self, timeline: PlaybackTimeline) -> None:
            self.queue = PlayQueue(16000)

        def play(self, samples: np.ndarray, rate: int):  # type: ignore[no-untyped-def]
            return self.queue.put(samples, rate)

        def clear(self) -> float:
            return self.queue.clear()

        def pending_s(self) -> float:
            return self.queue.pending_s()

        def close(self) -> None:
            self.alive = False

    def open_speaker(timeline: PlaybackTimeline) -> Fake:
        attempts[0] += 1
        if now[0] < 10:
            raise AudioDeviceError("output device 'USB' not found")
        return Fake(timeline)

    speaker = ResilientSpeaker(
        open_speaker, lambda ok, d: reports.append((ok, d)), clock=lambda: now[0]
    )  # type: ignore[arg-type]
    handle = speaker.play(tone(0.1), 16000)  # into silence, in real time
    assert speaker.dropped == 1 and handle.finished.wait(5) and not handle.cut
    for _ in range(5):
        speaker.play(tone(0.1), 16000)  # backoff: not retried on every reply
    assert attempts[0] == 1 and reports == [(False, "output device 'USB' not found")]
    assert speaker.pending_s() > 0 and speaker.clear() > 0
    now[0] = 11
    handle = speaker.play(tone(0.1), 16000)
    assert not handle.cut and reports[-1][0] is True and speaker.name == "USB"
    assert isinstance(speaker.timeline, PlaybackTimeline)
    speaker.close()


# --- microphones --------------------------------------------------------------------------
def test_a_resilient_mic_reopens_after_unplugging_and_reports_it() -> None:
    plan = ["ok", "fail", "fail", "ok"]
    reports: list[bool] = []
    waits: list[float] = []

    class Flaky:
        name = "USB mic"

        def __init__(self, behaviour: str) -> None:
            self.behaviour = behaviour

        def blocks(self) -> Iterator[AudioBlock]:
            if self.behaviour == "fail":
                raise AudioDeviceError("input device 'USB mic' not found")
            yield AudioBlock(np.zeros(512, np.float32), 0)
            raise AudioDeviceError("input device 'USB mic' stopped")

        def drain(self) -> None: ...

        def close(self) -> None: ...

    def open_mic() -> Flaky:
        return Flaky(plan.pop(0) if plan else "stop")

    mic = ResilientMic(open_mic, lambda ok, d: reports.append(ok), sleep=waits.append)
    got = []
    for block in mic.blocks():
        got.append(block)
        if len(got) == 2:
            mic.close()
            break
    assert len(got) == 2
    assert reports == [False, True]  # lost once (three failures), back once
    assert waits == [0.5, 1.0, 2.0]  # exponential backoff


def test_a_file_mic_delivers_stamped_blocks_and_loops() -> None:
    mic = FileMic.from_samples(tone(0.1), realtime=False, loop=True)
    blocks = []
    for block in mic.blocks():
        blocks.append(block)
        if len(blocks) == 8:
            mic.close()
    assert len(blocks) == 8
    step = blocks[1].captured_ns - blocks[0].captured_ns
    assert step == BLOCK_MS * 1_000_000 and len(blocks[0].samples) == RATE * BLOCK_MS // 1000


# --- front end ----------------------------------------------------------------------------
def test_the_front_end_makes_bad_input_harmless() -> None:
    front = AudioFrontEnd(LoudnessVad())
    bad = np.full(4096, 0.5, np.float32)  # a DC offset
    bad[10] = np.nan
    bad[20] = np.inf
    bad[30:40] = 7.0  # clipped far beyond full scale
    windows = front.feed(AudioBlock(bad, 0))
    windows += front.feed(AudioBlock(np.zeros(100, np.float32), 4096 * SEC // RATE))
    assert windows and all(np.isfinite(w.samples).all() for w in windows)
    assert all(np.abs(w.samples).max() <= 2.0 for w in windows)
    assert abs(float(windows[-1].samples.mean())) < 0.1  # the offset is gone
    assert front.feed(AudioBlock(np.zeros(0, np.float32), 0)) == []


def test_the_front_end_stamps_windows_continuously_and_resyncs_after_a_gap() -> None:
    front = AudioFrontEnd(LoudnessVad())
    stamps = []
    for k in range(10):  # 300-sample blocks: windows straddle blocks
        stamps += [
            w.stamp_ns for w in front.feed(AudioBlock(tone(300 / RATE), k * 300 * SEC // RATE))
        ]
    steps = np.diff(stamps)
    assert np.all(np.abs(steps - 512 * SEC // RATE) < 1000)
    later = front.feed(AudioBlock(tone(0.1), 60 * SEC))
    assert later[0].stamp_ns == 60 * SEC


class PassThrough:
    """A canceller that removes nothing."""

    def process(self, mic: np.ndarray, reference: np.ndarray) -> np.ndarray:
        return mic


def test_the_barge_in_stream_hears_what_the_residual_gate_closed_on() -> None:
    timeline = PlaybackTimeline()
    timeline.write(tone(1.0), SEC)
    always_closed = ResidualGate(GateOptions(removed_db=-100.0, hangover_frames=0))
    front = AudioFrontEnd(
        LoudnessVad(), PassThrough(), timeline, always_closed, barge_vad=LoudnessVad()
    )
    windows = front.feed(AudioBlock(tone(0.5), SEC))
    assert windows and all(w.playing for w in windows)
    assert all(w.probability == 0.0 and w.ungated_probability == 1.0 for w in windows)
    assert all(w.ungated_dbfs > w.rms_dbfs + 30 for w in windows)
    plain = AudioFrontEnd(LoudnessVad()).feed(AudioBlock(tone(0.5), SEC))
    assert all(w.ungated_probability == w.probability for w in plain)  # one stream: the same


def test_speech_over_the_reply_counts_in_either_stream_when_loud_enough() -> None:
    loud = tone(0.032)  # one window, about -13 dBFS
    gated_shut = HeardWindow(loud, 0.0, 0, True, -70.0, ungated_probability=0.9)
    assert speech_over_reply(gated_shut, 0.6, -45.0)
    both_quiet = HeardWindow(loud, 0.1, 0, True, -23.0, ungated_probability=0.2)
    assert not speech_over_reply(both_quiet, 0.6, -45.0)
    far_away = HeardWindow(loud * 0.001, 0.0, 0, True, -90.0, ungated_probability=0.9)
    assert not speech_over_reply(far_away, 0.6, -45.0)  # chatter across the store


def test_the_front_end_knows_when_the_speaker_was_playing() -> None:
    timeline = PlaybackTimeline()
    timeline.write(tone(0.1), SEC)
    front = AudioFrontEnd(LoudnessVad(), None, timeline)
    playing = [w.playing for w in front.feed(AudioBlock(np.zeros(8000, np.float32), SEC))]
    assert playing[0] and playing[2] and not playing[-1]


# --- Smart Turn features -------------------------------------------------------------------
def test_log_mel_features_have_whispers_shape_and_range() -> None:
    features = log_mel_features(tone(1.0, hz=1000))
    assert features.shape == (N_MELS, N_FRAMES) and features.dtype == np.float32
    assert features.max() <= 2.5 and features.min() >= features.max() - 2.0 - 1e-6
    band = int(np.argmax(features[:, -10]))  # the tone is at the end of the 8 s window
    peak_filter = int(np.argmax(mel_filters()[:, round(1000 / 8000 * 200)]))
    assert abs(band - peak_filter) <= 1


def test_short_audio_is_padded_at_the_front_and_long_audio_keeps_its_end() -> None:
    assert len(fit_window(tone(1.0))) == 8 * RATE and not fit_window(tone(1.0))[:RATE].any()
    long = np.arange(10 * RATE, dtype=np.float32)
    assert fit_window(long)[-1] == long[-1] and len(fit_window(long)) == 8 * RATE
    assert np.isfinite(log_mel_features(np.zeros(RATE, np.float32))).all()  # silence


# --- speculative STT, clauses --------------------------------------------------------------
def test_a_speculative_transcript_is_reused_for_the_same_audio_only() -> None:
    stt = ScriptedStt("where is the milk", "something else")
    speculative = SpeculativeStt(stt)
    audio = tone(1.0)
    speculative.start(audio, prompt=None).result()
    assert speculative.transcribe(audio.copy()).text == "where is the milk"
    assert speculative.hits == 1 and len(stt.heard) == 1
    assert speculative.transcribe(audio[:-1]).text == "something else"  # other audio: decoded
    assert speculative.misses == 1
    speculative.close()


def test_a_peeked_transcript_is_decoded_once_and_left_for_the_turn() -> None:
    stt = ScriptedStt("aisle 5, left side", "something else")
    speculative = SpeculativeStt(stt)
    audio = tone(1.0)
    assert speculative.peek(audio).text == "aisle 5, left side"
    assert speculative.transcribe(audio.copy()).text == "aisle 5, left side"
    assert speculative.hits == 1 and len(stt.heard) == 1
    speculative.close()


def test_a_decode_cancelled_before_it_started_is_made_again_when_asked_for() -> None:
    release = threading.Event()

    class Busy(ScriptedStt):
        def transcribe(self, audio: np.ndarray, prompt: str | None = None) -> Transcript:
            release.wait(5.0)
            return super().transcribe(audio, prompt)

    stt = Busy("the first utterance", "where is the milk")
    speculative = SpeculativeStt(stt)
    speculative.start(tone(0.5))  # keeps the single worker busy
    audio = tone(1.0)
    assert speculative.start(audio).cancel()  # not started: newer audio made it moot
    release.set()
    assert speculative.peek(audio).text == "where is the milk"
    speculative.close()


def test_the_first_clause_of_a_reply_is_spoken_on_its_own() -> None:
    reply = "The batteries are in aisle 5, left side. They're 9.99."
    assert split_for_speech(reply) == [
        "The batteries are in aisle 5,",
        "left side.",
        "They're 9.99.",
    ]
    assert split_for_speech("Yes, aisle 5.") == ["Yes, aisle 5."]  # too short to split
    assert split_for_speech("The whole milk is in the dairy cooler on the back wall. $4.") == [
        "The whole milk is",
        "in the dairy cooler on the back wall.",
        "$4.",
    ]
    long_first = "The Pearl Milling Company pancake mix is in aisle 1, right side."
    assert split_for_speech(long_first) == [
        "The Pearl Milling Company pancake mix is",
        "in aisle 1,",
        "right side.",
    ]
    assert split_for_speech("Sorry, we do not sell anything like that here.") == [
        "Sorry, we do not sell anything like that here."
    ]  # "Sorry," is too short a clause, and the sentence has no preposition to pause at
    assert split_for_speech("") == []


def test_frames_are_ten_milliseconds() -> None:
    assert FRAME == RATE // 100
