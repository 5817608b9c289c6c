"""`kiosk-fleet push` through Ansible and a real sshd to three real headless kiosks."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kiosk.bench.fleet_lab import write_inventory
from tests.deploy.conftest import Fleet

pytestmark = pytest.mark.deploy
FLEET = str(Path(sys.executable).parent / "kiosk-fleet")
_revisions = itertools.count(1)


def _config(fleet: Fleet, body: str = "") -> tuple[Path, str]:
    revision = f"push-{next(_revisions)}"
    path = fleet.root / f"{revision}.toml"
    path.write_text(f'revision = "{revision}"\n{body}')
    return path, revision


def _push(
    fleet: Fleet, config: Path, *args: str, kiosks: list[str] | None = None
) -> tuple[int, dict[str, Any], subprocess.CompletedProcess[str]]:
    names = kiosks or ["k1", "k2", "k3"]
    inventory = write_inventory(
        fleet.root / "inventory.ini",
        fleet.sshd,
        [(n, fleet.kiosk(n) if n.startswith("k") else None) for n in names],
    )
    out = fleet.root / "push.json"
    out.unlink(missing_ok=True)
    done = subprocess.run(
        [
            FLEET,
            "push",
            str(config),
            "--inventory",
            str(inventory),
            "--audit-log",
            str(fleet.root / "audit.jsonl"),
            "--json",
            str(out),
            *(args or ("--waves", "1,2")),  # the canary, then the other two together
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    record = json.loads(out.read_text()) if out.exists() else {}
    return done.returncode, record, done


def _status(record: dict[str, Any]) -> dict[str, str]:
    return {k["host"]: k["status"] for k in record["kiosks"]}


def _audit(fleet: Fleet) -> list[dict[str, Any]]:
    path = fleet.root / "audit.jsonl"
    return [json.loads(line) for line in path.open()] if path.exists() else []


def _history(fleet: Fleet, name: str) -> str:
    path = fleet.kiosk(name).config_path.with_name("config-history.jsonl")
    return path.read_text() if path.exists() else ""


def _revisions_now(fleet: Fleet) -> dict[str, str]:
    return {k.name: k.health()["config_revision"] for k in fleet.kiosks}


def test_good_config_is_applied_on_every_kiosk(fleet: Fleet) -> None:
    config, revision = _config(fleet, "[router]\nmin_confidence = 0.66\n")
    code, record, done = _push(fleet, config)
    assert code == 0, done.stdout + done.stderr
    assert _status(record) == {"k1": "applied", "k2": "applied", "k3": "applied"}
    assert record["wave_hosts"] == [["k1"], ["k2", "k3"]]  # the canary went first, alone
    assert _revisions_now(fleet) == {"k1": revision, "k2": revision, "k3": revision}
    assert all(k.health()["healthy"] for k in fleet.kiosks)
    # the table, and the revision recorded for audit on both sides
    rows = {line.split()[0]: line.split()[1:3] for line in done.stdout.splitlines()[1:4]}
    assert rows == {name: ["applied", revision] for name in ("k1", "k2", "k3")}
    audit = _audit(fleet)
    assert audit[-1]["revision"] == revision and audit[-1]["exit_code"] == 0
    history = fleet.kiosk("k2").config_path.with_name("config-history.jsonl").read_text()
    assert json.loads(history.splitlines()[-1])["revision"] == revision


def test_config_failing_health_on_the_canary_rolls_back_and_stops_the_rollout(
    fleet: Fleet,
) -> None:
    before = _revisions_now(fleet)
    files = {k.name: k.config_path.read_bytes() for k in fleet.kiosks}
    config, _ = _config(fleet, '[store]\npath = "stores/v2"\n')  # k1 lacks this store pack
    code, record, done = _push(fleet, config)
    assert code == 3, done.stdout + done.stderr
    assert _status(record) == {"k1": "rolled back", "k2": "not attempted", "k3": "not attempted"}
    assert record["wave_hosts"] == [["k1"]]
    assert "stores/v2/store.toml: file not found" in record["kiosks"][0]["message"]
    assert "rollout stopped after the canary" in done.stdout
    assert _revisions_now(fleet) == before  # the canary is back on its old config
    assert all(k.health()["healthy"] for k in fleet.kiosks)
    assert {k.name: k.config_path.read_bytes() for k in fleet.kiosks} == files
    for name in ("k2", "k3"):  # later waves were never touched
        assert record["sha256"] not in _history(fleet, name)


def test_an_unreachable_kiosk_is_reported_and_the_others_go_on(fleet: Fleet) -> None:
    config, revision = _config(fleet)
    code, record, done = _push(fleet, config, "--waves", "1,2", kiosks=["k1", "gone", "k3"])
    assert code == 2, done.stdout + done.stderr
    assert _status(record) == {"k1": "applied", "gone": "unreachable", "k3": "applied"}
    assert "Connection refused" in record["kiosks"][1]["message"]
    revisions = _revisions_now(fleet)
    assert revisions["k1"] == revisions["k3"] == revision


def test_schema_invalid_config_is_refused_before_anything_is_copied(fleet: Fleet) -> None:
    files = {k.name: k.config_path.read_bytes() for k in fleet.kiosks}
    histories = {k.name: _history(fleet, k.name) for k in fleet.kiosks}
    audits = len(_audit(fleet))
    config, _ = _config(fleet, "[router]\nmin_confidence = 7\n")
    code, record, done = _push(fleet, config)
    assert code == 1 and record == {}
    assert "refused, nothing was copied" in done.stderr and "router.min_confidence" in done.stderr
    assert {k.name: k.config_path.read_bytes() for k in fleet.kiosks} == files
    assert {k.name: _history(fleet, k.name) for k in fleet.kiosks} == histories
    assert len(_audit(fleet)) == audits  # Ansible never ran


def test_dry_run_shows_each_kiosks_diff_and_changes_nothing(fleet: Fleet) -> None:
    before = _revisions_now(fleet)
    files = {k.name: k.config_path.read_bytes() for k in fleet.kiosks}
    config, revision = _config(fleet, "[router]\nmin_margin = 0.1\n")
    code, record, done = _push(fleet, config, "--dry-run", "--waves", "1,2")
    assert code == 0, done.stdout + done.stderr
    assert set(_status(record).values()) == {"would change"}
    for kiosk in fleet.kiosks:
        assert f"--- {kiosk.name}" in done.stdout
        assert f'-revision = "{before[kiosk.name]}"' in done.stdout
    assert f'+revision = "{revision}"' in done.stdout and "+min_margin = 0.1" in done.stdout
    assert {k.name: k.config_path.read_bytes() for k in fleet.kiosks} == files
    assert _revisions_now(fleet) == before
