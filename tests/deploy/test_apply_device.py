"""`kiosk config apply` and the config watch on a real headless kiosk."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.deploy.conftest import Fleet

pytestmark = pytest.mark.deploy


def _apply(fleet: Fleet, name: str, text: str) -> subprocess.CompletedProcess[str]:
    kiosk = fleet.kiosk(name)
    source = fleet.root / f"{name}-apply.toml"
    source.write_text(text)
    return subprocess.run(
        [
            kiosk.kiosk_bin,
            "config",
            "apply",
            str(source),
            "--config",
            str(kiosk.config_path),
            "--socket",
            str(kiosk.socket),
            "--restart-command",
            kiosk.restart_command,
            "--restart-timeout",
            "240",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _wait_for_revision(fleet: Fleet, name: str, revision: str) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if fleet.kiosk(name).health()["config_revision"] == revision:
            return True
        time.sleep(0.1)
    return False


def test_a_setting_that_needs_a_restart_says_so_and_restarts_the_kiosk(fleet: Fleet) -> None:
    kiosk = fleet.kiosk("k3")
    pid = kiosk.health()["pid"]
    done = _apply(fleet, "k3", 'revision = "slower-voice"\n[tts]\nlength_scale = 1.1\n')
    assert done.returncode == 0, done.stderr + kiosk.log_tail()
    assert "needs a restart for tts.length_scale" in done.stderr
    health = kiosk.health()
    assert health["config_revision"] == "slower-voice" and health["healthy"]
    assert health["pid"] != pid  # a new process, on the new config


def test_the_kiosk_picks_up_a_file_renamed_into_place(fleet: Fleet) -> None:
    kiosk = fleet.kiosk("k1")
    tmp = kiosk.config_path.with_name(".kiosk.toml.editor")
    for revision in ("watched-1", "watched-2"):  # a watch on the file would miss the second
        tmp.write_text(f'revision = "{revision}"\n')
        os.replace(tmp, kiosk.config_path)
        assert _wait_for_revision(fleet, "k1", revision)


def _wait_for_reload(fleet: Fleet, name: str, after: float) -> dict[str, object]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        last = fleet.kiosk(name).health()["last_reload"] or {}
        if float(last.get("at", 0)) > after:
            return dict(last)
        time.sleep(0.1)
    raise AssertionError(f"{name}: no reload after {after}")


def test_a_bad_file_is_refused_and_sighup_reloads(fleet: Fleet) -> None:
    kiosk = fleet.kiosk("k1")
    kiosk.config_path.write_text('revision = "hup-good"\n')
    assert _wait_for_revision(fleet, "k1", "hup-good")
    started = time.time()
    kiosk.config_path.write_text("revision = 12\n")  # not a string: the watcher sees, refuses
    refused = _wait_for_reload(fleet, "k1", started)
    assert refused["ok"] is False
    assert "revision: Input should be a valid string" in str(refused["message"])
    health = kiosk.health()
    assert health["healthy"] and health["config_revision"] == "hup-good"
    os.kill(health["pid"], signal.SIGHUP)  # systemctl reload: re-read, refused again
    again = _wait_for_reload(fleet, "k1", float(str(refused["at"])))
    assert again["ok"] is False and kiosk.health()["config_revision"] == "hup-good"
    kiosk.config_path.write_text('revision = "hup-fixed"\n')
    assert _wait_for_revision(fleet, "k1", "hup-fixed")


def test_apply_leaves_the_backup_and_a_history(fleet: Fleet) -> None:
    kiosk = fleet.kiosk("k2")
    previous = kiosk.config_path.read_text()
    done = _apply(fleet, "k2", 'revision = "with-backup"\n')
    assert done.returncode == 0, done.stderr
    assert Path(f"{kiosk.config_path}.bak").read_text() == previous
    assert (
        '"revision": "with-backup"'
        in kiosk.config_path.with_name("config-history.jsonl").read_text()
    )


def test_systemd_hears_ready_status_watchdog_and_reloads(fleet: Fleet) -> None:
    """k1 runs with NOTIFY_SOCKET and WATCHDOG_USEC set, as under kiosk.service."""
    kiosk = fleet.kiosk("k1")
    pid = kiosk.health()["pid"]
    ready = [m for m in fleet.notify.messages if m.startswith("READY=1\nMAINPID=")]
    assert ready and f"MAINPID={pid}" in ready[0] and "config revision" in ready[0]
    seen = len(fleet.notify.messages)
    deadline = time.monotonic() + 30  # pings every WATCHDOG_USEC/2 = 1 s from the agent loop
    while fleet.notify.messages[seen:].count("WATCHDOG=1") < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert fleet.notify.messages[seen:].count("WATCHDOG=1") >= 2
    seen = len(fleet.notify.messages)
    done = _apply(fleet, "k1", 'revision = "told-systemd"\n')
    assert done.returncode == 0, done.stderr
    after = fleet.notify.messages[seen:]
    reloading = next(i for i, m in enumerate(after) if m.startswith("RELOADING=1"))
    assert any(
        m.startswith("READY=1") and "applied revision told-systemd" in m for m in after[reloading:]
    )
    assert any(m.startswith("STATUS=") for m in fleet.notify.messages)
