"""Small statistics helpers for benchmark reports."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def summary_ms(samples_ms: Sequence[float]) -> dict[str, float]:
    values = np.asarray(samples_ms, dtype=np.float64)
    if values.size == 0:
        return {"n": 0, "p50_ms": float("nan"), "p95_ms": float("nan")}
    return {
        "n": int(values.size),
        "p50_ms": round(float(np.percentile(values, 50)), 3),
        "p95_ms": round(float(np.percentile(values, 95)), 3),
        "max_ms": round(float(values.max()), 3),
    }


def speaker_feed(ready_s: Sequence[float], durations_s: Sequence[float]) -> tuple[float, float]:
    """How a reply's pieces, ready at `ready_s` (from its start) and lasting `durations_s`,
    feed a speaker that starts on the first piece the moment it is ready.

    Returns the time the speaker runs dry between pieces (ms), and the headroom: how many times
    slower the voice could be (every piece's time scaled alike) before it ran dry at all."""
    if len(ready_s) != len(durations_s):
        raise ValueError("one ready time per piece")
    dry_s = 0.0
    playing_until = ready_s[0] + durations_s[0] if ready_s else 0.0
    headroom = float("inf")
    for i in range(1, len(ready_s)):
        dry_s += max(0.0, ready_s[i] - playing_until)
        playing_until = max(playing_until, ready_s[i]) + durations_s[i]
        making = ready_s[i] - ready_s[0]
        if making > 0:
            headroom = min(headroom, sum(durations_s[:i]) / making)
    return dry_s * 1000, headroom
