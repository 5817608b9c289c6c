"""The one thread-safe path from the agent's thread to the GUI thread: a queued signal."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal

from kiosk.events import Event


class EventBridge(QObject):
    received = Signal(object)

    def __init__(self) -> None:
        super().__init__()

    def post(self, event: Event) -> None:
        """Callable from any thread; the slot runs later on the GUI thread."""
        self.received.emit(event)

    def connect_to(self, slot: object) -> None:
        self.received.connect(slot, Qt.ConnectionType.QueuedConnection)
