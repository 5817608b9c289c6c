"""The project installs from its own files: packaging, scripts, and code quality gates."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import tomllib

pytestmark = pytest.mark.deploy
ROOT = Path(__file__).resolve().parents[2]


def test_every_python_package_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    mapping = {v: k for k, v in config["package-dir"].items()}
    found = set()
    for init in ROOT.glob("*/**/__init__.py"):
        rel = init.parent.relative_to(ROOT)
        if rel.parts[0] in {"tests", "scripts", ".venv", "build"}:
            continue
        top = mapping.get(rel.parts[0], rel.parts[0])
        found.add(".".join((top, *rel.parts[1:])))
    assert found == set(config["packages"])


def test_no_torch_at_run_time() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = [d.lower() for d in project["dependencies"]]
    assert not any(d.startswith(("torch", "silero-vad")) for d in deps)


def test_wheel_carries_the_demo_store_and_the_manifest(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = tmp_path.glob("kiosk-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "kiosk/stores/demo/store.toml" in names
    assert "kiosk/stores/demo/map.png" in names
    assert "kiosk/stores/demo/images/0041333424019.jpg" in names
    assert "kiosk_models/manifest.toml" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "kiosk = kiosk.cli:main" in text and "kiosk-fleet = kiosk.fleet:main" in text


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "scripts/dev.sh test" in readme and "scripts/dev.sh run" in readme
    assert "scripts/dev.sh test" in ci.splitlines()  # the line, as the README writes it


@pytest.mark.parametrize("script", ["scripts/dev.sh", ".ci/run"])
def test_shell_scripts_parse(script: str) -> None:
    subprocess.run(["bash", "-n", str(ROOT / script)], check=True)


def test_dev_script_refuses_unknown_commands() -> None:
    done = subprocess.run(
        ["bash", str(ROOT / "scripts/dev.sh"), "dance"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2 and "usage" in done.stderr


def test_ruff_is_clean() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout[-3000:]


def test_mypy_strict_is_clean() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:]
