"""A second, independent client of the simulator: pipecat's Gemini Live service runs one turn
(server-side VAD, a tool call, audio back). pipecat pins google-genai<3 while the kiosk uses
3.x, so it lives in its own virtual environment, `$VENV/pipecat` (scripts/dev.sh makes it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.cloud.sim.server import SimThread
from tests.cloud.conftest import SUNSCREEN

pytestmark = pytest.mark.models
DRIVER = Path(__file__).parent / "peers" / "pipecat_turn.py"


def pipecat_python() -> Path:
    configured = os.environ.get("KIOSK_PIPECAT_PYTHON")
    return Path(configured) if configured else Path(sys.prefix) / "pipecat" / "bin" / "python"


def test_pipecat_gemini_live_runs_a_turn_against_the_simulator(sim: SimThread) -> None:
    python = pipecat_python()
    if not python.is_file():
        pytest.fail(f"{python}: no pipecat environment; run scripts/dev.sh test to make it")
    command = [
        str(python),
        str(DRIVER),
        sim.server.base_url,
        str(sim.server.ca_path),
        str(SUNSCREEN),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    [call] = result["calls"]
    assert call["name"] == "lookup_product" and "sunscreen" in call["args"]["query"].lower()
    assert result["audio_bytes"] > 24000 * 2  # at least a second of 24 kHz reply
    assert "sunscreen" in result["text"].lower()
    [setup] = sim.server.stats.setups
    assert "automaticActivityDetection" not in json.dumps(setup)  # the server's VAD cut the turn
