"""`kiosk bench e2e`: end of speech to first audible reply, in real time, through the real agent,
beside Pipecat on the same questions, the same simulator, the same microphone and speaker.

How a run goes (DESIGN.md, "How latency is measured"):
1. The question set (`kiosk.bench.e2e_set`) and its camera pictures are written to a work folder.
2. The local Gemini Live simulator starts on a thread of this process, with a time to first
   byte (300 ms by default) on top of its own real speech recognition and synthesis; a catalog
   service answers the Pipecat peer's tools from the same store.
3. Cold start: `kiosk run --headless` is started and timed until it tells systemd READY=1.
4. The kiosk under test (`kiosk.bench.e2e_kiosk`) runs in a process of its own: the virtual
   microphone plays the questions in real time over store noise, the virtual camera shows
   the shopper and what they hold up, the virtual speaker notes when the first audible sample
   of each reply leaves it. After the last question nobody is there for a while: the idle CPU.
5. The Pipecat peer (`kiosk.bench.pipecat_peer`, in `.venv/pipecat`) does the same, twice:
   with Gemini's server-side turn detection (its default) and with local Silero VAD and
   Smart Turn (its low-latency setup).
6. Figures: JSON (DESIGN.md's keys and more), a Markdown table, PNG plots
   (`kiosk.bench.e2e_report`).
Every figure is printed and saved; a benchmark reports, it never asserts.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kiosk.bench import e2e_analysis as analysis
from kiosk.bench.e2e_procs import REPO, Child, ChildFailed, cold_start, kiosk_env, pipecat_python
from kiosk.bench.e2e_set import SetOptions, build_plan
from kiosk.bench.host import finish, machine
from kiosk.bench.stats import summary_ms
from kiosk.bench.virtual_audio import Plan
from kiosk.errors import KioskError

log = logging.getLogger(__name__)
PEERS = ("server-vad", "smart-turn")
PEER_IDLE_S = 5.0
TARGETS = {
    "local_p50_ms": 400,
    "local_p95_ms": 600,
    "cloud_p50_ms": 600,
    "cloud_p95_ms": 1300,
    "cloud_overhead_ms": 60,
    "ratio_p50": 0.7,
    "ratio_p95": 0.4,
    "cut_off_share": 0.03,
    "idle_cpu_pct": 15,
    "peak_rss_mb": 1024,
    "cold_start_s": 5,
}


@dataclass(frozen=True)
class E2eOptions:
    quick: bool = False
    ttfb_ms: float = 300.0
    peers: tuple[str, ...] = PEERS
    cold_start: bool = True
    sim_scripted: bool = True
    """The simulator hears the question asked instead of running Whisper (see TimedBrain)."""
    sim_pace: float = 0.0
    """Reply audio pacing: 0 as fast as it is made, 1 streamed in real time."""
    out_dir: Path | None = None
    """Where the JSON, Markdown and plots go (default: next to --json, else the work folder)."""
    keep_work: bool = bool(os.environ.get("KIOSK_BENCH_KEEP"))
    """Keep the work folder (plan, pictures, each process's log, raw records) after a run
    that wrote its results elsewhere. A failed run always keeps it."""


def run_e2e_bench(
    quick: bool = False, json_out: Path | None = None, options: E2eOptions | None = None
) -> dict[str, Any]:
    from kiosk.bench.e2e_report import print_report, write_outputs

    opts = replace(options or E2eOptions(), quick=quick)
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="kiosk-e2e-"))
    try:
        report = _run(opts, work)
    finally:
        shutil.rmtree(work / "camera", ignore_errors=True)
    report["wall_s"] = round(time.monotonic() - started, 1)
    finish(report["machine"])
    out_dir = opts.out_dir or (json_out.parent if json_out is not None else work)
    stem = json_out.stem if json_out is not None else "e2e"
    if out_dir != work and not opts.keep_work:
        shutil.rmtree(work, ignore_errors=True)
        report["work"] = None
    report["files"] = write_outputs(report, out_dir, stem)
    print_report(report)
    return report


def _run(opts: E2eOptions, work: Path) -> dict[str, Any]:
    from kiosk.bench.e2e_sim import CatalogService, LoggedSimServer, start_sim
    from kiosk.cloud.instructions import system_instruction, tool_declarations
    from kiosk.config import load_config
    from kiosk.models import ModelCache, default_cache_dir
    from kiosk.store.catalog import Catalog
    from kiosk.store.pack import demo_store_path, load_store

    config = load_config(None, use_env=False)
    models = ModelCache(default_cache_dir(config.models.cache_dir))
    store = load_store(demo_store_path())
    plan = build_plan(work / "pictures", store, SetOptions(quick=opts.quick))
    plan_path = work / "plan.json"
    plan_path.write_text(json.dumps(plan.to_json(), indent=1), encoding="utf-8")
    print(
        f"e2e: {len(plan.questions)} questions, simulator TTFB {opts.ttfb_ms:.0f} ms; "
        f"work folder {work}",
        flush=True,
    )
    catalog = Catalog(store)
    texts = {q.id: q.text for q in plan.questions}
    questions = list(texts.values())
    sim = start_sim(
        config, models, opts.ttfb_ms, catalog, questions, opts.sim_scripted, opts.sim_pace
    )
    server = sim.server
    assert isinstance(server, LoggedSimServer)
    brain = server.timed_brain

    def follow(item: dict[str, Any]) -> None:
        """The simulator hears the question being asked (see TimedBrain)."""
        if "asked" in item:
            brain.asking = texts.get(str(item["asked"]), "")
        _progress(item)

    catalog_service = CatalogService(catalog).start()
    env = kiosk_env(dict(os.environ), server.base_url, str(server.ca_path), work / "state", "")
    report: dict[str, Any] = {
        "plan": {
            "questions": len(plan.questions),
            "kinds": _kinds(plan),
            "ttfb_ms": opts.ttfb_ms,
            "sim_pace": opts.sim_pace,
            "sim_scripted": opts.sim_scripted,
            "speaker_speed": plan.speaker_speed,
            "output_latency_ms": plan.output_latency_ms,
            "answer_timeout_s": plan.answer_timeout_s,
            "idle_s": plan.idle_s,
        },
        "machine": machine(),
        "targets": TARGETS,
        "quick": opts.quick,
        "missing": [],
    }
    try:
        if opts.cold_start:
            print("e2e: cold start of `kiosk run --headless`...", flush=True)
            cold_env = {**env, "KIOSK_VISION__CAMERA": plan.shopper_frame}
            try:
                report["cold_start_s"] = round(cold_start(cold_env, work, Path(plan.bed)), 2)
            except ChildFailed as exc:
                report["cold_start_s"] = None
                report["missing"].append(f"cold start: {exc}")
        else:
            report["cold_start_s"] = None
        print("e2e: the kiosk...", flush=True)
        kiosk = _kiosk(plan, plan_path, work, env, server, follow)
        report["kiosk"] = kiosk
        setup = {
            "base_url": server.base_url,
            "ca": str(server.ca_path),
            "tools_url": catalog_service.url,
            "model": config.cloud.model,
            "system_instruction": system_instruction(store),
            "tools": [
                {
                    "name": d.name,
                    "description": d.description,
                    "parameters": d.parameters_json_schema,
                }
                for tool in tool_declarations()
                for d in tool.function_declarations or []
            ],
        }
        # The peers' idle stretch is shorter: only the kiosk's idle CPU has a target.
        peer_plan = replace(plan, idle_s=min(plan.idle_s, PEER_IDLE_S))
        peer_plan_path = work / "plan-peer.json"
        peer_plan_path.write_text(json.dumps(peer_plan.to_json(), indent=1), encoding="utf-8")
        peers: dict[str, Any] = {}
        for name in opts.peers:
            print(f"e2e: Pipecat, {name}...", flush=True)
            try:
                peers[name] = _peer(name, peer_plan, peer_plan_path, work, setup, server, follow)
            except (ChildFailed, KioskError) as exc:
                report["missing"].append(f"pipecat {name}: {exc}")
        report["peers"] = peers
    finally:
        catalog_service.stop()
        sim.stop()
        raw = {"kiosk": report.get("kiosk"), "peers": report.get("peers")}
        (work / "raw.json").write_text(json.dumps(raw), encoding="utf-8")
    report["work"] = str(work)
    return summarise(report, plan)


def _kinds(plan: Plan) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for q in plan.questions:
        kinds[q.kind] = kinds.get(q.kind, 0) + 1
    return kinds


def _budget_s(plan: Plan) -> float:
    per_question = plan.answer_timeout_s + 12.0
    return plan.settle_s + plan.idle_s + len(plan.questions) * per_question + 30.0


def _wait_for_session(server: Any, before: int, timeout_s: float = 15.0) -> bool:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if len(server.stats.setups) > before:
            return True
        time.sleep(0.05)
    return False


def _kiosk(
    plan: Plan,
    plan_path: Path,
    work: Path,
    env: dict[str, str],
    server: Any,
    follow: Callable[[dict[str, Any]], None],
) -> dict[str, Any]:
    camera = work / "camera"
    command = [sys.executable, "-m", "kiosk.bench.e2e_kiosk"]
    command += [str(plan_path), str(camera)]
    child_env = {**env, "KIOSK_VISION__CAMERA": str(camera)}
    before = len(server.stats.setups)
    child = Child("kiosk", command, child_env, work / "kiosk.log")
    try:
        ready = child.mark("ready", 180 + plan.prewarm_wait_s)
        session = _wait_for_session(server, before)
        child.send("go")
        child.wait_for(lambda item: "result" in item, _budget_s(plan), follow)
        child.finish()
    finally:
        child.stop()
    assert child.result is not None
    return {
        "ready_s": round((child.marks["loaded"]["t_ns"] - child.spawned_ns) / 1e9, 2),
        "session_before_go": session,
        "camera": ready.get("camera"),
        "full_duplex": ready.get("full_duplex"),
        "marks": child.marks,
        "output": child.result,
        "server_turns": [t.to_json() for t in server.turn_log],
    }


def _peer(
    name: str,
    plan: Plan,
    plan_path: Path,
    work: Path,
    setup: dict[str, Any],
    server: Any,
    follow: Callable[[dict[str, Any]], None],
) -> dict[str, Any]:
    python = pipecat_python()
    if not python.is_file():
        raise KioskError(
            f"{python}: no Pipecat environment (scripts/dev.sh test makes it from the "
            "`pipecat` extra; or set KIOSK_PIPECAT_PYTHON)"
        )
    setup_path = work / f"pipecat-{name}.json"
    setup_path.write_text(json.dumps({**setup, "config": name}), encoding="utf-8")
    script = REPO / "kiosk" / "bench" / "pipecat_peer.py"
    before = len(server.stats.setups)
    first_turn = len(server.turn_log)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env["PYTHONUNBUFFERED"] = "1"
    child = Child(f"pipecat {name}", [str(python), str(script), str(plan_path), str(setup_path)],
                  env, work / f"pipecat-{name}.log")  # fmt: skip
    try:
        started = child.mark("started", 120)
        session = _wait_for_session(server, before)
        child.send("go")
        child.mark("ready", 30)
        child.wait_for(lambda item: "result" in item, _budget_s(plan), follow)
        child.finish()
    finally:
        child.stop()
    assert child.result is not None
    return {
        "ready_s": round((started["t_ns"] - child.spawned_ns) / 1e9, 2),
        "session_before_go": session,
        "marks": child.marks,
        "output": child.result,
        "server_turns": [t.to_json() for t in server.turn_log[first_turn:]],
    }


def _progress(item: dict[str, Any]) -> None:
    if "mark" in item and item["mark"] in ("session", "idle"):
        print(f"e2e:   {item['mark']}", flush=True)


def summarise(report: dict[str, Any], plan: Plan) -> dict[str, Any]:
    """Per-question rows and the figures, under DESIGN.md's keys."""
    gap = plan.gap_s
    kiosk = report.pop("kiosk")
    out = kiosk["output"]
    rows = analysis.kiosk_rows(out["result"], out["events"], kiosk["server_turns"], gap)
    summary = analysis.system_summary(rows, kiosk["marks"])
    n = len(rows)
    local = analysis.latencies(rows, "local")
    cloud = analysis.latencies(rows, "cloud")
    overhead = [r["overhead_ms"] for r in rows if r.get("overhead_ms") is not None]
    report["local"] = analysis.ms(summary_ms(local))
    report["cloud"] = analysis.ms(summary_ms(cloud))
    report["local_share"] = (
        round(sum(1 for r in rows if r["route"] == "local") / n, 3) if n else 0.0
    )
    report["routes"] = {
        route: sum(1 for r in rows if r["route"] == route)
        for route in sorted({r["route"] for r in rows})
    }
    report["cloud_overhead"] = analysis.ms(summary_ms(overhead))
    report["stages"] = {
        "local": analysis.stage_summary(rows, "local"),
        "cloud": analysis.stage_summary(rows, "cloud"),
    }
    report["kiosk"] = {
        **summary,
        "ready_s": kiosk["ready_s"],
        "camera": kiosk["camera"],
        "full_duplex": kiosk["full_duplex"],
        "loop": out["loop"],
        "prewarm_finished_s": (
            round((out["prewarm_done_ns"] - kiosk["marks"]["loaded"]["t_ns"]) / 1e9, 1)
            if out["prewarm_done_ns"] and "loaded" in kiosk["marks"]
            else None
        ),
        "prewarmed_before_questions": bool(kiosk["marks"]["ready"].get("prewarmed")),
        "stray_replies": len(out["result"]["stray_onsets"]),
        "rows": rows,
    }
    peers: dict[str, Any] = {}
    for name, peer in report.pop("peers", {}).items():
        peer_rows = analysis.peer_rows(peer["output"]["result"], peer["server_turns"], gap)
        peers[name] = {
            **analysis.system_summary(peer_rows, peer["marks"]),
            "ready_s": peer["ready_s"],
            "session_before_go": peer["session_before_go"],
            "stray_replies": len(peer["output"]["result"]["stray_onsets"]),
            "vs_kiosk": analysis.compare(rows, peer_rows),
            "rows": peer_rows,
        }
    report["peers"] = peers
    report["peer"] = _fastest_peer(peers)
    return report


def _fastest_peer(peers: dict[str, Any]) -> dict[str, Any]:
    """DESIGN.md's `peer`: the faster Pipecat configuration (lower p50 on the shared questions)."""
    candidates = [
        (name, p)
        for name, p in peers.items()
        if p["vs_kiosk"]["n"] and p["vs_kiosk"]["peer"]["p50_ms"] is not None
    ]
    if not candidates:
        return {"name": None, "p50_ms": None, "p95_ms": None, "ratio_p50": None, "ratio_p95": None}
    name, peer = min(candidates, key=lambda c: c[1]["vs_kiosk"]["peer"]["p50_ms"])
    versus = peer["vs_kiosk"]
    return {
        "name": f"pipecat {name}",
        "p50_ms": versus["peer"]["p50_ms"],
        "p95_ms": versus["peer"]["p95_ms"],
        "ratio_p50": versus["ratio_p50"],
        "ratio_p95": versus["ratio_p95"],
        "n": versus["n"],
    }
