"""Numpy's BLAS runs on one thread in the kiosk, so no pool is left spinning after a product."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SPIN_AFTER_PRODUCT = """
import sys, time
import numpy as np
from edge.cpu import single_thread_blas
print(single_thread_blas())
mel, power = np.ones((80, 201), np.float32), np.ones((201, 800), np.float32)  # Smart Turn's
for _ in range(5):
    mel @ power
    used = time.process_time()
    time.sleep(0.2)
    print(round((time.process_time() - used) * 1000, 1))
from threadpoolctl import threadpool_info
print([pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"])
"""


def _run(env: dict[str, str]) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", SPIN_AFTER_PRODUCT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split("\n")


def test_no_cpu_is_spent_while_waiting_after_a_product() -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    lines = _run(env)
    assert lines[0] == "True"
    waits = sorted(float(ms) for ms in lines[1:6])
    assert waits[2] < 20, lines  # two threads: about 110 ms of 200 each time; one wait may
    assert lines[6] == "[1]"  # catch the process warming up (30 ms once under CI's load)


def test_an_operators_thread_count_is_kept() -> None:
    lines = _run({**os.environ, "OPENBLAS_NUM_THREADS": "2"})
    assert lines[0] == "False"
    assert lines[6] == "[2]"
    assert any(float(ms) > 50 for ms in lines[1:6]), lines  # what the one thread saves
