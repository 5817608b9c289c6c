"""Holds the echo's delay against the cancellers' reference still, to a fraction of a sample.

`edge.clock` maps each device's samples onto the system clock, but it can only do so from the
times its callbacks run, which jitter by milliseconds: each mapping is right to some tens of
microseconds, and the two wander against each other by about a sample over tens of seconds
(measured through PulseAudio). A linear echo canceller needs better: a path that moves by a
sample costs it 10-20 dB until it has learned the path again.

The echo itself says where it is. While the kiosk speaks, `EchoDelayTracker` correlates a
second of the microphone with the reference the cancellers were given (GCC-PHAT, interpolated
between lags) and steers a shift of the reference so that the echo stays at the delay it was
first measured at. A measurement far
that disagrees with the two before it (double talk, a clap, a chime whose tones correlate at
many lags) is not acted on, and nothing is measured while nothing plays.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

RATE = 16000
AGREEING = 3
"""Measurements that must agree before the tracker acts on them."""


@dataclass(frozen=True)
class DelayTrackerOptions:
    window_s: float = 1.0
    """Microphone and reference correlated per measurement."""
    hop_s: float = 0.5
    """A measurement every this much audio, when the kiosk played enough of it."""
    min_reference_dbfs: float = -45.0
    """The playback's level over the window below which nothing is measured."""
    lags_ms: tuple[float, float] = (-50.0, 400.0)
    """Delays searched: the linear canceller's span, and a little before the reference."""
    min_peak_ratio: float = 8.0
    """The correlation's peak over its RMS below which a measurement is not trusted."""
    gain: float = 0.5
    """Share of the measured error the shift takes at each measurement. A second term for
    the error's rate overshot a 6-sample creep by 1.6 samples and cost 10-30 dB of
    cancellation for 5 s after it (`tests/unit/test_drift.py`)."""
    agree_samples: float = 1.0
    """The last three measurements must lie this close to a line to be acted on."""
    max_error_samples: float = 24.0
    """A measurement this far from where the echo is held is not the kiosk's echo."""


class EchoDelayTracker:
    """Fed what the cancellers were fed; answers how many samples later to read the reference."""

    def __init__(self, options: DelayTrackerOptions | None = None) -> None:
        self.options = o = options or DelayTrackerOptions()
        self._window = int(o.window_s * RATE)
        self._hop = int(o.hop_s * RATE)
        self._size = 1 << int(np.ceil(np.log2(2 * self._window)))
        self._low = int(o.lags_ms[0] * RATE / 1000)
        self._high = int(o.lags_ms[1] * RATE / 1000)
        self._min_energy = self._window * 10 ** (o.min_reference_dbfs / 10)
        self._mic = np.zeros(0, np.float32)
        self._ref = np.zeros(0, np.float32)
        self._pending = 0
        self._recent: deque[float] = deque(maxlen=AGREEING)
        self.held_at: float | None = None
        """The echo's delay (samples) when first measured: where it is held."""
        self.shift_samples = 0.0
        """How much earlier than the microphone's own time to read the reference."""
        self.measurements = 0

    def observe(self, mic: np.ndarray, reference: np.ndarray) -> None:
        keep = self._window
        self._mic = np.concatenate([self._mic, np.asarray(mic, np.float32)])[-keep:]
        self._ref = np.concatenate([self._ref, np.asarray(reference, np.float32)])[-keep:]
        self._pending += len(mic)
        if self._pending < self._hop or len(self._mic) < keep:
            return
        self._pending = 0
        if float(np.dot(self._ref, self._ref)) < self._min_energy:
            return
        delay = self._measure()
        if delay is None:
            return
        o = self.options
        self._recent.append(delay)
        if len(self._recent) < AGREEING:
            return
        first, middle, last = self._recent
        if abs(first - 2 * middle + last) > o.agree_samples:
            return  # not three measurements of one echo moving steadily: double talk, tones
        now = (first + middle + last) / 3 + (last - first) / 2  # the line through them
        if self.held_at is None:
            self.held_at = now
            return
        error = now - self.held_at
        if abs(error) > o.max_error_samples:
            return
        self.shift_samples += o.gain * error

    def _measure(self) -> float | None:
        n = self._size
        cross = np.fft.rfft(self._mic, n) * np.conj(np.fft.rfft(self._ref, n))
        cross /= np.abs(cross) + 1e-12  # PHAT: every frequency votes equally
        correlation = np.fft.irfft(cross, n)
        lags = np.abs(np.concatenate([correlation[self._low :], correlation[: self._high + 1]]))
        peak = int(np.argmax(lags))
        if lags[peak] < self.options.min_peak_ratio * np.sqrt(np.mean(lags**2)):
            return None
        if not 0 < peak < len(lags) - 1:
            return None
        a, b, c = lags[peak - 1], lags[peak], lags[peak + 1]  # a parabola through the peak
        bend = a - 2 * b + c
        self.measurements += 1
        return peak + self._low + (0.5 * float(a - c) / float(bend) if bend else 0.0)


__all__ = ["DelayTrackerOptions", "EchoDelayTracker"]
