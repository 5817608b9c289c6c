"""`kiosk bench e2e --quick` runs end to end: three questions through the real kiosk and both
Pipecat configurations, against the simulator, and writes DESIGN.md's JSON keys, the Markdown
table and the plots. Behaviour only: what the figures are is the benchmark's business."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.bench.e2e import E2eOptions, run_e2e_bench
from kiosk.bench.e2e_procs import pipecat_python
from kiosk.models import ModelCache

pytestmark = pytest.mark.models


def test_quick_e2e_run_reports_the_designs_keys(model_cache: ModelCache, tmp_path: Path) -> None:
    if not pipecat_python().is_file():
        pytest.fail(f"{pipecat_python()}: no pipecat environment; scripts/dev.sh test makes it")
    out = tmp_path / "e2e.json"
    report = run_e2e_bench(quick=True, json_out=out, options=E2eOptions(cold_start=False))
    saved = json.loads(out.read_text(encoding="utf-8"))
    for key in ("local", "cloud"):
        assert {"n", "p50_ms", "p95_ms"} <= set(saved[key])
    assert {"name", "p50_ms", "p95_ms", "ratio_p50"} <= set(saved["peer"])
    assert 0.0 <= saved["local_share"] <= 1.0
    assert set(saved["peers"]) == {"server-vad", "smart-turn"}
    assert saved["missing"] == []
    kiosk = saved["kiosk"]
    assert kiosk["n"] == 3 and len(kiosk["rows"]) == 3
    assert {"busy_cpu_pct", "idle_cpu_pct", "peak_rss_mb"} <= set(kiosk["process"])
    assert {"local", "cloud"} <= set(saved["stages"])
    assert kiosk["answered"] >= 1  # at least one reply was heard through the virtual speaker
    for name in ("markdown", "latency_plot", "stages_plot"):
        assert Path(report["files"][name]).stat().st_size > 0
    assert "| local turns p50 |" in Path(report["files"]["markdown"]).read_text()
