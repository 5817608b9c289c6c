"""The attract screen, shown when nobody is at the kiosk: a large invitation and example
questions that change every few seconds. Touching it goes to the main screen."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from ui import theme

ROTATE_MS = 4000


class AttractView(QWidget):
    def __init__(self, store_name: str, examples: list[str], on_touch: Callable[[], None]) -> None:
        super().__init__()
        self.store_name = store_name
        self.examples = examples or ["Where can I find the batteries?"]
        self.index = 0
        self.hint = "I'm listening. Just ask out loud, or touch the screen to search."
        self._on_touch = on_touch
        self._timer = QTimer(self)
        self._timer.setInterval(ROTATE_MS)
        self._timer.timeout.connect(self._next)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def showEvent(self, event: object) -> None:
        self._timer.start()

    def hideEvent(self, event: object) -> None:
        self._timer.stop()

    def _next(self) -> None:
        self.index = (self.index + 1) % len(self.examples)
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._on_touch()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        s = theme.scale_for(self.height())
        w, h = float(self.width()), float(self.height())
        painter.fillRect(self.rect(), theme.color(theme.SPEAKING))
        center = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter
        painter.setPen(theme.color("#ffffff"))
        painter.setFont(theme.font(round(40 * s), bold=True))
        painter.drawText(QRectF(0, h * 0.10, w, 60 * s), center, self.store_name)
        painter.setFont(theme.font(round(104 * s), bold=True))
        painter.drawText(QRectF(0, h * 0.24, w, 140 * s), center, "Looking for something?")
        painter.setFont(theme.font(round(56 * s)))
        painter.drawText(QRectF(0, h * 0.38, w, 80 * s), center, "Ask me. I'll show you the shelf.")
        box = QRectF(w * 0.18, h * 0.54, w * 0.64, 150 * s)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(theme.color("#ffffff"))
        painter.drawRoundedRect(box, 30 * s, 30 * s)
        painter.setPen(theme.color(theme.INK))
        painter.setFont(theme.font(round(60 * s), bold=True))
        painter.drawText(box, center, f"“{self.examples[self.index]}”")
        painter.setPen(theme.color("#ffffff"))
        painter.setFont(theme.font(round(36 * s)))
        painter.drawText(QRectF(0, h * 0.80, w, 60 * s), center, self.hint)
        painter.end()
