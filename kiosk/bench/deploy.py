"""`kiosk bench deploy`: how long a safe config apply, a rollback and a fleet push take.

It starts the same lab as the deploy tests (a real sshd on loopback, three real headless
kiosks), then times, as an operator sees them (wall time of the whole command):
- `kiosk config apply` of a good config on a healthy kiosk (target: 3 s or less), for a
  setting the kiosk takes live, and for one that needs a restart (the models load again);
- `kiosk config apply` of a config the kiosk refuses (its store pack is missing there), until
  the old one is restored and healthy (target: 5 s or less);
- `kiosk-fleet push` to the three kiosks, a good config (target: 30 s or less), and one that
  fails on the canary and stops the rollout.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from kiosk.bench.fleet_lab import KioskInstance, LoopbackSshd, short_tempdir, write_inventory
from kiosk.bench.stats import summary_ms
from kiosk.store.pack import demo_store_path

TARGETS_S = {"apply": 3.0, "restore": 5.0, "push": 30.0}


def run_deploy_bench(quick: bool = False) -> dict[str, Any]:
    rounds, pushes = (3, 1) if quick else (10, 3)
    root = short_tempdir("kbench-")
    silence = _silence(root)
    sshd = LoopbackSshd(root / "sshd")
    kiosks = [KioskInstance(root / n, n, silence, supervise=True) for n in ("k1", "k2", "k3")]
    for kiosk in kiosks[1:]:
        shutil.copytree(demo_store_path(), kiosk.root / "stores" / "v2")
    try:
        sshd.start()
        for kiosk in kiosks:
            kiosk.start()
        for kiosk in kiosks:
            kiosk.wait_healthy(240)
        print(f"deploy bench: 3 kiosks healthy; {rounds} applies, {pushes} pushes each")
        apply_s, apply_inner = _applies(kiosks[1], root, rounds, "router", "applied")
        restart_s, restart_inner = _applies(kiosks[2], root, max(1, rounds // 3), "tts", "applied")
        restore_s, restore_inner = _applies(kiosks[0], root, rounds, "store", "rolled_back")
        inventory = write_inventory(root / "inv.ini", sshd, [(k.name, k) for k in kiosks])
        push_s = _pushes(root, inventory, pushes, "", 0, "1,2")
        push_serial_s = _pushes(root, inventory, pushes, "", 0, "1")
        halt_s = _pushes(root, inventory, pushes, '[store]\npath = "stores/v2"\n', 3, "1,2")
    finally:
        for kiosk in kiosks:
            kiosk.request_stop()
        for kiosk in kiosks:
            kiosk.stop()
        sshd.stop()
        shutil.rmtree(root, ignore_errors=True)
    report = {
        "apply_healthy": {**summary_ms(apply_s), "inner": summary_ms(apply_inner)},
        "apply_with_restart": {**summary_ms(restart_s), "inner": summary_ms(restart_inner)},
        "apply_rolled_back": {**summary_ms(restore_s), "inner": summary_ms(restore_inner)},
        "push_3_kiosks": summary_ms(push_s),
        "push_3_kiosks_one_by_one": summary_ms(push_serial_s),
        "push_stopped_at_canary": summary_ms(halt_s),
        "targets_s": TARGETS_S,
        "quick": quick,
    }
    _print(report)
    return report


CHANGES = {
    "router": "[router]\nmin_confidence = {value}\n",  # live
    "tts": "[tts]\nlength_scale = {value}\n",  # needs a restart
    "store": '[store]\npath = "stores/missing-{i}"\n',  # refused: no such store pack here
}


def _applies(
    kiosk: KioskInstance, root: Path, rounds: int, change: str, expect: str
) -> tuple[list[float], list[float]]:
    wall, inner = [], []
    for i in range(rounds):
        config = root / f"apply-{kiosk.name}-{i}.toml"
        body = CHANGES[change].format(
            value=(0.6, 0.7)[i % 2] if change == "router" else (1.1, 1.0)[i % 2], i=i
        )
        config.write_text(f'revision = "bench-{kiosk.name}-{i}"\n{body}')
        start = time.perf_counter()
        done = subprocess.run(
            [
                *(kiosk.kiosk_bin, "config", "apply", str(config), "--json"),
                *("--config", str(kiosk.config_path), "--socket", str(kiosk.socket)),
                *("--restart-command", kiosk.restart_command),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        wall.append((time.perf_counter() - start) * 1000)
        outcome = json.loads(done.stdout.strip().splitlines()[-1])
        if outcome["result"] != expect:
            raise RuntimeError(f"apply on {kiosk.name}: expected {expect}, got {outcome}")
        inner.append(float(outcome["seconds"]) * 1000)
    return wall, inner


def _pushes(
    root: Path, inventory: Path, rounds: int, body: str, expect: int, waves: str
) -> list[float]:
    fleet = str(Path(sys.executable).parent / "kiosk-fleet")
    times = []
    for i in range(rounds):
        config = root / f"push-{expect}-{waves}-{i}.toml"
        config.write_text(f'revision = "bench-push-{expect}-{i}-{waves}"\n{body}')
        start = time.perf_counter()
        done = subprocess.run(
            [
                *(fleet, "push", str(config), "--inventory", str(inventory), "--waves", waves),
                *("--audit-log", str(root / "audit.jsonl")),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        times.append((time.perf_counter() - start) * 1000)
        if done.returncode != expect:
            raise RuntimeError(
                f"push: expected exit {expect}, got {done.returncode}: {done.stdout}"
            )
    return times


def _silence(root: Path) -> Path:
    """A second of silence as the kiosks' microphone."""
    import numpy as np

    from edge.wav import write_wav

    path = root / "silence.wav"
    write_wav(path, np.zeros(16000, dtype=np.int16), 16000)
    return path


def _print(report: dict[str, Any]) -> None:
    rows = [
        ("kiosk config apply, healthy (live)", "apply_healthy", "apply"),
        ("kiosk config apply, healthy (restart)", "apply_with_restart", "apply"),
        ("kiosk config apply, refused -> restored", "apply_rolled_back", "restore"),
        ("kiosk-fleet push, 3 kiosks (waves 1,2)", "push_3_kiosks", "push"),
        ("kiosk-fleet push, 3 kiosks (waves 1,1,1)", "push_3_kiosks_one_by_one", "push"),
        ("kiosk-fleet push, stopped at canary", "push_stopped_at_canary", "push"),
    ]
    print(f"{'':42} {'n':>3} {'p50 s':>7} {'p95 s':>7} {'target':>8}")
    for label, key, target in rows:
        row = report[key]
        print(
            f"{label:42} {row['n']:>3} {row['p50_ms'] / 1000:>7.2f} {row['p95_ms'] / 1000:>7.2f}"
            f" {'<= ' + str(TARGETS_S[target]):>8}"
        )
    for key in ("apply_healthy", "apply_with_restart", "apply_rolled_back"):
        inner = report[key]["inner"]
        print(f"  {key}: inside the command (no interpreter start) p50 {inner['p50_ms']:.0f} ms")
