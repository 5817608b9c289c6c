"""`kiosk bench routing`: route and shelf accuracy on spoken questions, and local turn latency.

Each question of the routing set (`tests/data/routing`, made by `scripts/make_routing_set.py`:
spoken by several voices with store noise mixed in, labelled with its route and shelf) goes
through the kiosk's own turn engine with the real models: VAD, faster-whisper, the router and,
for local answers, Piper. The cloud is reported available but not asked: this benchmark scores
where a question goes, not what Gemini says.

Figures:
- route accuracy: the share of questions routed as labelled (target >= 90%);
- shelf accuracy: of the local answers that named a shelf, the share naming the right one
  (target >= 90%; a wrong shelf is the one mistake a kiosk must not make);
- local share: the share of questions answered on the device (target >= 70%);
- local turn processing: end of the utterance to the first reply audio, i.e. recognition,
  routing and the first spoken sentence (targets p50 <= 400 ms, p95 <= 600 ms for the whole
  local turn; the end-of-turn wait and the audio device's latency come on top, see
  `kiosk bench e2e`).
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from edge.stt import Transcript
from edge.wav import read_wav
from kiosk.agent.ports import CloudError, CloudReply, CloudRequest
from kiosk.agent.turn import TurnResult
from kiosk.bench.stats import summary_ms
from kiosk.errors import KioskError

TARGETS = {"route_accuracy": 0.9, "shelf_accuracy": 0.9, "local_share": 0.7}
LATENCY_TARGETS = {"local_p50_ms": 400, "local_p95_ms": 600}


class RouteOnlyCloud:
    """Reports the cloud available, so the router escalates as it would in a store; a turn
    that escalates is scored on its route and never answered."""

    def available(self) -> bool:
        return True

    def respond(self, request: CloudRequest) -> CloudReply:
        raise CloudError("routing benchmark: escalated turns are scored, not answered")


def default_set_dir() -> Path:
    env = os.environ.get("KIOSK_ROUTING_SET")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "tests" / "data" / "routing"


def load_manifest(set_dir: Path) -> list[dict[str, Any]]:
    path = set_dir / "manifest.json"
    try:
        files: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["files"]
    except FileNotFoundError:
        raise KioskError(
            f"{path}: routing set not found (run scripts/make_routing_set.py, or set "
            "KIOSK_ROUTING_SET to its folder)"
        ) from None
    except (json.JSONDecodeError, KeyError) as exc:
        raise KioskError(f"{path}: not a routing-set manifest: {exc}") from None
    return files


def score(entry: dict[str, Any], result: TurnResult) -> dict[str, Any]:
    """One question's outcome, as a JSON-ready row."""
    expect = entry["expect"]
    route = result.decision.route
    # The bench's cloud never answers, so an escalation shows as a fallback "cloud failed".
    if route == "fallback" and result.decision.reason.endswith("; cloud failed"):
        route = "cloud"
    shelf = result.shelf.id if result.shelf else None
    return {
        "file": entry["file"],
        "engine": entry.get("engine", ""),
        "expected_route": expect["route"],
        "expected_shelf": expect["shelf"],
        "route": route,
        "shelf": shelf,
        "clarified": bool(result.decision.choices),
        "route_ok": route == expect["route"],
        "shelf_ok": None if shelf is None else shelf == expect["shelf"],
        "heard": result.transcript,
        "stt_confidence": round(result.stt_confidence, 3),
        "reason": result.decision.reason.removesuffix("; cloud failed"),
        "first_audio_ms": round(result.first_audio_ms, 1),
        "timings_ms": {k: round(v, 1) for k, v in result.timings_ms.items()},
    }


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    named = [r for r in rows if r["route"] == "local" and r["shelf"] is not None]
    expected_local = [r for r in rows if r["expected_route"] == "local"]
    local = [r for r in rows if r["route"] == "local"]
    latency = [r["first_audio_ms"] for r in local if "tts_first_audio" in r["timings_ms"]]
    warm = [r["warm_first_audio_ms"] for r in local if "warm_first_audio_ms" in r]
    stages: dict[str, list[float]] = defaultdict(list)
    for r in local:
        for stage, ms in r["timings_ms"].items():
            stages[stage].append(ms)
    by_engine: dict[str, dict[str, Any]] = {}
    for engine in sorted({r["engine"] for r in rows}):
        subset = [r for r in rows if r["engine"] == engine]
        by_engine[engine] = {
            "n": len(subset),
            "route_accuracy": _share(sum(r["route_ok"] for r in subset), len(subset)),
        }
    return {
        "n": n,
        "route_accuracy": _share(sum(r["route_ok"] for r in rows), n),
        "shelf_accuracy": _share(sum(bool(r["shelf_ok"]) for r in named), len(named)),
        "local_answers_naming_a_shelf": len(named),
        "wrong_shelf": sum(1 for r in named if not r["shelf_ok"]),
        "clarifying_questions": sum(1 for r in rows if r["clarified"]),
        "local_recall": _share(
            sum(1 for r in expected_local if r["route"] == "local" and r["shelf_ok"]),
            len(expected_local),
        ),
        "local_share": _share(len(local), n),
        "local": summary_ms(latency),
        "local_prewarmed": summary_ms(warm),
        "local_stage_p50_ms": {
            stage: round(float(np.percentile(v, 50)), 1) for stage, v in sorted(stages.items())
        },
        "by_engine": by_engine,
    }


def run_routing_bench(quick: bool = False, set_dir: Path | None = None) -> dict[str, Any]:
    from kiosk.config import load_config
    from kiosk.runtime import build_runtime

    folder = set_dir or default_set_dir()
    entries = load_manifest(folder)
    if quick:
        entries = entries[::3]
    runtime = build_runtime(load_config(None), cloud_mode="off")
    engine = runtime.engine
    engine.cloud = RouteOnlyCloud()
    rows = []
    for entry in entries:
        engine.end_visit()  # each question is a visit of its own
        result = engine.run(read_wav(folder / entry["file"]))
        row = score(entry, result)
        if result.decision.route == "local":
            # The same answer again comes from the sentence cache: what a shopper hears once
            # the common answers are prewarmed.
            again = engine.answer(Transcript(result.transcript, result.stt_confidence, 0.0))
            t = result.timings_ms
            warm = again.timings_ms.get("tts_first_audio", again.timings_ms.get("tts", 0.0))
            row["warm_first_audio_ms"] = round(
                t.get("stt", 0.0) + t.get("stt_recheck", 0.0) + t["route"] + warm, 1
            )
        rows.append(row)
    summary = summarise(rows)
    _print(summary, rows)
    return {**summary, "targets": {**TARGETS, **LATENCY_TARGETS}, "quick": quick, "rows": rows}


def _print(summary: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    for r in rows:
        if not r["route_ok"] or r["shelf_ok"] is False:
            print(
                f"routing: miss {r['file']}: heard {r['heard']!r} -> {r['route']} "
                f"{r['shelf'] or ''} ({r['reason']})"
            )
    local = summary["local"]
    print(
        f"routing: {summary['n']} questions; route accuracy {summary['route_accuracy']:.1%} "
        f"(target >= 90%), shelf accuracy {summary['shelf_accuracy']:.1%} over "
        f"{summary['local_answers_naming_a_shelf']} local answers (target >= 90%), "
        f"wrong shelf {summary['wrong_shelf']}"
    )
    print(
        f"routing: local share {summary['local_share']:.1%} (target >= 70%); local recall "
        f"{summary['local_recall']:.1%}; clarifying questions {summary['clarifying_questions']}"
    )
    print(
        f"routing: local turn, end of utterance to first reply audio: p50 {local['p50_ms']} ms, "
        f"p95 {local['p95_ms']} ms over {local['n']} turns (targets 400 / 600 ms); "
        f"stage p50s {summary['local_stage_p50_ms']}"
    )
    warm = summary["local_prewarmed"]
    print(
        f"routing: local turn with the answer prewarmed (sentence cache hit): p50 "
        f"{warm['p50_ms']} ms, p95 {warm['p95_ms']} ms"
    )
    engines = ", ".join(
        f"{k} {v['route_accuracy']:.0%} of {v['n']}" for k, v in summary["by_engine"].items()
    )
    print(f"routing: route accuracy by voice engine: {engines}")


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0
