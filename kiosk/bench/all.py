"""`kiosk bench all`: the audio, vision, routing and end-to-end benchmarks, one after another,
in one report. A benchmark that is not in this build is named under `missing`; one that fails
is named under `errors` with its one-line reason; the others still run."""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from edge.errors import EdgeError
from kiosk.errors import KioskError

SUITES = ("audio", "vision", "routing", "e2e")


def _runner(suite: str) -> Callable[..., dict[str, Any]] | None:
    try:
        module = importlib.import_module(f"kiosk.bench.{suite}")
    except ModuleNotFoundError as exc:
        if exc.name == f"kiosk.bench.{suite}":
            return None
        raise
    found = getattr(module, f"run_{suite}_bench", None)
    return found if callable(found) else None


def run_all_bench(
    quick: bool = False,
    json_out: Path | None = None,
    out_dir: Path | None = None,
    ttfb_ms: float = 300.0,
) -> dict[str, Any]:
    report: dict[str, Any] = {"quick": quick, "missing": [], "errors": {}, "seconds": {}}
    for suite in SUITES:
        run = _runner(suite)
        if run is None:
            report["missing"].append(f"kiosk bench {suite}: not in this build")
            print(f"bench all: {suite}: not in this build", flush=True)
            continue
        print(f"bench all: {suite}...", flush=True)
        started = time.monotonic()
        try:
            if suite == "e2e":
                from kiosk.bench.e2e import E2eOptions

                folder = out_dir or (json_out.parent if json_out is not None else None)
                e2e_json = json_out.with_name(json_out.stem + "-e2e.json") if json_out else None
                options = E2eOptions(ttfb_ms=ttfb_ms, out_dir=folder)
                report[suite] = run(quick, e2e_json, options)
            else:
                report[suite] = run(quick=quick)
        except (KioskError, EdgeError, OSError, RuntimeError) as exc:
            report["errors"][suite] = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
            print(f"bench all: {suite} failed: {report['errors'][suite]}", flush=True)
        report["seconds"][suite] = round(time.monotonic() - started, 1)
    if json_out is not None:
        json_out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    for line in report["missing"]:
        print(f"bench all: missing: {line}")
    return report
