"""The appliance's files: systemd units verify cleanly, install.sh is idempotent, scripts parse."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.deploy
ROOT = Path(__file__).resolve().parents[2]
UNITS = sorted((ROOT / "systemd").glob("*.service"))
DROPINS = sorted((ROOT / "systemd" / "dropins").glob("*.conf"))
SCRIPTS = [*sorted((ROOT / "deploy" / "lib").glob("*.sh")), ROOT / "deploy/mender/kiosk-config"]


def _unit_dir(tmp_path: Path, dropins: list[Path]) -> Path:
    """The units as install.sh lays them out, with /opt/kiosk pointing at this checkout, so
    `systemd-analyze verify` can check that every command exists."""
    prefix = tmp_path / "opt-kiosk"
    (prefix / "venv" / "bin").mkdir(parents=True)
    (prefix / "venv" / "bin" / "kiosk").symlink_to(Path(sys.executable).parent / "kiosk")
    (prefix / "lib").mkdir()
    for script in (ROOT / "deploy" / "lib").glob("*.sh"):
        (prefix / "lib" / script.name).symlink_to(script)
    units = tmp_path / "units"
    (units / "kiosk.service.d").mkdir(parents=True)
    for source, dest in [(u, units / u.name) for u in UNITS] + [
        (d, units / "kiosk.service.d" / d.name) for d in dropins
    ]:
        dest.write_text(source.read_text().replace("/opt/kiosk", str(prefix)))
    return units


def _verify(units: Path) -> subprocess.CompletedProcess[str]:
    if shutil.which("systemd-analyze") is None:
        pytest.fail("systemd-analyze not found: install Debian's systemd")
    return subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *[u.name for u in UNITS]],
        cwd=units,
        env=dict(os.environ, SYSTEMD_UNIT_PATH=f"{units}:", SYSTEMD_LOG_COLOR="0"),
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("dropin", [None, *DROPINS], ids=lambda d: d.stem if d else "eglfs")
def test_systemd_analyze_verify_is_clean(tmp_path: Path, dropin: Path | None) -> None:
    done = _verify(_unit_dir(tmp_path, [dropin] if dropin else []))
    # verify exits 0 on unknown keys and bad values; any output at all is a problem
    assert done.returncode == 0 and not (done.stdout + done.stderr).strip(), done.stderr


def test_verify_catches_a_broken_unit(tmp_path: Path) -> None:
    units = _unit_dir(tmp_path, [])
    unit = units / "kiosk.service"
    unit.write_text(unit.read_text().replace("WatchdogSec=", "WatchdogSecs="))
    done = _verify(units)
    assert "Unknown key" in done.stderr and "WatchdogSecs" in done.stderr


def test_kiosk_unit_has_what_the_appliance_needs() -> None:
    text = (ROOT / "systemd" / "kiosk.service").read_text()
    lines = {line.strip() for line in text.splitlines()}
    for wanted in (
        "Type=notify",
        "Restart=always",
        "OnFailure=kiosk-out-of-order.service",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "ExecStartPre=/opt/kiosk/venv/bin/kiosk config check /etc/kiosk/kiosk.toml",
        "SupplementaryGroups=video audio render input",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "StateDirectory=kiosk",
        "CacheDirectory=kiosk",
        "LogsDirectory=kiosk",
        "LoadCredential=gemini_api_key:/etc/kiosk/credentials/gemini_api_key",
    ):
        assert wanted in lines, wanted
    assert any(line.startswith("WatchdogSec=") for line in lines)
    assert any(line.startswith("StartLimitBurst=") for line in lines)
    assert {"DeviceAllow=char-video4linux rw", "DeviceAllow=char-alsa rw"} <= lines
    assert not any(line.startswith("PrivateDevices") for line in lines)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_scripts_parse_as_posix_sh(script: Path) -> None:
    shell = shutil.which("dash") or "sh"
    subprocess.run([shell, "-n", str(script)], check=True)
    assert os.access(script, os.X_OK)


def test_display_setup_skips_a_missing_console(tmp_path: Path) -> None:
    done = subprocess.run(
        ["sh", str(ROOT / "deploy/lib/display-setup.sh"), str(tmp_path / "tty9")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and "not a terminal device" in done.stderr


def _snapshot(root: Path) -> dict[str, tuple[object, ...]]:
    found: dict[str, tuple[object, ...]] = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        link = os.readlink(path) if path.is_symlink() else ""
        found[str(path.relative_to(root))] = (st.st_mode, st.st_size, st.st_mtime_ns, link)
    return found


def test_install_twice_changes_nothing_the_second_time(tmp_path: Path, model_cache: object) -> None:
    """install.sh into another root: everything but apt and user creation (which need the real
    root), with the built wheel and without downloading dependencies."""
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = wheels.glob("kiosk-*.whl")
    target = tmp_path / "root"
    env = dict(
        os.environ,
        KIOSK_ROOT=str(target),
        KIOSK_SKIP_APT="1",
        KIOSK_WHEEL=str(wheel),
        KIOSK_PIP_ARGS="--no-deps --no-index",
        KIOSK_MODELS_FROM=str(model_cache.root),  # type: ignore[attr-defined]
    )

    def install() -> str:
        done = subprocess.run(
            ["bash", str(ROOT / "deploy/install.sh")],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stderr

    first = install()
    assert "installed the kiosk package" in first and "enabled kiosk.service" in first
    before = _snapshot(target)
    second = install()
    assert "nothing to change" in second
    assert [line for line in second.splitlines() if "wrote" in line or "created" in line] == []
    assert _snapshot(target) == before

    etc = target / "etc"
    assert (target / "opt/kiosk/venv/bin/kiosk").is_file()
    assert (target / "opt/kiosk/lib/out-of-order.sh").stat().st_mode & 0o111
    assert (etc / "systemd/system/multi-user.target.wants/kiosk.service").is_symlink()
    assert "/opt/kiosk/venv/bin/kiosk run" in (etc / "systemd/system/kiosk.service").read_text()
    assert oct((etc / "kiosk/credentials/gemini_api_key").stat().st_mode & 0o777) == "0o600"
    assert "QT_QPA_PLATFORM=eglfs" in (etc / "kiosk/display.env").read_text()
    check = subprocess.run(
        [
            str(Path(sys.executable).parent / "kiosk"),
            "config",
            "check",
            str(etc / "kiosk/kiosk.toml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    verified = subprocess.run(
        [
            str(Path(sys.executable).parent / "kiosk"),
            "models",
            "verify",
            "--cache",
            str(target / "var/lib/kiosk/models"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stderr
