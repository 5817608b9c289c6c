from __future__ import annotations

import subprocess
import sys

import pytest

from kiosk.app import choose_mode, choose_platform

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("configured", "environ", "expected"),
    [
        ("eglfs", {"DISPLAY": ":0"}, "eglfs"),  # the device's config wins
        (None, {"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":0"}, "offscreen"),  # tests
        (None, {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, "wayland;xcb"),
        (None, {"WAYLAND_DISPLAY": "wayland-0"}, "wayland"),
        (None, {"DISPLAY": ":1"}, "xcb"),  # a laptop under X, or Xvfb
        (None, {}, None),
    ],
)
def test_the_platform_comes_from_config_then_environment(
    configured: str | None, environ: dict[str, str], expected: str | None
) -> None:
    assert choose_platform(configured, environ) == expected


def test_modes() -> None:
    assert choose_mode(None, "auto", {"DISPLAY": ":0"}).name == "windowed"
    assert choose_mode("fullscreen", "auto", {"DISPLAY": ":0"}).name == "fullscreen"
    assert choose_mode(None, "fullscreen", {}, platform="eglfs").name == "fullscreen"
    assert choose_mode("headless", "fullscreen", {"DISPLAY": ":0"}).name == "headless"
    blind = choose_mode(None, "auto", {})
    assert blind.name == "headless" and "no display" in blind.note


def test_the_headless_kiosk_never_loads_qt() -> None:
    code = (
        "import sys, kiosk.app, kiosk.cli, kiosk.text_questions, kiosk.events; "
        "sys.exit(1 if any(m.startswith('PySide6') for m in sys.modules) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
