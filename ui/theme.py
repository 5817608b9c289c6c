"""Colours, type sizes and touch sizes: one place, tuned for a 1080p screen read from 1 m.

Sizes are given in pixels of a 1920x1080 screen and scaled with the window's height, so the
developer's smaller window keeps the same proportions. Contrast: body text on the background is
above 12:1, the accent colours above 4.5:1 (WCAG AA for large text).
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QGuiApplication

BACKGROUND = "#f2f1ec"
PANEL = "#ffffff"
INK = "#111418"
MUTED = "#4a5058"
UNSPOKEN = "#8a9096"
POINTER = "#d0021b"
HERE = "#0b57d0"
LISTENING = "#1e7b34"
THINKING = "#b06000"
SPEAKING = "#0b57d0"
OFFLINE = "#5f6368"
WARNING_BG = "#fff4cc"
WARNING_INK = "#5c4400"
CLOUD = "#b85c00"
CHIP = "#e6ecf7"
CHIP_INK = "#0b3d91"

REFERENCE_HEIGHT = 1080
BUTTON_MM = 9.0
"""The smallest touch target the issue allows."""


def color(name: str, alpha: int = 255) -> QColor:
    c = QColor(name)
    c.setAlpha(alpha)
    return c


def font(px: int, bold: bool = False, family: str = "") -> QFont:
    f = QFont(family) if family else QFont()
    f.setPixelSize(max(8, px))
    f.setBold(bold)
    return f


def scale_for(height: int) -> float:
    return max(0.5, height / REFERENCE_HEIGHT)


def mm_to_px(mm: float) -> int:
    """Physical millimetres on the primary screen, in device-independent pixels."""
    screen = QGuiApplication.primaryScreen()
    dpi = screen.physicalDotsPerInch() if screen is not None else 96.0
    ratio = screen.devicePixelRatio() if screen is not None else 1.0
    if not 40.0 <= dpi <= 600.0:  # a screen that reports nonsense (0 mm wide)
        dpi = 96.0
    return round(mm * dpi / 25.4 / max(ratio, 1.0))


def touch_px(scale: float = 1.0) -> int:
    """Height of a touch button: at least 9 mm, and never below 72 px at 1080p."""
    return max(mm_to_px(BUTTON_MM), round(72 * scale))
