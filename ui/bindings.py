"""A start-up check of the Qt bindings themselves.

PySide6 6.12.0 releases a reference to None on every call of a method that returns nothing
when it runs on Python 3.11 (where None is not yet immortal): the screen then dies with
"Fatal Python error: none_dealloc" after a few thousand paints, i.e. within minutes. The
dependency range excludes it; this check turns a mismatched install into a clear error at
start instead of a crash in front of a shopper.
"""

from __future__ import annotations

import sys

from PySide6 import __version__ as pyside_version
from PySide6.QtGui import QPainterPath

from kiosk.errors import KioskError


class QtBindingsError(KioskError):
    """The installed PySide6 cannot run the screen; reinstalling another version fixes it."""


def leaked_none_refs(calls: int = 64) -> int:
    """How many references to None `calls` void Qt calls dropped (0 when the bindings are sound)."""
    path = QPainterPath()
    before = sys.getrefcount(None)
    for _ in range(calls):
        path.lineTo(1.0, 1.0)
    return max(0, before - sys.getrefcount(None))


def check_bindings() -> None:
    if sys.version_info >= (3, 12):
        return  # None is immortal: the miscount is harmless
    if leaked_none_refs() > 8:
        raise QtBindingsError(
            f"PySide6 {pyside_version} miscounts references on Python "
            f"{sys.version_info.major}.{sys.version_info.minor} and would crash the screen "
            "within minutes; install a sound version: pip install 'PySide6-Essentials>=6.6,<6.12'"
        )
