"""Two sound devices, two clocks, neither at its nominal rate: the sample clock, the front
end's time base and the playback timeline keep the echo canceller's reference on the echo."""

from __future__ import annotations

import numpy as np
import pytest

from edge.audio_io import AudioBlock
from edge.clock import DelayLockedLoop, SampleClock
from edge.linear_echo import LinearEchoCanceller
from edge.listen import AudioFrontEnd
from edge.timeline import PlaybackTimeline
from tests.fakes import LoudnessVad

pytestmark = pytest.mark.unit
RATE = 16000
SEC = 1_000_000_000


def test_the_sample_clock_ignores_late_bursty_callbacks_and_follows_lost_samples() -> None:
    clock = SampleClock(rate=1000)  # 1 ms per sample
    late = [0, 30, 5, 80, 10, 0, 45]  # each callback sees its block this late (ms)
    stamps = [clock.stamp((k * 100 + d) * 1_000_000, 100) for k, d in enumerate(late)]
    assert stamps == [k * 100 * 1_000_000 for k in range(7)]  # steady: 100 ms a block
    clock2 = SampleClock(rate=1000)
    clock2.stamp(50_000_000, 100)  # first seen late...
    assert clock2.stamp(100_000_000, 100) == 100_000_000  # ...an earlier sighting wins
    assert clock2.stamp(900_000_000, 100) == 900_000_000  # 700 ms of samples lost: resync


def test_after_an_underrun_the_sample_clock_anchors_on_what_follows() -> None:
    """A speaker that ran dry plays what follows later than its line says, by less than a
    resync: told of the underrun, the clock takes the next sighting as it is."""
    clock = SampleClock(rate=1000)
    for k in range(5):
        clock.stamp(k * 100 * 1_000_000, 100)
    assert clock.stamp(540_000_000, 100) == 500_000_000  # 40 ms later: taken for jitter
    clock.restart()
    assert clock.stamp(640_000_000, 100) == 640_000_000
    assert clock.stamp(760_000_000, 100) == 740_000_000  # and it holds to that line
    assert clock.time_of(600) == 640_000_000


@pytest.mark.parametrize("ppm", [550.0, -300.0])
def test_the_sample_clock_learns_a_device_that_runs_fast_or_slow(ppm: float) -> None:
    """PulseAudio's null sinks ran 550 ppm fast here; a cheap crystal can be slow."""
    rng = np.random.default_rng(1)
    clock = SampleClock(rate=44100)
    spacing = 1e9 / 44100 / (1 + ppm / 1e6)
    start, count, errors = 5 * SEC, 0, []
    while count < 60 * 44100:  # a minute of callbacks of 1-200 frames, seen 0-8 ms late
        frames = int(rng.integers(1, 200))
        truth = start + count * spacing
        stamped = clock.stamp(int(truth + rng.uniform(0, 8e6)), frames)
        errors.append(stamped - truth)
        count += frames
    assert abs(clock.ppm - ppm) < 20
    late = np.array(errors[len(errors) // 2 :])
    assert np.percentile(np.abs(late), 95) < 150_000  # 0.15 ms: 2.4 samples at 16 kHz
    assert abs(clock.time_of(count) - (start + count * spacing)) < 300_000


def test_an_underrun_late_in_a_run_keeps_the_rate_learned_before_it() -> None:
    """The play position jumps 40 ms at an underrun 25 s in; the device's rate does not. A
    clock that learned its rate again from the 5 s after it was 100 ppm off through PulseAudio."""
    rng = np.random.default_rng(4)  # relearnt from the 5 s after the jump: 300 ppm off
    clock = SampleClock(rate=44100)
    spacing = 1e9 / 44100 / (1 + 550 / 1e6)
    start, count, jump = 5 * SEC, 0, 0.0
    while count < 30 * 44100:
        frames = int(rng.integers(2048, 4410))  # 50-100 ms at a time, as PulseAudio delivers
        if jump == 0.0 and count >= 25 * 44100:
            jump = 40e6
            clock.restart()
        truth = start + count * spacing + jump
        stamped = clock.stamp(int(truth + rng.uniform(0, 8e6)), frames)
        count += frames
    assert abs(clock.ppm - 550) < 30
    assert abs(stamped - truth) < 2e6  # on the new place within 2 ms, 5 s after the jump


def test_a_speaker_that_stalls_and_then_bursts_does_not_throw_the_rate_off() -> None:
    """Every 5 s the sound server stops asking for 300 ms, then asks for 15 blocks at once:
    those callbacks see blocks that play up to 300 ms after them."""
    clock = SampleClock(rate=44100)
    spacing = 1e9 / 44100 / (1 + 370e-6)
    start, block = 2 * SEC, 882
    for k in range(3000):  # 60 s of 20 ms blocks
        truth = start + k * block * spacing
        observed = truth + 40e6  # asked for 40 ms ahead of playing
        if k % 250 in range(235, 250):  # the stall and the burst after it
            observed = start + (k - k % 250 + 250) * block * spacing + 40e6 - 300e6
        clock.stamp(int(observed), block)
    assert abs(clock.ppm - 370) < 20
    played = start + 3000 * block * spacing + 40e6  # as observed without a stall
    assert abs(clock.time_of(3000 * block) - played) < 200_000  # 0.2 ms


def test_the_time_base_follows_a_microphone_that_runs_fast_and_starts_over_after_a_gap() -> None:
    loop = DelayLockedLoop(RATE)
    spacing = 1e9 / RATE / (1 + 550e-6)
    rng = np.random.default_rng(2)
    at, errors = 3.0 * SEC, []
    for _ in range(1500):  # 30 s of blocks whose length varies as soxr's output does
        frames = int(rng.integers(300, 340))
        placed, restarted = loop.place(round(at), frames)
        errors.append((placed - at) / (SEC / RATE))
        at += frames * spacing
    assert not any(abs(e) > 0.05 for e in errors[500:])  # samples, after 10 s
    assert abs(1e9 / RATE / loop.spacing_ns - 1 - 550e-6) < 1e-6
    _, restarted = loop.place(round(at + 0.5 * SEC), 320)
    assert restarted


def test_the_timeline_keeps_a_speaker_whose_samples_come_fast_unspliced() -> None:
    """Blocks stamped 19.99 ms apart hold 20 ms of samples: none may be dropped to fit."""
    timeline = PlaybackTimeline()
    played = _tones(np.arange(5 * RATE) / RATE)
    spacing = 1e9 / RATE / (1 + 500e-6)
    for at in range(0, len(played), 320):
        timeline.write(played[at : at + 320], round(SEC + at * spacing))
    times = SEC + (RATE + np.arange(4000)) * spacing  # from the second sample second on
    assert np.array_equal(timeline.read(round(times[0]), 4000), played[RATE : RATE + 4000])
    between = timeline.read_at(times[0] + spacing / 2, 4000, spacing)
    expected = _tones((RATE + 0.5 + np.arange(4000)) / RATE)
    assert np.max(np.abs(between - expected)) < 2e-3


def test_a_speaker_with_tiny_callbacks_keeps_the_newest_seconds_addressable() -> None:
    """More callbacks than the timeline keeps anchors for (an hour of 2 ms callbacks would be
    1.8 million): the oldest are forgotten, and the newest audio still reads where it played."""
    timeline = PlaybackTimeline(seconds=2.0)
    played = _tones(np.arange(20 * RATE) / RATE)
    spacing = 1e9 / RATE / (1 - 300e-6)
    for at in range(0, len(played), 32):
        timeline.write(played[at : at + 32], round(SEC + at * spacing))
    start = len(played) - RATE
    assert np.array_equal(timeline.read(round(SEC + start * spacing), RATE), played[start:])
    assert not timeline.read(SEC, 32).any()  # long gone from the ring


def test_a_speaker_reopened_starts_the_record_over_and_a_pause_reads_as_silence() -> None:
    timeline = PlaybackTimeline()
    timeline.write(np.ones(1600, np.float32), 10 * SEC)
    timeline.write(np.full(1600, 2.0, np.float32), 12 * SEC)  # after a pause
    assert not timeline.read(11 * SEC, 1600).any()
    assert (timeline.read(12 * SEC, 1600) == 2.0).all()
    timeline.write(np.full(1600, 3.0, np.float32), 11 * SEC)  # earlier: a new stream
    assert (timeline.read(11 * SEC, 1600) == 3.0).all()
    assert not timeline.read(10 * SEC, 1600).any()  # the old record is gone


def test_the_linear_canceller_converges_when_the_microphone_runs_550_ppm_fast() -> None:
    """Counted at the nominal rate, the microphone's samples slip 9 a second against the
    speaker's, and a linear filter learned at one delay cancels little a second later."""
    timeline = PlaybackTimeline(seconds=4.0)
    front = AudioFrontEnd(LoudnessVad(), Passthrough(), timeline, linear=LinearEchoCanceller())
    speaker_spacing, mic_spacing = SEC / RATE, SEC / RATE / (1 + 550e-6)
    noise = np.random.default_rng(3)
    taken: list[float] = []
    heard = 0  # microphone samples delivered
    for block in range(12 * RATE // 320):  # 12 s of the kiosk talking, 20 ms at a time
        speaker_at = SEC + block * 320 * speaker_spacing
        timeline.write(_tones((block * 320 + np.arange(320)) / RATE), round(speaker_at))
        # the microphone hears it 60 ms later, on its own clock
        times = 1.1 * SEC + (heard + np.arange(320)) * mic_spacing
        if times[-1] > speaker_at:
            continue
        samples = 0.3 * _tones((times - 1.06 * SEC) / SEC) + noise.normal(0, 1e-4, 320)
        for window in front.feed(AudioBlock(samples.astype(np.float32), round(times[0]))):
            if window.linear_dbfs is not None:
                taken.append(window.mic_dbfs - window.linear_dbfs)
        heard += 320
    assert np.median(taken[-150:]) > 25  # dB, over the last 5 s


class Passthrough:
    """A canceller that removes nothing: the linear canceller is the one under test."""

    def process(self, mic: np.ndarray, reference: np.ndarray) -> np.ndarray:
        return mic


def _tones(seconds: np.ndarray) -> np.ndarray:
    """A speech-band signal defined at any instant: 24 tones from 150 Hz to 3.4 kHz."""
    rng = np.random.default_rng(0)
    hz = np.geomspace(150, 3400, 24)
    phases = rng.uniform(0, 2 * np.pi, 24)
    waves = np.sin(2 * np.pi * hz[None, :] * seconds[:, None] + phases[None, :])
    out: np.ndarray = (waves.sum(axis=1) * 0.04).astype(np.float32)
    return out
