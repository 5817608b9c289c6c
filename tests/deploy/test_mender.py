"""The Mender update module, driven through its states the way the Mender client does, against a
real headless kiosk."""

from __future__ import annotations

import itertools
import os
import subprocess
from pathlib import Path

import pytest

from tests.deploy.conftest import Fleet

pytestmark = pytest.mark.deploy
MODULE = Path(__file__).resolve().parents[2] / "deploy" / "mender" / "kiosk-config"
_artifacts = itertools.count(1)


class MenderClient:
    """Lays out the module's files directory as the client does and calls the states."""

    def __init__(self, fleet: Fleet, kiosk_name: str, config_text: str) -> None:
        kiosk = fleet.kiosk(kiosk_name)
        self.files = fleet.root / f"mender-{next(_artifacts)}"
        for sub in ("header", "tmp", "files"):
            (self.files / sub).mkdir(parents=True)
        (self.files / "version").write_text("3\n")
        (self.files / "header" / "payload_type").write_text("kiosk-config\n")
        (self.files / "header" / "artifact_name").write_text(f"{self.files.name}\n")
        (self.files / "files" / "kiosk.toml").write_text(config_text)
        self.env = dict(
            os.environ,
            KIOSK_MENDER_ENV="/nonexistent",
            KIOSK_BIN=kiosk.kiosk_bin,
            KIOSK_CONFIG=str(kiosk.config_path),
            KIOSK_CONTROL_SOCKET=str(kiosk.socket),
            KIOSK_RESTART_COMMAND=kiosk.restart_command,
        )
        self.calls: list[tuple[str, int, str]] = []

    def state(self, name: str) -> tuple[int, str]:
        done = subprocess.run(
            ["sh", str(MODULE), name, str(self.files)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        self.calls.append((name, done.returncode, done.stdout.strip()))
        return done.returncode, done.stdout.strip()

    def install(self) -> list[str]:
        """The client's sequence for a module without reboot, with rollback on failure."""
        assert self.state("Download")[0] == 0
        code, _ = self.state("ArtifactInstall")
        assert self.state("NeedsArtifactReboot") == (0, "No")
        if code == 0:
            self.state("ArtifactCommit")
        else:
            assert self.state("SupportsRollback") == (0, "Yes")
            assert self.state("ArtifactRollback")[0] == 0
            self.state("ArtifactFailure")
        self.state("Cleanup")
        return [f"{name}={code}" for name, code, _ in self.calls]


def test_module_installs_a_good_config(fleet: Fleet) -> None:
    kiosk = fleet.kiosk("k2")
    client = MenderClient(fleet, "k2", 'revision = "mender-good"\n')
    states = client.install()
    assert states == [
        "Download=0",
        "ArtifactInstall=0",
        "NeedsArtifactReboot=0",
        "ArtifactCommit=0",
        "Cleanup=0",
    ]
    health = kiosk.health()
    assert health["healthy"] and health["config_revision"] == "mender-good"


def test_module_rolls_back_a_config_the_kiosk_refuses(fleet: Fleet) -> None:
    kiosk = fleet.kiosk("k2")
    before = kiosk.health()["config_revision"]
    original = kiosk.config_path.read_bytes()
    client = MenderClient(fleet, "k2", 'revision = "mender-bad"\n[store]\npath = "stores/nope"\n')
    states = client.install()
    assert states == [
        "Download=0",
        "ArtifactInstall=1",
        "NeedsArtifactReboot=0",
        "SupportsRollback=0",
        "ArtifactRollback=0",
        "ArtifactFailure=0",
        "Cleanup=0",
    ]
    assert kiosk.config_path.read_bytes() == original
    health = kiosk.health()
    assert health["healthy"] and health["config_revision"] == before


def test_rollback_after_a_successful_install_restores_the_previous_config(fleet: Fleet) -> None:
    """Mender rolls back an installed artifact when a later state fails (e.g. the commit)."""
    kiosk = fleet.kiosk("k2")
    before = kiosk.health()["config_revision"]
    client = MenderClient(fleet, "k2", 'revision = "mender-then-undone"\n')
    assert client.state("ArtifactInstall")[0] == 0
    assert kiosk.health()["config_revision"] == "mender-then-undone"
    assert client.state("ArtifactRollback")[0] == 0
    assert kiosk.health()["config_revision"] == before


def test_module_refuses_an_artifact_without_exactly_one_config(fleet: Fleet) -> None:
    client = MenderClient(fleet, "k2", 'revision = "x"\n')
    (client.files / "files" / "second.toml").write_text('revision = "y"\n')
    code, _ = client.state("ArtifactInstall")
    assert code != 0
