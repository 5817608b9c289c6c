"""Turning one `kiosk bench e2e` run into figures: per question, per system, and side by side.

Inputs are what the processes printed (the director's record of each question, the kiosk's
events, CPU and memory marks) and the simulator's log of the turns it served. Everything is
joined by time (CLOCK_MONOTONIC is the same in every process): a question owns what happened
between the moment it was asked and the end of its reply.

Definitions (the same for the kiosk and the peer):
- latency: the true end of the question's speech to the first audible sample of the reply
  leaving the virtual speaker (output latency included);
- cut off: the reply started before the shopper had finished, or the system took the
  question as more than one turn;
- answered: some reply was heard within the answer timeout;
- on a cloud turn the server's view splits the latency into: the shopper's end of speech to
  the server taking the end of the turn (end of turn, uplink), the server's time to first
  byte, and the server's first audio to the speaker (downlink, client, playback).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from kiosk.bench.stats import summary_ms

STAGES = ("end_of_turn", "stt", "route", "reply_first_audio", "output")
"""The kiosk's stages, in order; they add up to its latency."""


def _window(q: dict[str, Any], gap_ns: int) -> tuple[int, int]:
    end = q["done_ns"] or q["speech_end_ns"] + 30_000_000_000
    return q["start_ns"], end + gap_ns


def _between(
    rows: Sequence[dict[str, Any]], start: int, end: int, key: str
) -> list[dict[str, Any]]:
    return [r for r in rows if start <= r[key] < end]


def server_view(q: dict[str, Any], turns: list[dict[str, Any]]) -> dict[str, Any]:
    """The simulator's side of a question: its turns, tokens, frames and time to first byte."""
    if not turns:
        return {"server_turns": 0}
    onset = q["onsets"][0]["audible_ns"] if q["onsets"] else None
    # The turn whose reply was heard: the last one that had sent audio by then (a turn the
    # system escalated and then cancelled, because the shopper went on, comes before it).
    heard = [t for t in turns if t["first_audio_ns"] and onset and t["first_audio_ns"] <= onset]
    served = heard[-1] if heard else turns[-1]
    tokens: dict[str, int] = {}
    for t in turns:
        for key, value in t["tokens"].items():
            tokens[key] = tokens.get(key, 0) + int(value)
    view: dict[str, Any] = {
        "server_turns": len(turns),
        "tokens": tokens,
        "frames": sum(int(t["images"]) for t in turns),
        "sim_ttfb_ms": served["ttfb_ms"],
        "sim_hear_ms": served["hear_ms"],
    }
    if onset is not None and served["first_audio_ns"] and q["latency_ms"] is not None:
        view["to_server_ms"] = round((served["started_ns"] - q["speech_end_ns"]) / 1e6, 1)
        view["after_server_ms"] = round((onset - served["first_audio_ns"]) / 1e6, 1)
    return view


def kiosk_rows(
    result: dict[str, Any], events: list[dict[str, Any]], turns: list[dict[str, Any]], gap_s: float
) -> list[dict[str, Any]]:
    """One row per question for the kiosk: the director's record, the kiosk's own turn
    (route, stage timings) and the server's view of its cloud turn."""
    rows = []
    gap_ns = int(gap_s * 1e9)
    for q in result["questions"]:
        start, end = _window(q, gap_ns)
        mine = _between(events, start, end, "t_ns")
        done = [e for e in mine if e["event"] == "turn"]
        row = _base(q)
        row["kiosk_turns"] = len(done)
        row["cut_off"] = bool(q["replied_before_end"] or len(done) > 1)
        if done:
            turn = done[-1]
            row.update(
                route=turn["route"],
                reason=turn["reason"],
                heard=turn["heard"],
                product_sku=turn["product_sku"],
                shelf=turn["shelf"],
                timings_ms=turn["timings_ms"],
                error=turn["error"],
            )
        else:
            row["route"] = "none"
        row.update(server_view(q, _between(turns, start, end, "started_ns")))
        onset = q["onsets"][0]["audible_ns"] if q["onsets"] else None
        thinking = [
            e["t_ns"]
            for e in mine
            if e["event"] == "status"
            and e["state"] == "thinking"
            and (onset is None or e["t_ns"] <= onset)
        ]
        if thinking and q["latency_ms"] is not None and done:
            row["stages_ms"] = kiosk_stages(
                (thinking[-1] - q["speech_end_ns"]) / 1e6, q["latency_ms"], done[-1]["timings_ms"]
            )
            if row["route"] == "cloud" and row.get("sim_ttfb_ms") is not None:
                eot = row["stages_ms"]["end_of_turn"]
                row["overhead_ms"] = round(q["latency_ms"] - eot - row["sim_ttfb_ms"], 1)
        rows.append(row)
    return rows


def kiosk_stages(eot_ms: float, latency_ms: float, t: dict[str, float]) -> dict[str, float]:
    stt = t.get("stt", 0.0) + t.get("stt_recheck", 0.0)
    route = t.get("route", 0.0)
    if "cloud" in t:
        reply = t.get("cloud_activity_end", 0.0) + t.get("cloud_first_audio", 0.0)
    else:
        reply = t.get("tts_first_audio", t.get("tts", 0.0))
    output = latency_ms - eot_ms - stt - route - reply
    return {
        "end_of_turn": round(eot_ms, 1),
        "stt": round(stt, 1),
        "route": round(route, 1),
        "reply_first_audio": round(reply, 1),
        "output": round(output, 1),
    }


def peer_rows(
    result: dict[str, Any], turns: list[dict[str, Any]], gap_s: float
) -> list[dict[str, Any]]:
    rows = []
    gap_ns = int(gap_s * 1e9)
    for q in result["questions"]:
        start, end = _window(q, gap_ns)
        row = _base(q)
        row.update(server_view(q, _between(turns, start, end, "started_ns")))
        row["route"] = "cloud"
        row["cut_off"] = bool(q["replied_before_end"] or row["server_turns"] > 1)
        rows.append(row)
    return rows


def _base(q: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": q["id"],
        "kind": q["kind"],
        "expected_route": q["expected_route"],
        "answered": q["answered"],
        "latency_ms": q["latency_ms"],
        "replied_before_end": q["replied_before_end"],
        "reply_audio_s": q["reply_audio_s"],
    }


def latencies(rows: Sequence[dict[str, Any]], route: str | None = None) -> list[float]:
    return [
        float(r["latency_ms"])
        for r in rows
        if r["latency_ms"] is not None
        and not r["cut_off"]
        and (route is None or r["route"] == route)
    ]


def ms(summary: dict[str, float]) -> dict[str, Any]:
    """A summary with NaN as None (JSON has no NaN)."""
    return {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in summary.items()}


def system_summary(
    rows: Sequence[dict[str, Any]], marks: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    n = len(rows)
    cut = [r["id"] for r in rows if r["cut_off"]]
    answered = sum(1 for r in rows if r["answered"])
    cloud_turns = [r for r in rows if r.get("server_turns")]
    tokens = [int(r.get("tokens", {}).get("total", 0)) for r in rows]
    frames = [int(r.get("frames", 0)) for r in rows]
    return {
        "n": n,
        "all": ms(summary_ms(latencies(rows))),
        "answered": answered,
        "unanswered": [r["id"] for r in rows if not r["answered"]],
        "cut_off": len(cut),
        "cut_off_share": round(len(cut) / n, 3) if n else 0.0,
        "cut_off_ids": cut,
        "cloud_turns": len(cloud_turns),
        "tokens_per_turn": round(float(np.mean(tokens)), 1) if n else 0.0,
        "tokens_per_cloud_turn": (
            round(
                float(
                    np.mean([t for t, r in zip(tokens, rows, strict=True) if r.get("server_turns")])
                ),
                1,
            )
            if cloud_turns
            else 0.0
        ),
        "frames_per_turn": round(float(np.mean(frames)), 3) if n else 0.0,
        "frames_per_cloud_turn": (round(sum(frames) / len(cloud_turns), 3) if cloud_turns else 0.0),
        "sim_ttfb": ms(summary_ms([r["sim_ttfb_ms"] for r in cloud_turns if r.get("sim_ttfb_ms")])),
        "server_view": {
            key: ms(summary_ms([r[key] for r in cloud_turns if r.get(key) is not None]))
            for key in ("to_server_ms", "sim_ttfb_ms", "after_server_ms")
        },
        "process": process_figures(marks),
    }


def process_figures(marks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """CPU (% of one core) while the questions were asked and while nobody was there; peak
    and final resident memory."""

    def cpu(a: str, b: str) -> float | None:
        if a not in marks or b not in marks:
            return None
        wall = (marks[b]["t_ns"] - marks[a]["t_ns"]) / 1e9
        used = marks[b]["cpu_s"] - marks[a]["cpu_s"]
        return round(100 * used / wall, 1) if wall > 0 else None

    last = marks.get("done", {})
    return {
        "busy_cpu_pct": cpu("session", "idle"),
        "idle_cpu_pct": cpu("idle", "done"),
        "peak_rss_mb": round(last["VmHWM"] / 1024, 1) if "VmHWM" in last else None,
        "rss_at_end_mb": round(last["VmRSS"] / 1024, 1) if "VmRSS" in last else None,
        "rss_ready_mb": (
            round(marks["ready"]["VmRSS"] / 1024, 1) if "VmRSS" in marks.get("ready", {}) else None
        ),
    }


def stage_summary(rows: Sequence[dict[str, Any]], route: str) -> dict[str, Any]:
    chosen = [r["stages_ms"] for r in rows if r.get("stages_ms") and r["route"] == route]
    return {stage: ms(summary_ms([s[stage] for s in chosen])) for stage in STAGES} | {
        "n": len(chosen)
    }


def compare(kiosk: Sequence[dict[str, Any]], peer: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The kiosk over the peer on the questions both answered without cutting the shopper off."""
    theirs = {r["id"]: r for r in peer}
    both = [
        (float(k["latency_ms"]), float(theirs[k["id"]]["latency_ms"]))
        for k in kiosk
        if k["id"] in theirs
        and k["latency_ms"] is not None
        and not k["cut_off"]
        and theirs[k["id"]]["latency_ms"] is not None
        and not theirs[k["id"]]["cut_off"]
    ]
    if not both:
        return {"n": 0, "kiosk": ms(summary_ms([])), "peer": ms(summary_ms([]))}
    mine, other = summary_ms([a for a, _ in both]), summary_ms([b for _, b in both])
    return {
        "n": len(both),
        "kiosk": ms(mine),
        "peer": ms(other),
        "ratio_p50": round(mine["p50_ms"] / other["p50_ms"], 3) if other["p50_ms"] else None,
        "ratio_p95": round(mine["p95_ms"] / other["p95_ms"], 3) if other["p95_ms"] else None,
    }
