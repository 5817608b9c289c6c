"""The kiosk window: store map with the shelf pointer, camera preview, captions, the agent's
state, the touch search, the attract screen, and (windowed) the developer HUD.

It only draws. Events arrive on the GUI thread through ui.bridge; typed searches leave through
`ask`, which must return at once (kiosk.text_questions runs them on its own thread).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import (
    QCloseEvent,
    QCursor,
    QFontMetrics,
    QKeySequence,
    QMouseEvent,
    QResizeEvent,
    QShortcut,
)
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QMainWindow, QVBoxLayout, QWidget

from kiosk.events import (
    AudioLevel,
    CloudActivity,
    DeviceStatus,
    Event,
    FramePreview,
    PointToShelf,
    Presence,
    ReplyProgress,
    ReplyStarted,
    SpeechStarted,
    StatusChanged,
    TurnCompleted,
    UserSaid,
)
from kiosk.store.pack import StorePack
from ui import theme
from ui.attract import AttractView
from ui.camera_view import CameraView
from ui.captions import CaptionView
from ui.hud import DevHud
from ui.map_view import MapView
from ui.status import StatusBar
from ui.touch import Ask, TouchBar

log = logging.getLogger(__name__)

NOBODY_GRACE_S = 8.0
"""With a camera that says nobody is there, the attract screen returns after this long."""
BUSY_STATES = ("thinking", "speaking")


@dataclass(frozen=True)
class WindowOptions:
    kiosk: bool = False
    """Full-screen kiosk: no frame, no cursor, no way out but the service key or gesture."""
    hud: bool = False
    service_key: str = "Ctrl+Alt+Shift+Q"
    service_hold_s: float = 0.0
    blur_faces: bool = True
    attract_after_s: float = 45.0
    suggestions: tuple[str, ...] = ()
    heartbeat_ms: int = 1000


class KioskWindow(QMainWindow):
    def __init__(
        self,
        store: StorePack,
        options: WindowOptions | None = None,
        ask: Ask | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.options = options or WindowOptions()
        self.store = store
        self._clock = clock
        self._ask = ask
        self.setWindowTitle(f"{store.name} — kiosk")
        self.status = StatusBar(store.name)
        self.map_view = MapView(store, clock)
        self.banner = QLabel("")
        self.camera = CameraView(self.options.blur_faces, clock)
        self.captions = CaptionView(clock)
        self.touch = TouchBar(self._touch_ask if ask else None, list(self.options.suggestions))
        self.hud = DevHud()
        self.hud.setVisible(self.options.hud)
        self.heartbeat: list[Callable[[], None]] = []
        """Called from a GUI-thread timer: a frozen screen stops calling (systemd watchdog)."""
        self.state = "starting"
        self.present: bool | None = None
        self._last_activity = clock()
        self._nobody_since: float | None = None
        self._scale = 0.0
        self._service_exit = False
        self.on_service_exit: Callable[[], None] = _quit_app
        """What the service key or gesture does after closing the window."""
        self._build()
        self.camera.live_changed.append(self._size_camera)
        self.attract = AttractView(store.name, self._examples(), self.wake)
        self.attract.setParent(self._root)
        self._timers()
        self._service_controls()
        self.on_event(StatusChanged("starting"))
        self.show_attract()

    # --- layout -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.banner.setWordWrap(False)
        left = QVBoxLayout()
        left.setSpacing(0)
        left.addWidget(self.banner)
        left.addWidget(self.map_view, 1)
        side = QVBoxLayout()
        side.addWidget(self.camera)
        side.addSpacing(12)
        side.addWidget(self.captions, 1)
        side.addWidget(self.hud)
        self._side = side
        panel = QWidget()
        panel.setLayout(side)
        panel.setStyleSheet(f"background: {theme.PANEL};")
        self._panel = panel
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addLayout(left, 62)
        body.addWidget(panel, 38)
        root = QWidget()
        column = QVBoxLayout(root)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.status)
        column.addWidget(self.status.warning)
        column.addLayout(body, 1)
        column.addWidget(self.touch)
        root.setStyleSheet(f"background: {theme.BACKGROUND};")
        for widget in (self.status, self.touch, panel):
            widget.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
            widget.setStyleSheet(f"background: {theme.PANEL};")
        self.setCentralWidget(root)
        self._root = root
        self.touch.keyboard.setParent(root)
        self.touch.keyboard.hide()
        self.touch.place_keyboard = self._place_keyboard
        self._banner_label: str | None = None
        self._show_banner(None)

    def _examples(self) -> list[str]:
        picks = list(self.options.suggestions)[:4] or ["batteries"]
        return [f"Where can I find the {p.lower()}?" for p in picks]

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.attract.setGeometry(self._root.rect())
        scale = theme.scale_for(self.height())
        if abs(scale - self._scale) > 0.02:
            self._apply_scale(scale)
        else:
            self._fit_banner()
            self._size_camera()
        if self.touch.keyboard.isVisible():
            self._place_keyboard(self.touch.keyboard)

    def _place_keyboard(self, keyboard: QWidget) -> None:
        """Float the keyboard over the lower part of the screen, just above the search field."""
        root = self._root
        width = min(root.width() - 40, round(1500 * self._scale))
        height = keyboard.sizeHint().height()
        bottom = self.touch.geometry().top()
        keyboard.setGeometry((root.width() - width) // 2, bottom - height, width, height)

    def _apply_scale(self, scale: float) -> None:
        self._scale = scale
        self.status.apply_scale(scale)
        self.captions.apply_scale(scale)
        self.touch.apply_scale(scale)
        self.hud.apply_scale(scale)
        self.map_view.scale = scale
        self.camera.scale = scale
        m = round(28 * scale)
        self._side.setContentsMargins(m, m, m, m)
        self.banner.setContentsMargins(m, round(16 * scale), m, round(8 * scale))
        self.banner.setFixedHeight(round(96 * scale))
        self._fit_banner()
        self._size_camera()

    def _size_camera(self, live: bool | None = None) -> None:
        """16:9 while frames flow; a slim bar that says so while the camera is unavailable."""
        if live if live is not None else self.camera.live:
            m = round(28 * self._scale)
            self.camera.setFixedHeight(round(self.width() * 0.38 - 2 * m) * 9 // 16)
        else:
            self.camera.setFixedHeight(round(120 * self._scale))

    # --- timers, heartbeat, service exit ------------------------------------------------------

    def _timers(self) -> None:
        self._beat = QTimer(self)
        self._beat.setInterval(self.options.heartbeat_ms)
        self._beat.timeout.connect(self._heartbeat)
        self._beat.start()
        self._second = QTimer(self)
        self._second.setInterval(1000)
        self._second.timeout.connect(self._each_second)
        self._second.start()

    def _heartbeat(self) -> None:
        for beat in list(self.heartbeat):
            try:
                beat()
            except Exception:
                log.exception("UI heartbeat callback failed")

    def _each_second(self) -> None:
        self.check_attract()
        if self.hud.isVisible():
            self.hud.on_fps(self.camera.fps())

    def _service_controls(self) -> None:
        shortcut = QShortcut(QKeySequence(self.options.service_key), self)
        shortcut.setContext(Qt.ShortcutContext.ApplicationShortcut)
        shortcut.activated.connect(self.service_exit)
        self._hold = QTimer(self)
        self._hold.setSingleShot(True)
        self._hold.timeout.connect(self.service_exit)
        if self.options.kiosk and self.options.service_hold_s > 0:
            app = QApplication.instance()
            if app is not None:
                app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Kiosk mode: holding the top-left corner for `service_hold_s` leaves."""
        if event.type() == QEvent.Type.MouseButtonPress and isinstance(event, QMouseEvent):
            corner = self.mapFromGlobal(event.globalPosition().toPoint())
            if self.rect().contains(corner) and corner.x() < 90 and corner.y() < 90:
                self._hold.start(round(self.options.service_hold_s * 1000))
        elif event.type() == QEvent.Type.MouseButtonRelease:
            self._hold.stop()
        return False

    def show_kiosk(self) -> None:
        """Full screen, no frame, no cursor (touch still works)."""
        self.setWindowFlag(Qt.WindowType.FramelessWindowHint)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.setOverrideCursor(QCursor(Qt.CursorShape.BlankCursor))
        self.showFullScreen()

    def service_exit(self) -> None:
        log.info("UI: service exit")
        self._service_exit = True
        app = QApplication.instance()
        if self.options.kiosk and isinstance(app, QApplication) and app.overrideCursor():
            app.restoreOverrideCursor()
        self.close()
        self.on_service_exit()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.options.kiosk and not self._service_exit:
            event.ignore()  # a shopper's Alt+F4 does nothing
            return
        super().closeEvent(event)

    # --- events -----------------------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        if isinstance(event, FramePreview):
            self.camera.show_frame(event)
        elif isinstance(event, StatusChanged):
            self.state = event.state
            self.status.set_state(event.state, event.detail)
            if event.state in BUSY_STATES:
                self.wake()
            elif self.state in ("listening", "idle", "stopped"):
                self.captions.finish()
        elif isinstance(event, UserSaid):
            self.wake()
            self.captions.show_question(event)
            self.point_to(None)
        elif isinstance(event, ReplyStarted):
            self.wake()
            self.captions.start_reply(event)
            self.point_to(event.shelf_id)
            self.hud.on_reply(event)
        elif isinstance(event, PointToShelf):
            self.point_to(event.shelf_id)
        elif isinstance(event, ReplyProgress):
            self.captions.follow(event)
        elif isinstance(event, CloudActivity):
            if event.what == "audio":
                self.status.set_cloud_busy(event.sending)
            else:
                self.camera.set_sending(event.sending)
        elif isinstance(event, DeviceStatus):
            self.status.set_device(event.device, event.ok)
            if event.device == "camera":
                self.camera.set_device(event.ok)
            if event.device == "microphone":
                self.attract.hint = (
                    "Touch the screen to search."
                    if not event.ok
                    else "I'm listening. Just ask out loud, or touch the screen to search."
                )
        elif isinstance(event, Presence):
            self.on_presence(event)
        elif isinstance(event, TurnCompleted):
            self.hud.on_turn(event)
        elif isinstance(event, SpeechStarted):
            self.wake()  # someone is talking to the kiosk
        elif isinstance(event, AudioLevel):
            self.hud.on_level(event)

    def point_to(self, shelf_id: str | None) -> None:
        shelf = self.map_view.point_to(shelf_id)
        self.camera.point_to(shelf)
        self._show_banner(shelf.label if shelf else None)

    def _show_banner(self, label: str | None) -> None:
        """The shelf in the largest type that fits one line; a quiet hint when there is none."""
        self._banner_label = label
        if label:
            self.banner.setText(f"➜  {label[:1].upper()}{label[1:]}")
            self.banner.setStyleSheet(f"color: {theme.POINTER};")
        else:
            self.banner.setText("Ask me where something is, and I'll show you here.")
            self.banner.setStyleSheet(f"color: {theme.MUTED};")
        self._fit_banner()

    def _fit_banner(self) -> None:
        scale = self._scale or 1.0
        sizes = (56, 50, 44, 38, 32) if self._banner_label else (32,)
        room = round(self.width() * 0.62) - 2 * round(28 * scale)  # the map column
        for size in sizes:
            f = theme.font(round(size * scale), bold=bool(self._banner_label))
            if QFontMetrics(f).horizontalAdvance(self.banner.text()) <= room:
                break
        self.banner.setFont(f)

    def on_presence(self, event: Presence) -> None:
        self.present = event.engaged
        self.hud.people = event.people
        if event.engaged:
            self._nobody_since = None
            self.wake()
        elif self._nobody_since is None:
            self._nobody_since = self._clock()

    # --- attract ------------------------------------------------------------------------------

    def wake(self) -> None:
        """Someone is here: leave the attract screen and restart its countdown."""
        self._last_activity = self._clock()
        if self.attract.isVisible():
            self.attract.hide()

    def show_attract(self) -> None:
        self.point_to(None)
        self.touch.keyboard.hide()
        self.attract.setGeometry(self._root.rect())
        self.attract.show()
        self.attract.raise_()

    def check_attract(self) -> None:
        """Show the attract screen when nobody has been here for a while."""
        if self.attract.isVisible() or self.state in BUSY_STATES or self.present:
            return
        now = self._clock()
        idle = now - self._last_activity
        if self.present is False and self._nobody_since is not None:
            if min(idle, now - self._nobody_since) >= NOBODY_GRACE_S:
                self.show_attract()
        elif idle >= self.options.attract_after_s:
            self.show_attract()

    def _touch_ask(self, text: str) -> object:
        self.wake()
        assert self._ask is not None
        return self._ask(text)

    # --- output -------------------------------------------------------------------------------

    def save_screenshot(self, path: Path) -> bool:
        return bool(self.grab().save(str(path)))


def _quit_app() -> None:
    app = QApplication.instance()
    if app is not None:
        app.quit()
