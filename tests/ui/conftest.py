"""Fixtures for the screen's tests: the real window on the demo store, a hand-wound clock, and a
real turn engine on the demo catalog with scripted speech stages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pytestqt.qtbot import QtBot

from kiosk.agent.turn import TurnEngine
from kiosk.store.catalog import Catalog
from kiosk.store.pack import StorePack, demo_store_path, load_store
from tests.fakes import LoudnessVad, ScriptedStt, ToneTts
from ui.window import KioskWindow, WindowOptions


class ManualClock:
    """Time moves only when a test says so."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session")
def demo_store() -> StorePack:
    return load_store(demo_store_path())


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


WindowFactory = Callable[..., KioskWindow]


@pytest.fixture
def make_window(qtbot: QtBot, demo_store: StorePack, clock: ManualClock) -> WindowFactory:
    def make(
        store: StorePack | None = None,
        ask: Callable[[str], object] | None = None,
        **options: object,
    ) -> KioskWindow:
        opts = WindowOptions(**{"suggestions": ("AA batteries", "Whole milk"), **options})  # type: ignore[arg-type]
        win = KioskWindow(store or demo_store, opts, ask=ask, clock=clock)
        qtbot.addWidget(win)
        win.resize(1600, 900)
        win.show()
        qtbot.waitExposed(win)
        return win

    return make


@pytest.fixture
def window(make_window: WindowFactory) -> KioskWindow:
    win = make_window()
    win.wake()  # past the attract screen
    return win


@pytest.fixture
def demo_engine(demo_store: StorePack) -> TurnEngine:
    """The real router and catalog on the demo store; speech stages scripted (no models)."""
    return TurnEngine(Catalog(demo_store), LoudnessVad(), ScriptedStt(), ToneTts())
