"""The one thread-safe path from the agent's threads to the GUI thread: a queued signal.

Camera frames are coalesced: when the GUI thread has not yet drawn the previous preview frame,
a newer one replaces it instead of queueing behind it, so a busy screen shows the newest
picture and the queue never grows. Every other event is delivered, in order.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal

from kiosk.events import Event, FramePreview

log = logging.getLogger(__name__)

_NEWEST_FRAME = object()


class EventBridge(QObject):
    received = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self._slots: list[Callable[[Event], None]] = []
        self._lock = threading.Lock()
        self._frame: FramePreview | None = None
        self.frames_dropped = 0
        self.received.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def post(self, event: Event) -> None:
        """Callable from any thread; the subscribers run later on the GUI thread."""
        if isinstance(event, FramePreview):
            with self._lock:
                waiting = self._frame is not None
                if waiting:
                    self.frames_dropped += 1
                self._frame = event
            if not waiting:
                self.received.emit(_NEWEST_FRAME)
            return
        self.received.emit(event)

    def connect_to(self, slot: Callable[[Event], None]) -> None:
        """Subscribe; called on the GUI thread, in order of subscription."""
        self._slots.append(slot)

    def _deliver(self, item: object) -> None:
        if item is _NEWEST_FRAME:
            with self._lock:
                event: object = self._frame
                self._frame = None
            if event is None:
                return
        else:
            event = item
        for slot in list(self._slots):
            try:
                slot(event)  # type: ignore[arg-type]
            except Exception:  # one bad observer must not stop the others, or the screen
                log.exception("UI: handling %s failed", type(event).__name__)
