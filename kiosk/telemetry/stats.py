"""`kiosk stats`: turns, local share, latency percentiles and tokens per day, from the turn log."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from kiosk.telemetry.turnlog import TurnRow, day_of


def daily_stats(rows: Sequence[TurnRow]) -> list[dict[str, Any]]:
    """One entry per day with turns, oldest first."""
    by_day: dict[str, list[TurnRow]] = defaultdict(list)
    for row in rows:
        by_day[day_of(row.at)].append(row)
    return [{"day": day, **_summary(day_rows)} for day, day_rows in sorted(by_day.items())]


def _summary(rows: Sequence[TurnRow]) -> dict[str, Any]:
    routes = {r: sum(1 for row in rows if row.route == r) for r in ("local", "cloud", "fallback")}
    latency = [row.latency_ms for row in rows if row.latency_ms is not None]
    local_latency = [r.latency_ms for r in rows if r.latency_ms is not None and r.route == "local"]
    return {
        "turns": len(rows),
        **routes,
        "local_share": round(routes["local"] / len(rows), 3) if rows else 0.0,
        "p50_ms": _percentile(latency, 50),
        "p95_ms": _percentile(latency, 95),
        "local_p50_ms": _percentile(local_latency, 50),
        "local_p95_ms": _percentile(local_latency, 95),
        "tokens": sum(row.tokens for row in rows),
        "interrupted": sum(1 for row in rows if row.interrupted),
        "errors": sum(1 for row in rows if row.error),
    }


def stats_report(rows: Sequence[TurnRow], days: int) -> dict[str, Any]:
    return {"days": daily_stats(rows), "total": _summary(rows), "window_days": days}


def format_report(report: dict[str, Any]) -> str:
    header = (
        f"{'day':<10} {'turns':>6} {'local':>6} {'cloud':>6} {'fallbk':>6} {'local%':>7} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'tokens':>8} {'interr':>6} {'errors':>6}"
    )
    lines = [header]
    for entry in [*report["days"], {"day": "all", **report["total"]}]:
        lines.append(
            f"{entry['day']:<10} {entry['turns']:>6} {entry['local']:>6} {entry['cloud']:>6} "
            f"{entry['fallback']:>6} {entry['local_share'] * 100:>6.1f}% "
            f"{_ms(entry['p50_ms']):>7} {_ms(entry['p95_ms']):>7} {entry['tokens']:>8} "
            f"{entry['interrupted']:>6} {entry['errors']:>6}"
        )
    return "\n".join(lines)


def since(days: int, now: float | None = None) -> float:
    return (time.time() if now is None else now) - days * 86400.0


def _percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    return round(float(np.percentile(np.asarray(values, dtype=np.float64), q)), 1)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def format_turns(rows: Sequence[TurnRow]) -> str:
    """One line per turn: when, route, latency, reason and stage timings (no transcripts)."""
    lines = []
    for row in rows:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(row.at))
        stages = " ".join(f"{k}={v:.0f}" for k, v in row.timings.items())
        flags = (" interrupted" if row.interrupted else "") + (" error" if row.error else "")
        lines.append(
            f"{when} {row.route:<8} {_ms(row.latency_ms):>6} ms  {row.reason}  [{stages}]"
            f"{' tokens=' + str(row.tokens) if row.tokens else ''}{flags}"
        )
    return "\n".join(lines)
