"""Presence: someone is at the kiosk when a shopper-sized face near the centre has been seen in
`arrive_frames` sampled frames in a row, and has left after `leave_s` without one.

A frame that was not analysed because the scene did not change counts as showing what the last
analysed frame showed. `tick` lets time pass with no frame at all (the camera is down).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Transition = Literal["arrived", "left"]


@dataclass(frozen=True)
class PresenceOptions:
    arrive_frames: int = 3
    leave_s: float = 2.0


class PresenceTracker:
    def __init__(self, options: PresenceOptions | None = None) -> None:
        self.options = options or PresenceOptions()
        self.engaged = False
        self.people = 0
        self._streak = 0
        self._last_seen_ns: int | None = None

    def update(self, shopper_seen: bool, people: int, now_ns: int) -> Transition | None:
        """Feed one analysed frame; returns 'arrived' or 'left' when the state flips."""
        self.people = people
        if shopper_seen:
            self._streak += 1
            self._last_seen_ns = now_ns
            if not self.engaged and self._streak >= self.options.arrive_frames:
                self.engaged = True
                return "arrived"
            return None
        self._streak = 0
        return self.tick(now_ns)

    def tick(self, now_ns: int) -> Transition | None:
        """Time passing without a shopper (also called for frames that were not analysed)."""
        if not self.engaged or self._last_seen_ns is None:
            return None
        if self._streak == 0 and now_ns - self._last_seen_ns >= self.options.leave_s * 1e9:
            self.engaged = False
            return "left"
        return None
