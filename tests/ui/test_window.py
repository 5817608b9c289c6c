from __future__ import annotations

import threading
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from kiosk.events import PointToShelf, ReplyStarted, StatusChanged, UserSaid
from kiosk.store.pack import demo_store_path, load_store
from ui.bridge import EventBridge
from ui.window import KioskWindow

pytestmark = pytest.mark.ui


@pytest.fixture
def window(qtbot: QtBot) -> KioskWindow:
    win = KioskWindow(load_store(demo_store_path()))
    qtbot.addWidget(win)
    win.resize(1600, 900)
    win.show()
    return win


def test_reply_moves_the_pointer_and_shows_captions(window: KioskWindow) -> None:
    window.on_event(UserSaid("Where can I find the AA batteries?"))
    window.on_event(
        ReplyStarted(
            "The Duracell AA batteries are in aisle 5, left side.", "local", "locate", "A5-L"
        )
    )
    assert window.map_view.shelf_id == "A5-L"
    assert "AA batteries" in window.heard.text()
    assert window.reply.text().startswith("The Duracell")
    assert window.shelf.text() == "→ Aisle 5, left side"


def test_unknown_shelf_shows_no_pointer(window: KioskWindow) -> None:
    window.on_event(PointToShelf("A5-L"))
    window.on_event(PointToShelf("NOPE"))
    assert window.map_view.shelf_id is None


def test_status_follows_the_agent(window: KioskWindow) -> None:
    window.on_event(StatusChanged("listening"))
    assert window.status.text() == "Listening…"
    window.on_event(StatusChanged("offline", "Microphone unavailable"))
    assert window.status.text() == "Offline — Microphone unavailable"


def test_events_from_another_thread_arrive_on_the_gui_thread(
    window: KioskWindow, qtbot: QtBot
) -> None:
    bridge = EventBridge()
    bridge.connect_to(window.on_event)
    worker = threading.Thread(target=lambda: bridge.post(PointToShelf("D1")))
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: window.map_view.shelf_id == "D1", timeout=2000)


def test_screenshot_is_written(window: KioskWindow, tmp_path: Path) -> None:
    window.on_event(ReplyStarted("The milk is in the dairy cooler.", "local", "x", "D1"))
    target = tmp_path / "shot.png"
    assert window.save_screenshot(target)
    assert target.stat().st_size > 10_000
