"""How CTranslate2's OpenMP threads wait: set before it loads, never over the operator's choice."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from edge.stt import OPENMP_WAIT, prepare_openmp

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def unloaded(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """A process where CTranslate2 has not loaded and nobody chose how OpenMP waits."""
    monkeypatch.delitem(sys.modules, "ctranslate2", raising=False)
    for name in OPENMP_WAIT:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_wait_is_set_before_ctranslate2_loads(unloaded: pytest.MonkeyPatch) -> None:
    assert prepare_openmp()
    assert {name: os.environ[name] for name in OPENMP_WAIT} == OPENMP_WAIT


def test_an_operators_choice_is_kept(unloaded: pytest.MonkeyPatch) -> None:
    unloaded.setenv("OMP_WAIT_POLICY", "PASSIVE")
    assert prepare_openmp()
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    assert "GOMP_SPINCOUNT" not in os.environ  # it would make PASSIVE spin


def test_too_late_once_ctranslate2_has_loaded(unloaded: pytest.MonkeyPatch) -> None:
    unloaded.setitem(sys.modules, "ctranslate2", sys)  # any module: only its presence counts
    assert not prepare_openmp()
    assert not any(name in os.environ for name in OPENMP_WAIT)


def test_ctranslate2s_own_libgomp_reads_the_wait() -> None:
    """libgomp reads its variables once, when it loads: it must see what was set in-process."""
    env = {k: v for k, v in os.environ.items() if k not in OPENMP_WAIT}
    env["OMP_DISPLAY_ENV"] = "VERBOSE"  # libgomp prints the settings it loaded with
    code = "from edge.stt import prepare_openmp; prepare_openmp(); import ctranslate2"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "OMP_WAIT_POLICY = 'ACTIVE'" in done.stderr
    assert "GOMP_SPINCOUNT = '100000'" in done.stderr
