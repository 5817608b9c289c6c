"""The echo delay tracker: the echo held still against the reference when the path's delay
moves, and left alone when the measurements do not agree."""

from __future__ import annotations

import numpy as np
import pytest

from edge.audio_io import AudioBlock
from edge.drift import EchoDelayTracker
from edge.linear_echo import LinearEchoCanceller
from edge.listen import AudioFrontEnd
from edge.timeline import PlaybackTimeline
from tests.fakes import LoudnessVad

pytestmark = pytest.mark.unit
RATE = 16000
SEC = 1_000_000_000
NS = SEC / RATE


class Passthrough:
    """A canceller that removes nothing: the linear canceller is the one listened to."""

    def process(self, mic: np.ndarray, reference: np.ndarray) -> np.ndarray:
        return mic


def _talk(delay_at: list[float]) -> tuple[AudioFrontEnd, list[float]]:
    """The kiosk talks (speech-band noise) for 20 ms per entry of `delay_at`, and the
    microphone hears it that many samples later: (the front end, the linear canceller's
    reduction per window)."""
    timeline = PlaybackTimeline(seconds=4.0)
    front = AudioFrontEnd(LoudnessVad(), Passthrough(), timeline, linear=LinearEchoCanceller())
    rng = np.random.default_rng(4)
    smooth = np.ones(4) / 4  # a little low-pass: speech-like, not white
    taken: list[float] = []
    for block, delay in enumerate(delay_at):
        played = np.convolve(rng.normal(0, 0.1, 320), smooth, "same").astype(np.float32)
        timeline.write(played, round(SEC + block * 320 * NS))
        heard_at = SEC + (block - 10) * 320 * NS  # the microphone runs 200 ms behind
        if block < 10:
            continue
        echo = 0.5 * timeline.read_at(heard_at - delay * NS, 320, NS)
        mic = echo + rng.normal(0, 1e-4, 320).astype(np.float32)
        for window in front.feed(AudioBlock(mic, round(heard_at))):
            if window.linear_dbfs is not None:
                taken.append(window.mic_dbfs - window.linear_dbfs)
    return front, taken


def test_the_echo_is_held_still_while_the_path_s_delay_creeps() -> None:
    """Six samples in 3 s, at the rate PulseAudio's loopback moved it, then steady."""
    creep = [800.0 + min(max(0.0, (b - 250) * 0.04), 6.0) for b in range(900)]
    front, taken = _talk(creep)
    assert front.delay is not None and front.delay.held_at is not None
    assert abs(front.delay.shift_samples - 6.0) < 0.3
    assert np.median(taken[-150:]) > 25  # dB, over the last 5 s


def test_measurements_that_disagree_move_nothing() -> None:
    tracker = EchoDelayTracker()
    rng = np.random.default_rng(5)
    for _ in range(40):  # 10 s of a reference and a microphone that have nothing in common
        tracker.observe(rng.normal(0, 0.1, 4000), rng.normal(0, 0.1, 4000))
    assert tracker.shift_samples == 0.0 and tracker.held_at is None
