"""A slice of the routing set through the real stages: questions go where their labels say, and
a local answer never names the wrong shelf. `kiosk bench routing` runs the whole set."""

from __future__ import annotations

import pytest

from edge.wav import read_wav
from kiosk.bench.routing import RouteOnlyCloud, default_set_dir, load_manifest, score
from kiosk.config import load_config
from kiosk.models import ModelCache
from kiosk.runtime import build_runtime

pytestmark = pytest.mark.models


def test_a_slice_of_the_routing_set(model_cache: ModelCache) -> None:
    folder = default_set_dir()
    entries = load_manifest(folder)[::6]
    runtime = build_runtime(load_config(None, use_env=False), cloud_mode="off")
    runtime.engine.cloud = RouteOnlyCloud()
    rows = []
    for entry in entries:
        runtime.engine.end_visit()
        rows.append(score(entry, runtime.engine.run(read_wav(folder / entry["file"]))))
    wrong = [r for r in rows if r["shelf_ok"] is False]
    assert not wrong, wrong  # never a confident wrong shelf
    right = sum(r["route_ok"] for r in rows)
    assert right >= 0.75 * len(rows), [(r["file"], r["heard"], r["reason"]) for r in rows]
