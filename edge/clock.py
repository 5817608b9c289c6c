"""A sound device's samples mapped onto time.monotonic_ns.

Callbacks arrive late and in bursts (PulseAudio delivers 100 ms at once), but a device captures
and plays at a steady rate: the time of sample k is anchor + k * spacing. That rate is not the
nominal one. A crystal is off by tens of ppm, and PulseAudio's null sinks ran 550 ppm fast
against the monotonic clock on this machine. A clock that assumed the nominal rate drifted
9 samples a second against the other device's, and the linear echo canceller, which needs the
microphone and the playback aligned to a sample, never converged (docs/audio.md).

So `SampleClock` learns the spacing. Each observation is a bound that is never early (a block
cannot have been captured after its callback saw it), so the earliest observation in each
half second of samples lies close to the truth plus a constant; a line through the last
minute of those floors gives the spacing, and their low edge where the anchor belongs. Until
the first fit, the anchor moves back whenever an observation is earlier than the clock; after
it, the line alone decides. The anchor jumps forward when the clock has fallen `resync_ms`
behind (samples lost), and the clock learns again.
"""

from __future__ import annotations

import math
import threading
from collections import deque

import numpy as np

MAX_PPM = 2000.0
"""A spacing further than this from the nominal one is a measurement gone wrong."""
FLOOR_PERCENTILE = 10.0
ANCHOR_FOLLOW = 0.02
"""The share of the way to the floors' line the anchor moves at each fit (every half second):
a stamp that started off comes right in about 25 s. At the first fit it jumps there:
nothing has learned the echo path yet. (Jumping at every fit for the first 10 s kept the
linear echo canceller from converging through PulseAudio until the jumps stopped.)"""
JUMP_BEYOND_NS = 1_000_000
"""An anchor this far off the line (a fit on the first few seconds' floors went wrong) jumps
onto it: the echo is lost either way, and sliding would keep it moving for a minute."""
RATE_SPAN_S = 20.0
"""After a restart, the rate learned before it is kept until the new floors span this long."""
SPREAD_AT_LEAST_NS = 20_000.0
"""The floors' usual spread is taken as at least this much (20 us) when telling the usual
ones from those a burst threw early: evenly timed callbacks spread by almost nothing."""


class SampleClock:
    def __init__(
        self,
        rate: int,
        resync_ms: float = 200.0,
        floor_every_s: float = 0.5,
        floors: int = 120,
        learn_after: int = 6,
    ) -> None:
        self.rate = rate
        self._nominal = 1e9 / rate
        self._resync_ns = resync_ms * 1e6
        self._bucket = max(1, int(floor_every_s * rate))
        self._floors: deque[tuple[int, float]] = deque(maxlen=floors)
        self._learn_after = learn_after
        self._spacing = self._nominal
        self._kept_spacing: float | None = None
        self._fitted = False
        self._anchor: float | None = None
        self._count = 0
        self._lock = threading.Lock()

    @property
    def ppm(self) -> float:
        """How much faster than nominal the device's samples come (negative: slower)."""
        return (self._nominal / self._spacing - 1.0) * 1e6

    def stamp(self, observed_ns: int, frames: int) -> int:
        """The time of the first of `frames` new samples; `observed_ns` is a late estimate."""
        with self._lock:
            count = self._count
            self._observe_floor(count, observed_ns)
            if self._anchor is None:
                predicted = float(observed_ns)
            else:
                predicted = self._anchor + count * self._spacing
                if observed_ns - predicted > self._resync_ns:  # samples were lost
                    self._floors.clear()
                    self._fitted = False
                    predicted = float(observed_ns)
                elif observed_ns < predicted and not self._fitted:
                    predicted = float(observed_ns)
            self._anchor = predicted - count * self._spacing
            self._count = count + frames
            return round(predicted)

    def restart(self) -> None:
        """The device lost or delayed samples without the clock seeing it (an underrun): the
        next stamp anchors anew, and the line's place is learned again from what follows. Its
        slope, the device's rate, did not change: it is kept until the new floors span
        `RATE_SPAN_S`, since a slope from a few seconds of floors is off by a hundred ppm."""
        with self._lock:
            if self._fitted:
                self._kept_spacing = self._spacing
            self._floors.clear()
            self._fitted = False
            self._anchor = None

    def time_of(self, sample: float) -> int:
        """When sample number `sample` (counted from the first stamped one) was captured or
        played, by what the clock knows now."""
        with self._lock:
            anchor = self._anchor if self._anchor is not None else 0.0
            return round(anchor + sample * self._spacing)

    def _observe_floor(self, count: int, observed_ns: int) -> None:
        bucket = count // self._bucket
        excess = observed_ns - count * self._nominal  # the time base at the nominal rate
        if self._floors and self._floors[-1][0] // self._bucket == bucket:
            if excess < self._floors[-1][1]:
                self._floors[-1] = (count, excess)
            return
        self._floors.append((count, excess))
        if len(self._floors) > self._learn_after:
            self._learn()

    def _learn(self) -> None:
        """A line through the floors (not the newest, still filling). Its slope is the median
        of their pairwise slopes: a burst of callbacks after a stall throws a few floors far
        off, and the median ignores them. Its place is their `FLOOR_PERCENTILE`: a line through
        their middle would put half the samples before they happened, and the very lowest
        floor changes as floors come and go. The anchor slides onto that line rather than
        jumping: each jump would shift the echo against its reference by a fraction of a
        sample."""
        counts = np.array([c for c, _ in self._floors][:-1], np.float64)
        excess = np.array([e for _, e in self._floors][:-1], np.float64)
        if counts[-1] - counts[0] < self._bucket * self._learn_after // 2:
            return
        apart = counts[None, :] - counts[:, None] >= self.rate  # pairs a second or more apart
        rise = excess[None, :] - excess[:, None]
        run = counts[None, :] - counts[:, None]
        slope = float(np.median(rise[apart] / run[apart]))
        if self._kept_spacing is not None:
            if counts[-1] - counts[0] < RATE_SPAN_S * self.rate:
                slope = self._kept_spacing - self._nominal
            else:
                self._kept_spacing = None
        spacing = self._nominal + slope
        if abs(self._nominal / spacing - 1.0) * 1e6 > MAX_PPM:
            return
        if self._anchor is not None:  # keep the current sample where it was...
            self._anchor += self._count * (self._spacing - spacing)
        self._spacing = spacing
        place = excess - slope * counts
        middle = float(np.median(place))
        spread = max(float(np.median(np.abs(place - middle))), SPREAD_AT_LEAST_NS)
        usual = place[place >= middle - 4 * spread]  # not the floors a burst threw early
        low = float(np.percentile(usual, FLOOR_PERCENTILE))
        anchor = low if self._anchor is None else self._anchor
        far = abs(low - anchor) > JUMP_BEYOND_NS
        follow = 1.0 if far or not self._fitted else ANCHOR_FOLLOW
        self._anchor = anchor + follow * (low - anchor)  # ...and slide it there
        self._fitted = True


class DelayLockedLoop:
    """Times for consecutive blocks of samples, from the blocks' stamps.

    A microphone's stamps follow time.monotonic_ns; counting its samples at the nominal rate
    does not (see `SampleClock`). This second-order loop follows the stamps' rate and phase
    and smooths their jitter (after F. Adriaensen, "Using a DLL to filter time", as JACK
    does). A stamp further than `resync_ns` from where the loop expected its block starts
    the loop over: samples were lost, or the device was reopened.
    """

    def __init__(
        self,
        rate: int,
        bandwidth_hz: float = 0.5,
        period_s: float = 0.02,
        resync_ns: float = 100e6,
    ) -> None:
        omega = 2 * math.pi * bandwidth_hz * period_s
        self._phase_gain = math.sqrt(2) * omega
        self._rate_gain = omega * omega / (period_s * rate)
        self._nominal = 1e9 / rate
        self._resync_ns = resync_ns
        self.spacing_ns = self._nominal
        """Nanoseconds from one sample to the next, as the loop has learned it."""
        self._next: float | None = None

    def place(self, stamp_ns: int, frames: int) -> tuple[float, bool]:
        """(time of the block's first sample, whether the loop started over at it)."""
        if self._next is None or abs(stamp_ns - self._next) > self._resync_ns:
            self.spacing_ns = self._nominal
            self._next = stamp_ns + frames * self.spacing_ns
            return float(stamp_ns), True
        error = stamp_ns - self._next
        start = self._next + self._phase_gain * error
        spacing = self.spacing_ns + self._rate_gain * error
        limit = self._nominal * MAX_PPM / 1e6
        self.spacing_ns = min(max(spacing, self._nominal - limit), self._nominal + limit)
        self._next = start + frames * self.spacing_ns
        return start, False


__all__ = ["MAX_PPM", "DelayLockedLoop", "SampleClock"]
