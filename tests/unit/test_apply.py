"""`kiosk config apply` against a scripted kiosk on a real control socket.

The kiosk here is a hand-written fake (its reload and restart behaviour is scripted per test);
the deploy tests run the same command against real headless kiosks.
"""

from __future__ import annotations

import hashlib
import io
import json
import shlex
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.apply import ApplyError, ApplyOptions, apply_config, run_apply_command
from kiosk.control import ControlServer
from kiosk.errors import ConfigError

pytestmark = pytest.mark.unit

OLD = 'revision = "r1"\n'
NEW = 'revision = "r2"\n[router]\nmin_confidence = 0.7\n'


class FakeKiosk:
    """Runs whatever file it last (re)loaded; `behaviour` scripts what happens to new files."""

    def __init__(self, root: Path, behaviour: str) -> None:
        self.root = root
        self.config = root / "etc" / "kiosk.toml"
        self.config.parent.mkdir()
        self.config.write_text(OLD)
        self.config.chmod(0o640)
        self.good_sha = _sha(self.config.read_bytes())
        self.running_sha = self.good_sha
        self.behaviour = behaviour
        self.healthy = True
        self.restart_log = root / "restarts"
        self.restarts_seen = 0
        self.reloads = 0
        self.server = ControlServer(
            root / "control.sock", {"health": self.health, "reload": self.reload}
        )

    @property
    def restart_command(self) -> str:
        return f"sh -c {shlex.quote(f'echo restart >> {self.restart_log}')}"

    def _file_sha(self) -> str:
        return _sha(self.config.read_bytes())

    def health(self, _: dict[str, Any]) -> dict[str, Any]:
        restarts = (
            len(self.restart_log.read_text().splitlines()) if self.restart_log.exists() else 0
        )
        if restarts > self.restarts_seen:  # "systemd" restarted us: we boot on the file
            self.restarts_seen = restarts
            self.running_sha = self._file_sha()
            self.healthy = self.behaviour != "boot_fails" or self.running_sha == self.good_sha
        return {
            "ok": True,
            "healthy": self.healthy,
            "config_sha256": self.running_sha,
            "config_path": str(self.config),
            "config_revision": "?",
            "problems": [] if self.healthy else ["models failed to load"],
        }

    def reload(self, _: dict[str, Any]) -> dict[str, Any]:
        self.reloads += 1
        sha = self._file_sha()
        if sha != self.good_sha and self.behaviour == "refuse":
            return {"ok": False, "message": "refused: store.path: not found"}
        if sha != self.good_sha and self.behaviour in ("restart", "boot_fails"):
            return {"ok": False, "restart_required": ["tts.length_scale"], "message": "restart"}
        self.running_sha = sha
        return {"ok": True, "message": "applied"}


@pytest.fixture
def kiosk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FakeKiosk]:
    fake = FakeKiosk(tmp_path, getattr(request, "param", "ok"))
    fake.server.start()
    yield fake
    fake.server.stop()


def _options(kiosk: FakeKiosk, timeout: float = 2.0) -> ApplyOptions:
    return ApplyOptions(
        target=kiosk.config,
        socket=kiosk.server.path,
        timeout_s=timeout,
        restart_timeout_s=timeout,
        restart_command=kiosk.restart_command,
    )


def _new_file(tmp_path: Path, text: str = NEW) -> Path:
    path = tmp_path / "incoming.toml"
    path.write_text(text)
    return path


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_good_config_is_applied(kiosk: FakeKiosk, tmp_path: Path) -> None:
    report = apply_config(_new_file(tmp_path), _options(kiosk))
    assert report.result == "applied" and report.exit_code == 0
    assert (report.revision, report.previous_revision) == ("r2", "r1")
    assert kiosk.config.read_text() == NEW
    assert kiosk.config.with_name("kiosk.toml.bak").read_text() == OLD
    assert stat.S_IMODE(kiosk.config.stat().st_mode) == 0o640  # the old file's mode is kept
    assert kiosk.running_sha == _sha(NEW.encode())
    history = [json.loads(x) for x in kiosk.config.with_name("config-history.jsonl").open()]
    assert history[-1]["result"] == "applied" and history[-1]["revision"] == "r2"
    assert not list(kiosk.config.parent.glob(".kiosk.toml.*.tmp"))


def test_applying_the_same_file_again_changes_nothing(kiosk: FakeKiosk, tmp_path: Path) -> None:
    apply_config(_new_file(tmp_path), _options(kiosk))
    reloads = kiosk.reloads
    report = apply_config(_new_file(tmp_path), _options(kiosk))
    assert report.result == "unchanged" and kiosk.reloads == reloads


@pytest.mark.parametrize("kiosk", ["refuse"], indirect=True)
def test_a_refused_config_is_rolled_back(kiosk: FakeKiosk, tmp_path: Path) -> None:
    report = apply_config(_new_file(tmp_path), _options(kiosk))
    assert report.result == "rolled_back" and report.exit_code == 1
    assert "store.path: not found" in report.message
    assert kiosk.config.read_text() == OLD and kiosk.running_sha == kiosk.good_sha


@pytest.mark.parametrize("kiosk", ["restart"], indirect=True)
def test_settings_needing_a_restart_restart_the_service(kiosk: FakeKiosk, tmp_path: Path) -> None:
    report = apply_config(_new_file(tmp_path), _options(kiosk))
    assert report.result == "applied" and report.restarted
    assert report.restart_fields == ["tts.length_scale"]
    assert any("needs a restart for tts.length_scale" in step for step in report.steps)
    assert kiosk.restarts_seen == 1


@pytest.mark.parametrize("kiosk", ["boot_fails"], indirect=True)
def test_a_kiosk_that_does_not_come_back_is_restored_and_restarted(
    kiosk: FakeKiosk, tmp_path: Path
) -> None:
    report = apply_config(_new_file(tmp_path), _options(kiosk, timeout=1.0))
    assert report.result == "rolled_back"
    assert "models failed to load" in report.message
    assert kiosk.config.read_text() == OLD
    assert kiosk.restarts_seen == 2 and kiosk.healthy


def test_invalid_config_changes_nothing(kiosk: FakeKiosk, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"router.min_confidence"):
        apply_config(_new_file(tmp_path, "[router]\nmin_confidence = 7\n"), _options(kiosk))
    assert kiosk.config.read_text() == OLD and kiosk.reloads == 0
    assert not kiosk.config.with_name("kiosk.toml.bak").exists()


def test_secrets_are_refused(kiosk: FakeKiosk, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="secrets are not allowed"):
        apply_config(_new_file(tmp_path, '[cloud]\napi_key = "x"\n'), _options(kiosk))


def test_a_kiosk_running_another_file_is_not_touched(kiosk: FakeKiosk, tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    other.write_text(OLD)
    options = _options(kiosk)
    options.target = other
    with pytest.raises(ApplyError, match="runs config"):
        apply_config(_new_file(tmp_path), options)
    assert other.read_text() == OLD


def test_no_kiosk_running_writes_and_restarts(tmp_path: Path) -> None:
    fake = FakeKiosk(tmp_path, "ok")  # not serving: the service is down

    def systemd() -> None:  # the restart command is what brings the kiosk up
        while not fake.restart_log.exists():
            time.sleep(0.05)
        fake.server.start()

    threading.Thread(target=systemd, daemon=True).start()
    try:
        report = apply_config(_new_file(tmp_path), _options(fake))
    finally:
        fake.server.stop()
    assert report.result == "applied" and report.restarted
    assert any("no running kiosk" in step for step in report.steps)


def test_command_prints_json(kiosk: FakeKiosk, tmp_path: Path) -> None:
    out: list[str] = []
    err: list[str] = []
    code = run_apply_command(_new_file(tmp_path), _options(kiosk), True, out.append, err.append)
    assert code == 0 and json.loads(out[0])["result"] == "applied" and not err
    code = run_apply_command(
        _new_file(tmp_path, "[nope]\n"), _options(kiosk), True, out.append, err.append
    )
    assert code == 1 and json.loads(out[1])["result"] == "refused"
    assert "nope: unknown field" in err[0]


def test_config_from_standard_input(kiosk: FakeKiosk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(NEW.encode())))
    report = apply_config(Path("-"), _options(kiosk))
    assert report.result == "applied" and kiosk.config.read_text() == NEW
