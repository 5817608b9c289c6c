"""How often to look, and a one-frame mailbox so stale frames never queue up.

The sampler takes frames at `idle_fps` while nobody is there and at `engaged_fps` while
someone is engaged. `LatestFrame` holds only the newest frame: a writer replaces what the
reader has not yet taken, and the reader waits for one newer than the last it took.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class SamplerOptions:
    idle_fps: float = 2.0
    engaged_fps: float = 5.0


class Sampler:
    def __init__(self, options: SamplerOptions | None = None) -> None:
        self.options = options or SamplerOptions()
        self._next_ns: int | None = None

    def interval_ns(self, engaged: bool) -> int:
        fps = self.options.engaged_fps if engaged else self.options.idle_fps
        return int(1e9 / fps)

    def due(self, now_ns: int, engaged: bool) -> bool:
        """True when a frame should be taken now; the next one is then due an interval later
        (never a burst to catch up after a stall)."""
        if self._next_ns is not None and now_ns < self._next_ns:
            return False
        self._next_ns = now_ns + self.interval_ns(engaged)
        return True

    def wait_ns(self, now_ns: int) -> int:
        """How long until the next frame is due (0: now)."""
        return 0 if self._next_ns is None else max(0, self._next_ns - now_ns)

    def hurry(self) -> None:
        """Take the next frame at once (someone just arrived: switch rates now)."""
        self._next_ns = None


class LatestFrame(Generic[T]):
    """A one-slot mailbox: `put` replaces, `take` waits for something newer than last taken."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: T | None = None
        self._version = 0
        self._taken = 0
        self.dropped = 0
        """Items replaced before anyone took them."""

    def put(self, item: T) -> None:
        with self._cond:
            if self._version > self._taken:
                self.dropped += 1
            self._item = item
            self._version += 1
            self._cond.notify_all()

    def take(self, timeout: float | None = None) -> T | None:
        """The newest item not yet taken; None after `timeout` seconds without one."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._version > self._taken, timeout):
                return None
            self._taken = self._version
            return self._item

    def peek(self) -> T | None:
        with self._cond:
            return self._item
