"""Reconnect pacing: jittered exponential backoff behind a circuit breaker. Pure logic with
an injected clock and random source, so tests drive it without waiting."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Full-jitter exponential backoff: the n-th wait is uniform in [0, min(cap, base*2^n)]."""

    base_s: float = 0.05
    cap_s: float = 5.0
    rand: Callable[[], float] = random.random
    attempts: int = 0

    def next_delay(self) -> float:
        ceiling = min(self.cap_s, self.base_s * (2**self.attempts))
        self.attempts += 1
        return float(ceiling * self.rand())

    def reset(self) -> None:
        self.attempts = 0


@dataclass
class CircuitBreaker:
    """Opens after `threshold` failures in a row; after `cooldown_s` lets one try through."""

    threshold: int = 3
    cooldown_s: float = 30.0
    clock: Callable[[], float] = time.monotonic
    failures: int = 0
    opened_at: float | None = field(default=None)

    def allow(self) -> bool:
        if self.opened_at is None:
            return True
        return self.clock() - self.opened_at >= self.cooldown_s

    def is_open(self) -> bool:
        return not self.allow()

    def success(self) -> None:
        self.failures = 0
        self.opened_at = None

    def failure(self) -> None:
        self.failures += 1
        if self.failures >= self.threshold:
            self.opened_at = self.clock()

    def trip(self) -> None:
        """Open now, whatever the count: a failure that retrying cannot fix."""
        self.failures = max(self.failures, self.threshold)
        self.opened_at = self.clock()
