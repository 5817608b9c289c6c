"""`kiosk ask --cloud sim` escalates what the catalog cannot answer, end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from kiosk.models import ModelCache
from kiosk.store.pack import demo_store_path
from tests.cloud.conftest import SUNSCREEN

pytestmark = pytest.mark.models


def _ask(cloud: str) -> dict[str, object]:
    command = [sys.executable, "-m", "kiosk", "ask", "--store", str(demo_store_path())]
    command += ["--audio", str(SUNSCREEN), "--cloud", cloud, "--json"]
    env = {**os.environ, "KIOSK_CLOUD__REPLY_TIMEOUT_S": "30"}  # behaviour, not speed
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=300, check=False, env=env
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_ask_with_the_simulator_escalates_and_points_at_the_shelf(
    model_cache: ModelCache,
) -> None:
    result = _ask("sim")
    assert result["route"] == "cloud"
    assert result["shelf"] == "P1"
    assert "sunscreen" in str(result["reply_text"]).lower()
    timings = result["timings_ms"]
    assert isinstance(timings, dict) and "cloud_first_audio" in timings


def test_ask_with_the_cloud_off_keeps_the_honest_fallback(model_cache: ModelCache) -> None:
    result = _ask("off")
    assert result["route"] == "fallback"
    assert "can't answer it here" in str(result["reply_text"])
