"""Start the Qt application around the live loop, which runs on its own thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from kiosk.conversation import ConversationLoop
from kiosk.events import Event, EventSink, ReplyStarted
from kiosk.runtime import Runtime
from ui.bridge import EventBridge
from ui.window import KioskWindow


def run_window(
    runtime: Runtime,
    build_loop: Callable[[EventSink], ConversationLoop],
    stop: threading.Event,
    fullscreen: bool = False,
    screenshot: Path | None = None,
) -> int:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([])
    window = KioskWindow(runtime.store)
    bridge = EventBridge()
    bridge.connect_to(window.on_event)
    if screenshot is not None:
        _save_after_first_answer(bridge, window, screenshot, app)
    loop = build_loop(bridge.post)
    worker = threading.Thread(target=loop.run, args=(stop,), name="agent", daemon=True)
    if fullscreen:
        window.showFullScreen()
    else:
        window.resize(1600, 900)
        window.show()
    worker.start()
    code = app.exec()
    stop.set()
    return int(code)


def _save_after_first_answer(
    bridge: EventBridge, window: KioskWindow, path: Path, app: QApplication
) -> None:
    def on_event(event: Event) -> None:
        if isinstance(event, ReplyStarted):

            def save() -> None:
                window.save_screenshot(path)
                app.quit()

            QTimer.singleShot(400, save)

    bridge.connect_to(on_event)
