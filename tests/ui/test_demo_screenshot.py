"""`kiosk run --demo --screenshot`: the real models play the demo shopper; the window is saved
mid-answer. Runs offscreen (Xvfb was checked by hand: see docs/ui.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage

from ui import theme

pytestmark = [pytest.mark.ui, pytest.mark.models]


def test_demo_screenshot_is_full_hd_and_mid_answer(model_cache: object, tmp_path: Path) -> None:
    out = tmp_path / "shot.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("DISPLAY", None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk",
            "run",
            "--demo",
            "--screenshot",
            str(out),
            "--control-socket",
            str(tmp_path / "control.sock"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"screenshot saved to {out} (1920x1080)" in done.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1920, 1080)
    pointer = QColor(theme.POINTER)
    red = 0
    for y in range(0, 1080, 4):
        for x in range(0, 1200, 4):
            c = image.pixelColor(x, y)
            if (
                abs(c.red() - pointer.red()) + abs(c.green() - pointer.green()) < 60
                and c.blue() < 80
            ):
                red += 1
    assert red > 400  # the arrow, the marker, its label and the banner are drawn
