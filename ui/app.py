"""Start the Qt application around the live loop, which runs on its own thread.

The GUI thread only draws: the conversation loop runs on the `agent` thread, typed searches on
kiosk.text_questions' thread, and both reach the window through the one EventBridge.
"""

from __future__ import annotations

import logging
import math
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QSize, QTimer
from PySide6.QtWidgets import QApplication

from edge.audio_io import Speaker
from kiosk.agent.turn import TurnResult
from kiosk.conversation import ConversationLoop
from kiosk.events import Event, EventSink
from kiosk.runtime import Runtime
from kiosk.text_questions import TextQuestions
from ui.bindings import check_bindings
from ui.bridge import EventBridge
from ui.map_view import DRAW_IN_S
from ui.touch import pick_suggestions
from ui.window import KioskWindow, WindowOptions

log = logging.getLogger(__name__)

SCREENSHOT_SIZE = QSize(1920, 1080)
SCREENSHOT_TIMEOUT_S = 240.0
"""Model loading plus the demo shopper's first question, with a wide margin on a slow box."""
AGENT_JOIN_S = 10.0


def window_options(runtime: Runtime, kiosk: bool, hud: bool) -> WindowOptions:
    ui = runtime.config.ui
    suggestions = list(ui.suggestions) or pick_suggestions(runtime.store, _answers_locally(runtime))
    return WindowOptions(
        kiosk=kiosk,
        hud=hud,
        service_key=ui.service_key,
        service_hold_s=ui.service_hold_s,
        blur_faces=ui.blur_faces,
        attract_after_s=ui.attract_after_s,
        suggestions=tuple(suggestions),
    )


def _answers_locally(runtime: Runtime) -> Callable[[str], bool]:
    from edge.stt import Transcript

    def check(text: str) -> bool:
        return runtime.engine.route(Transcript(text, 1.0, 0.0)).route == "local"

    return check


def run_window(
    runtime: Runtime,
    build_loop: Callable[[EventSink], ConversationLoop],
    stop: threading.Event,
    fullscreen: bool = False,
    screenshot: Path | None = None,
    speaker: Speaker | None = None,
    heartbeat: Callable[[], None] | None = None,
    observe: Callable[[EventSink], EventSink] | None = None,
    devices: Sequence[Event] = (),
) -> int:
    """Run the window until it closes; returns the exit code. `heartbeat` is called about once
    a second from a GUI-thread timer (the systemd watchdog ping goes here), so a frozen screen
    stops it; more can be added to `KioskWindow.heartbeat`. `observe` wraps the typed
    questions' event sink the way the loop's is wrapped (telemetry, health). `devices` are
    events to show from the start, e.g. DeviceStatus for a missing speaker."""
    check_bindings()
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    kiosk = fullscreen and screenshot is None
    bridge = EventBridge()
    play = _player(speaker) if speaker is not None else None
    questions = TextQuestions(
        runtime.engine, play, observe(bridge.post) if observe else bridge.post
    )
    options = window_options(runtime, kiosk=kiosk, hud=not fullscreen and screenshot is None)
    window = KioskWindow(runtime.store, options, ask=questions.ask)
    if heartbeat is not None:
        window.heartbeat.append(heartbeat)
    bridge.connect_to(window.on_event)
    for event in devices:
        window.on_event(event)
    result = {"code": 0}
    if screenshot is not None:
        _save_mid_answer(window, screenshot, app, result)
    loop = build_loop(bridge.post)
    worker = threading.Thread(target=loop.run, args=(stop,), name="agent", daemon=True)
    if kiosk:
        window.show_kiosk()
    elif screenshot is not None:
        window.resize(SCREENSHOT_SIZE)
        window.show()
    else:
        window.resize(1600, 900)
        window.show()
    watch_stop = QTimer(window)  # SIGTERM sets `stop`: close the screen too, not only the agent
    watch_stop.setInterval(200)
    watch_stop.timeout.connect(lambda: app.quit() if stop.is_set() else None)
    watch_stop.start()
    worker.start()
    code = app.exec()
    stop.set()
    # let a turn in progress leave its model calls: native thread pools torn down under a
    # running inference abort the process at exit
    worker.join(AGENT_JOIN_S)
    questions.close(AGENT_JOIN_S)
    return int(code) or result["code"]


def _player(speaker: Speaker) -> Callable[[TurnResult], None]:
    def play(result: TurnResult) -> None:
        speaker.play(result.reply_audio, result.reply_rate)

    return play


def _save_mid_answer(
    window: KioskWindow, path: Path, app: QApplication, result: dict[str, int]
) -> None:
    """Save the window once the first answer is half spoken with its pointer drawn, then quit.
    With no answer in time, save what is there, say so, and exit 1."""
    started = time.monotonic()
    poll = QTimer(window)
    poll.setInterval(50)

    def ready() -> bool:
        track = window.captions.track
        if track is None or window.captions.words_shown < math.ceil(len(track.words) * 0.55):
            return False
        pointer_age = time.monotonic() - window.map_view.pointed_at
        return window.map_view.shelf_id is None or pointer_age >= DRAW_IN_S + 0.1

    def check() -> None:
        late = time.monotonic() - started > SCREENSHOT_TIMEOUT_S
        if not ready() and not late:
            return
        poll.stop()
        if late:
            print(
                f"kiosk: no answer within {SCREENSHOT_TIMEOUT_S:.0f} s; saving the screen as it is",
                file=sys.stderr,
            )
            result["code"] = 1
        if window.save_screenshot(path):
            size = window.grab().size()
            print(
                f"kiosk: screenshot saved to {path} ({size.width()}x{size.height()})",
                file=sys.stderr,
            )
        else:
            print(f"kiosk: error: cannot write the screenshot to {path}", file=sys.stderr)
            result["code"] = 1
        app.quit()

    poll.timeout.connect(check)
    poll.start()
