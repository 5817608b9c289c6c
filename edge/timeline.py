"""What the speaker played, by time: the echo cancellers' reference.

The speaker writes each block it plays (16 kHz) with the time its first sample reaches the
device; the front end reads the stretch that was playing while each microphone block was
captured. Two clocks meet here, and neither runs at its nominal rate (`edge.clock`):

- the samples are kept in the order they played, and each write is an anchor (sample number,
  time). A time maps to a fractional sample by the anchors around it, so a speaker whose
  samples take 19.99 ms per 20 ms block is never spliced to fit a nominal grid;
- `read_at` reads between samples, at the microphone's own spacing, with a windowed-sinc
  interpolator. The linear echo canceller needs the two aligned to a fraction of a sample.

A write that comes well after the previous one ended leaves silence between them; one that
starts well before it ended (a speaker reopened) starts the record over.
"""

from __future__ import annotations

import threading

import numpy as np

RATE = 16000
NS_PER_SAMPLE = 1_000_000_000 // RATE
HALF_TAPS = 8
PHASES = 256
"""Fractional positions the interpolator tells apart: 1/256 of a sample."""
JOIN_NS = 5_000_000
"""A write this close to where the previous one ended continues it."""
MAX_ANCHORS = 4096


def _interpolation_kernels(beta: float = 6.0) -> np.ndarray:
    """Kaiser-windowed sinc taps for each of `PHASES + 1` fractions from 0 to 1 sample."""
    fractions = np.arange(PHASES + 1) / PHASES
    distance = fractions[:, None] - np.arange(-HALF_TAPS + 1, HALF_TAPS + 1)[None, :]
    edge = np.clip(1.0 - (distance / HALF_TAPS) ** 2, 0.0, 1.0)
    kernels: np.ndarray = np.sinc(distance) * np.i0(beta * np.sqrt(edge)) / np.i0(beta)
    return kernels.astype(np.float32)


_KERNELS = _interpolation_kernels()
_OFFSETS = np.arange(-HALF_TAPS + 1, HALF_TAPS + 1)


class PlaybackTimeline:
    """A ring of the last `seconds` of played audio (16 kHz float32), addressed by time."""

    def __init__(self, seconds: float = 8.0) -> None:
        self._size = int(seconds * RATE)
        self._ring = np.zeros(self._size, np.float32)
        self._end = 0
        """Samples written since the start: the ring holds the last `_size` of them."""
        self._floor = 0
        """The first sample of the current record: older ones belong to a speaker since gone."""
        self._anchors = _Anchors(MAX_ANCHORS)
        self._lock = threading.Lock()

    @staticmethod
    def index(stamp_ns: int) -> int:
        return stamp_ns * RATE // 1_000_000_000

    def write(self, samples: np.ndarray, start_ns: int) -> None:
        """Record that `samples` (16 kHz) started playing at `start_ns`."""
        data = np.asarray(samples, np.float32).reshape(-1)[-self._size :]
        if not len(data):
            return
        with self._lock:
            if self._anchors.count:
                index, at_ns = self._anchors.last()
                late = start_ns - (at_ns + (self._end - index) * NS_PER_SAMPLE)
                if late < -JOIN_NS or late > self._size * NS_PER_SAMPLE:
                    self._anchors.clear()  # the record starts over
                    self._floor = self._end
                elif late > JOIN_NS:  # silence between two replies
                    self._put(np.zeros(round(late / NS_PER_SAMPLE), np.float32))
            self._anchors.append(self._end, int(start_ns))
            self._anchors.forget_before(self._end - self._size)
            self._put(data)

    def recorded_until_ns(self) -> int | None:
        """Time just after the last sample recorded; None before the first write."""
        with self._lock:
            if not self._anchors.count:
                return None
            index, at_ns = self._anchors.last()
            return at_ns + (self._end - index) * NS_PER_SAMPLE

    def _put(self, data: np.ndarray) -> None:
        at = self._end % self._size
        first = min(len(data), self._size - at)
        self._ring[at : at + first] = data[:first]
        self._ring[: len(data) - first] = data[first:]
        self._end += len(data)

    def read(self, start_ns: int, n: int) -> np.ndarray:
        """`n` samples from `start_ns`, to the nearest sample; zeros where nothing was (or is
        no longer) recorded."""
        with self._lock:
            first = self._position(np.array([float(start_ns)]))
            if first is None:
                return np.zeros(n, np.float32)
            return self._samples(int(np.rint(first[0])), n)

    def read_at(self, start_ns: float, n: int, spacing_ns: float) -> np.ndarray:
        """`n` samples from `start_ns`, `spacing_ns` apart, interpolated between the samples
        recorded."""
        with self._lock:
            positions = self._position(start_ns + spacing_ns * np.arange(n))
            if positions is None:
                return np.zeros(n, np.float32)
            whole = np.floor(positions).astype(np.int64)
            low = int(whole[0]) - HALF_TAPS + 1
            wide = self._samples(low, int(whole[-1]) - low + HALF_TAPS + 1)
        phase = np.rint((positions - whole) * PHASES).astype(np.int64)
        out: np.ndarray
        if phase[0] == phase[-1] and np.array_equal(np.diff(whole), np.ones(n - 1, np.int64)):
            # one fraction throughout (the same clock on both sides): a plain convolution
            out = np.convolve(wide, _KERNELS[phase[0]][::-1], "valid").astype(np.float32)
            return out
        taps = wide[(whole - low)[:, None] + _OFFSETS[None, :]]
        out = (taps * _KERNELS[phase]).sum(axis=1).astype(np.float32)
        return out

    def _position(self, times_ns: np.ndarray) -> np.ndarray | None:
        """Sample numbers (fractional) of times: between anchors by the anchors, outside them
        at the nominal rate (nothing is recorded there but the newest write's own samples)."""
        if not self._anchors.count:
            return None
        index, at_ns = self._anchors.arrays()
        positions: np.ndarray = np.interp(times_ns, at_ns, index)
        before, after = times_ns < at_ns[0], times_ns > at_ns[-1]
        positions[before] = index[0] + (times_ns[before] - at_ns[0]) / NS_PER_SAMPLE
        positions[after] = index[-1] + (times_ns[after] - at_ns[-1]) / NS_PER_SAMPLE
        return positions

    def _samples(self, start: int, n: int) -> np.ndarray:
        out = np.zeros(n, np.float32)
        lo, hi = max(start, self._end - self._size, self._floor), min(start + n, self._end)
        i = lo
        while i < hi:  # at most two slices: before and after the ring wraps
            at = i % self._size
            count = min(hi - i, self._size - at)
            out[i - start : i - start + count] = self._ring[at : at + count]
            i += count
        return out


class _Anchors:
    """(sample number, time) pairs in the order written, kept as arrays: the front end reads
    by them several times per block, and the speaker adds one per callback."""

    def __init__(self, most: int) -> None:
        self._most = most
        self._index = np.zeros(2 * most, np.float64)
        self._ns = np.zeros(2 * most, np.float64)
        self._first = 0
        self.count = 0

    def last(self) -> tuple[int, int]:
        at = self._first + self.count - 1
        return int(self._index[at]), int(self._ns[at])

    def append(self, index: int, at_ns: int) -> None:
        if self.count == self._most:
            self._first += 1
            self.count -= 1
        if self._first + self.count == len(self._index):  # compact: move the live ones down
            live = slice(self._first, self._first + self.count)
            self._index[: self.count] = self._index[live]
            self._ns[: self.count] = self._ns[live]
            self._first = 0
        self._index[self._first + self.count] = index
        self._ns[self._first + self.count] = at_ns
        self.count += 1

    def forget_before(self, oldest: int) -> None:
        """Drop anchors no longer needed for samples from `oldest` on (keeping at least two)."""
        while self.count > 2 and self._index[self._first + 1] <= oldest:
            self._first += 1
            self.count -= 1

    def clear(self) -> None:
        self._first = self.count = 0

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(sample numbers, times): views, valid until the next change."""
        live = slice(self._first, self._first + self.count)
        return self._index[live], self._ns[live]


__all__ = ["NS_PER_SAMPLE", "PlaybackTimeline"]
