from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from kiosk.events import (
    AudioLevel,
    CloudActivity,
    DeviceStatus,
    PointToShelf,
    Presence,
    ReplyStarted,
    StatusChanged,
    TurnCompleted,
    UserSaid,
)
from tests.ui.conftest import ManualClock, WindowFactory
from ui import theme
from ui.bindings import leaked_none_refs
from ui.bridge import EventBridge
from ui.map_view import DRAW_IN_S
from ui.window import NOBODY_GRACE_S, KioskWindow

pytestmark = pytest.mark.ui

BATTERIES = "The Duracell AA batteries are in aisle 5, left side. They're 9.99."


def _is_pointer_red(color: QColor) -> bool:
    red = QColor(theme.POINTER)
    return all(abs(a - b) < 40 for a, b in zip(color.getRgb()[:3], red.getRgb()[:3], strict=True))


def _pixel(image: QImage, at: QPoint) -> QColor:
    ratio = image.devicePixelRatio()
    return image.pixelColor(round(at.x() * ratio), round(at.y() * ratio))


def test_an_event_moves_the_pointer_to_the_right_shelf_on_the_map(
    window: KioskWindow, clock: ManualClock, qtbot: QtBot
) -> None:
    painted: list[str | None] = []
    window.map_view.painted.append(painted.append)
    window.on_event(ReplyStarted(BATTERIES, "local", "locate", "A5-L"))
    window.on_event(PointToShelf("A5-L"))
    clock.advance(DRAW_IN_S + 0.2)  # the arrow has grown all the way
    window.map_view.update()
    qtbot.waitUntil(lambda: "A5-L" in painted, timeout=2000)

    assert window.map_view.shelf_id == "A5-L"
    assert window.banner.text().endswith("Aisle 5, left side")
    shelf = window.store.shelves["A5-L"]
    here = window.map_view.marker_position()
    assert here is not None and shelf.map_xy is not None
    # the marker sits where the shelf's map pixel lands in the scaled map
    image = window.map_view.grab().toImage()
    factor = window.map_view.width() / 1280
    assert abs(here.x() - window.map_view._origin.x() - shelf.map_xy[0] * factor) < 1.5
    ring = QPoint(round(here.x() + 20 * window.map_view.scale * 0.65), round(here.y()))
    assert _is_pointer_red(_pixel(image, ring))

    window.on_event(PointToShelf("D1"))  # the dairy cooler, top of the map
    moved = window.map_view.marker_position()
    assert moved is not None and moved.y() < here.y() - 100


def test_state_changes_update_the_status(window: KioskWindow) -> None:
    expected = {
        "listening": "Listening — just ask",
        "thinking": "Thinking…",
        "speaking": "Speaking",
        "offline": "Offline",
    }
    for state, text in expected.items():
        window.on_event(StatusChanged(state))  # type: ignore[arg-type]
        assert window.status.text == text
    window.on_event(StatusChanged("thinking"))
    window.on_event(CloudActivity(True, "audio"))
    assert window.status.text == "Asking the online assistant…"
    window.on_event(StatusChanged("listening"))
    assert window.status.text == "Listening — just ask"


def test_unavailable_devices_get_a_plain_status_line(window: KioskWindow) -> None:
    warning = window.status.warning
    assert warning.isHidden()
    window.on_event(DeviceStatus("microphone", False, "PortAudio error -9996 (hw:1,0)"))
    window.on_event(StatusChanged("listening"))
    assert warning.isVisible()
    assert "can't hear" in warning.text() and "type" in warning.text()
    assert "PortAudio" not in warning.text()  # technical detail stays in the logs
    assert window.status.text == "Type your question"
    window.on_event(DeviceStatus("cloud", False))
    assert "internet" in warning.text()
    window.on_event(DeviceStatus("microphone", True))
    window.on_event(DeviceStatus("cloud", True))
    assert warning.isHidden()
    window.on_event(StatusChanged("offline", "Microphone unavailable"))
    assert warning.isVisible() and warning.text() == "Microphone unavailable"


def test_an_unknown_shelf_from_the_cloud_shows_no_pointer_and_logs_an_error(
    window: KioskWindow, caplog: pytest.LogCaptureFixture
) -> None:
    window.on_event(PointToShelf("A5-L"))
    with caplog.at_level(logging.ERROR, logger="ui.map_view"):
        window.on_event(ReplyStarted("It is over there.", "cloud", "open question", "Z9-Q"))
    assert window.map_view.shelf_id is None
    assert window.map_view.marker_position() is None
    assert window.camera.shelf is None
    assert "Aisle" not in window.banner.text()
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert errors and "'Z9-Q'" in errors[0].getMessage()
    assert window.captions.track is not None  # the reply is still captioned


def test_events_from_another_thread_arrive_on_the_gui_thread(
    window: KioskWindow, qtbot: QtBot
) -> None:
    bridge = EventBridge()
    seen: list[bool] = []
    bridge.connect_to(lambda e: seen.append(threading.current_thread() is threading.main_thread()))
    bridge.connect_to(window.on_event)
    worker = threading.Thread(target=lambda: bridge.post(PointToShelf("D1")))
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: window.map_view.shelf_id == "D1", timeout=2000)
    assert seen == [True]


def test_a_new_question_clears_the_old_pointer(window: KioskWindow) -> None:
    window.on_event(ReplyStarted(BATTERIES, "local", "locate", "A5-L"))
    window.on_event(UserSaid("How much is the milk?"))
    assert window.map_view.shelf_id is None
    assert window.captions.asked.text() == "“How much is the milk?”"


def test_the_attract_screen_comes_and_goes(window: KioskWindow, clock: ManualClock) -> None:
    assert window.attract.isHidden()
    window.on_event(StatusChanged("listening"))
    clock.advance(window.options.attract_after_s + 1)
    window.check_attract()
    assert window.attract.isVisible()
    window.on_event(UserSaid("Where is the milk?"))
    assert window.attract.isHidden()

    window.on_event(StatusChanged("speaking"))  # never while the kiosk is talking
    clock.advance(window.options.attract_after_s + 1)
    window.check_attract()
    assert window.attract.isHidden()

    window.on_event(StatusChanged("listening"))
    window.on_event(Presence(engaged=False))  # the camera says they left
    clock.advance(NOBODY_GRACE_S + 0.5)
    window.check_attract()
    assert window.attract.isVisible()
    window.on_event(Presence(engaged=True, people=1))
    assert window.attract.isHidden()


def test_touching_the_attract_screen_opens_the_main_screen(
    make_window: WindowFactory, qtbot: QtBot
) -> None:
    win = make_window()
    assert win.attract.isVisible()  # nobody yet
    qtbot.mouseClick(win.attract, Qt.MouseButton.LeftButton)
    assert win.attract.isHidden()


def test_the_developer_hud_shows_route_latency_tokens_and_levels(
    make_window: WindowFactory,
) -> None:
    win = make_window(hud=True)
    timings = {"stt": 390.2, "route": 0.6, "tts": 301.7}
    win.on_event(ReplyStarted(BATTERIES, "local", "locate: catalog match", "A5-L", timings))
    for tokens in (1200, 300):
        win.on_event(
            TurnCompleted("q", "cloud", "open", tokens={"total": tokens}, latency_ms=812.0)
        )
    win.on_event(AudioLevel(0.8, -31.0))
    text = win.hud.text()
    assert win.hud.isVisible()
    assert "route local" in text and "locate: catalog match" in text
    assert "stt 390" in text and "tts 302" in text
    assert "1500 this session" in text and "-31 dBFS" in text and "e2e  812 ms" in text
    assert BATTERIES not in text  # no transcript or reply text on the HUD


def test_kiosk_mode_hides_the_hud_and_ignores_close(
    make_window: WindowFactory, qtbot: QtBot
) -> None:
    win = make_window(kiosk=True, service_key="Ctrl+Alt+Shift+Q")
    exits: list[bool] = []
    win.on_service_exit = lambda: exits.append(True)
    assert win.hud.isHidden()
    assert not win.close()  # Alt+F4 and friends
    assert win.isVisible()
    qtbot.keyClick(win, Qt.Key.Key_Escape)
    assert win.isVisible()
    win.show_kiosk()
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    cursor = app.overrideCursor()
    assert cursor is not None and cursor.shape() == Qt.CursorShape.BlankCursor
    assert win.isFullScreen()
    assert win.windowFlags() & Qt.WindowType.FramelessWindowHint
    win.service_exit()
    assert exits == [True] and not win.isVisible()
    assert app.overrideCursor() is None


def test_kiosk_mode_service_key_leaves(make_window: WindowFactory, qtbot: QtBot) -> None:
    win = make_window(kiosk=True, service_key="Ctrl+Alt+Shift+Q")
    exits: list[bool] = []
    win.on_service_exit = lambda: exits.append(True)
    win.activateWindow()
    modifiers = (
        Qt.KeyboardModifier.ControlModifier
        | Qt.KeyboardModifier.AltModifier
        | Qt.KeyboardModifier.ShiftModifier
    )
    qtbot.keyClick(win, Qt.Key.Key_Q, modifiers)
    qtbot.waitUntil(lambda: exits == [True], timeout=2000)


def test_kiosk_mode_service_gesture_leaves(make_window: WindowFactory, qtbot: QtBot) -> None:
    win = make_window(kiosk=True, service_hold_s=0.05)
    exits: list[bool] = []
    win.on_service_exit = lambda: exits.append(True)
    qtbot.mousePress(win, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    qtbot.waitUntil(lambda: exits == [True], timeout=2000)


def test_heartbeat_is_called_from_the_gui_thread(make_window: WindowFactory, qtbot: QtBot) -> None:
    win = make_window(heartbeat_ms=20)
    beats: list[bool] = []
    win.heartbeat.append(
        lambda: beats.append(threading.current_thread() is threading.main_thread())
    )
    win.heartbeat.append(lambda: 1 / 0)  # a failing hook is logged, the others still run
    qtbot.waitUntil(lambda: len(beats) >= 3, timeout=2000)
    assert all(beats)


def test_screenshot_is_full_size(make_window: WindowFactory, tmp_path: Path) -> None:
    win = make_window()
    win.resize(1920, 1080)
    win.on_event(UserSaid("Where is the milk?"))
    win.on_event(ReplyStarted("The whole milk is in the dairy cooler.", "local", "x", "D1"))
    target = tmp_path / "shot.png"
    assert win.save_screenshot(target)
    image = QImage(str(target))
    assert (image.width(), image.height()) == (
        round(1920 * image.devicePixelRatio()),
        round(1080 * image.devicePixelRatio()),
    )


def test_the_qt_bindings_keep_their_reference_counts() -> None:
    """PySide6 6.12.0 on Python 3.11 drops a reference to None per void call and crashes."""
    assert leaked_none_refs(200) == 0
