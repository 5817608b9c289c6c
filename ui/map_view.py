"""The store floor map with the shelf pointer: an arrow from "you are here" to the shelf, an
animated marker on it, and the shelf's label beside it in large type."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QFontMetrics, QPainter, QPainterPath, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from kiosk.store.pack import Shelf, StorePack
from ui import theme

log = logging.getLogger(__name__)

DRAW_IN_S = 0.45
"""The arrow grows from "you are here" to the shelf in this long."""
PULSE_S = 1.4
FRAME_MS = 33


class MapView(QWidget):
    """Paints the map scaled to fit, then the pointer. `painted` callbacks run after each paint
    with the shelf drawn (the UI benchmark times the pointer with them)."""

    def __init__(self, store: StorePack, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._store = store
        self._clock = clock
        self._map = QPixmap(str(store.map_image)) if store.map_image else QPixmap()
        self._scaled = QPixmap()
        self._origin = QPointF(0, 0)
        self._factor = 1.0
        self.shelf_id: str | None = None
        self._since = 0.0
        self.scale = 1.0
        self.painted: list[Callable[[str | None], None]] = []
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._animate)
        self.setMinimumSize(480, 320)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def point_to(self, shelf_id: str | None) -> Shelf | None:
        """Move the pointer; None or a shelf this store lacks clears it (the latter is logged:
        a cloud model named a shelf that does not exist)."""
        shelf = self._store.shelves.get(shelf_id) if shelf_id else None
        if shelf_id and shelf is None:
            log.error(
                "pointer: shelf id %r is not in store %r; no pointer shown",
                shelf_id,
                self._store.name,
            )
        repeat = shelf is not None and shelf.id == self.shelf_id
        if repeat and self._clock() - self._since < 2 * DRAW_IN_S:
            return shelf  # ReplyStarted and PointToShelf name the same shelf: one animation
        self.shelf_id = shelf.id if shelf else None
        self._since = self._clock()
        if self._position() is not None:
            self._timer.start()
        else:
            self._timer.stop()
        self.update()
        return shelf

    @property
    def pointed_at(self) -> float:
        """When the pointer last moved, on the view's clock."""
        return self._since

    def sizeHint(self) -> QSize:
        return QSize(1150, 720)

    def resizeEvent(self, event: object) -> None:
        self._scaled = QPixmap()

    def _layout(self) -> None:
        if self._map.isNull() or not self._scaled.isNull():
            return
        self._scaled = self._map.scaled(
            self.size(),
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        self._origin = QPointF(
            (self.width() - self._scaled.width()) / 2, (self.height() - self._scaled.height()) / 2
        )
        self._factor = self._scaled.width() / self._map.width()

    def _to_widget(self, xy: tuple[int, int]) -> QPointF:
        return QPointF(
            self._origin.x() + xy[0] * self._factor, self._origin.y() + xy[1] * self._factor
        )

    def _position(self) -> QPointF | None:
        shelf = self._store.shelves.get(self.shelf_id or "")
        if shelf is None or shelf.map_xy is None or self._map.isNull():
            return None
        self._layout()
        return self._to_widget(shelf.map_xy)

    def marker_position(self) -> QPointF | None:
        """Where the pointer's marker is drawn, in widget pixels; None when none is shown."""
        return self._position()

    def _animate(self) -> None:
        if not self.isVisible():
            return
        age = self._clock() - self._since
        center = self._position()
        if center is None:
            self._timer.stop()
            return
        if age <= DRAW_IN_S + 0.1:
            self.update()
        else:  # only the pulsing ring moves now
            r = round(90 * self.scale)
            self.update(QRect(round(center.x()) - r, round(center.y()) - r, 2 * r, 2 * r))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(event.rect(), theme.color(theme.BACKGROUND))
        if self._map.isNull():
            painter.setPen(theme.color(theme.MUTED))
            painter.setFont(theme.font(round(32 * self.scale)))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No store map")
        else:
            self._layout()
            painter.drawPixmap(self._origin, self._scaled)
            self._paint_pointer(painter)
        painter.end()
        for callback in self.painted:
            callback(self.shelf_id)

    def _paint_pointer(self, painter: QPainter) -> None:
        """The arrow from "you are here" (always shown when the store has it) to the shelf."""
        shelf = self._store.shelves.get(self.shelf_id or "")
        center = self._position()
        here = self._to_widget(self._store.you_are_here) if self._store.you_are_here else None
        if shelf is None or center is None:
            if here is not None:
                self._paint_here(painter, here)
            return
        age = max(0.0, self._clock() - self._since)
        grow = _ease_out(min(1.0, age / DRAW_IN_S))
        s = self.scale
        if here is not None:
            self._paint_arrow(painter, here, center, grow)
            self._paint_here(painter, here)
        pulse = (age % PULSE_S) / PULSE_S
        red = theme.POINTER
        painter.setPen(QPen(theme.color(red, round(200 * (1 - pulse))), 5 * s))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(center, (22 + 55 * pulse) * s, (22 + 55 * pulse) * s)
        radius = 20 * s * (0.4 + 0.6 * grow)
        painter.setPen(QPen(theme.color("#ffffff"), 5 * s))
        painter.setBrush(theme.color(red))
        painter.drawEllipse(center, radius, radius)
        painter.setBrush(theme.color("#ffffff"))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawEllipse(center, radius * 0.35, radius * 0.35)
        if grow >= 1.0:
            self._paint_callout(painter, center, shelf.label)

    def _paint_arrow(self, painter: QPainter, start: QPointF, end: QPointF, grow: float) -> None:
        s = self.scale
        dx, dy = end.x() - start.x(), end.y() - start.y()
        length = math.hypot(dx, dy)
        if length < 40 * s:
            return
        # a gentle curve, bowed away from the map's centre line, stopping short of the marker
        bend = QPointF(-dy * 0.18, dx * 0.18)
        control = QPointF(
            (start.x() + end.x()) / 2 + bend.x(), (start.y() + end.y()) / 2 + bend.y()
        )
        path = QPainterPath(start)
        path.quadTo(control, end)
        stop = min(grow, 1.0 - (38 * s) / path.length())
        if stop <= 0.02:
            return
        partial = QPainterPath(start)
        steps = 40
        for i in range(1, steps + 1):
            partial.lineTo(path.pointAtPercent(stop * i / steps))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        cap = Qt.PenCapStyle.RoundCap
        join = Qt.PenJoinStyle.RoundJoin
        painter.setPen(QPen(theme.color("#ffffff", 230), 16 * s, Qt.PenStyle.SolidLine, cap, join))
        painter.drawPath(partial)
        painter.setPen(QPen(theme.color(theme.POINTER), 8 * s, Qt.PenStyle.SolidLine, cap, join))
        painter.drawPath(partial)
        tip = path.pointAtPercent(stop)
        angle = math.radians(-path.angleAtPercent(stop))
        head = 34 * s
        left = QPointF(
            tip.x() - head * math.cos(angle - 0.45), tip.y() - head * math.sin(angle - 0.45)
        )
        right = QPointF(
            tip.x() - head * math.cos(angle + 0.45), tip.y() - head * math.sin(angle + 0.45)
        )
        arrow = QPainterPath(tip)
        arrow.lineTo(left)
        arrow.lineTo(right)
        arrow.closeSubpath()
        painter.setPen(QPen(theme.color("#ffffff"), 4 * s, Qt.PenStyle.SolidLine, cap, join))
        painter.setBrush(theme.color(theme.POINTER))
        painter.drawPath(arrow)

    def _paint_here(self, painter: QPainter, at: QPointF) -> None:
        s = self.scale
        painter.setPen(QPen(theme.color("#ffffff"), 4 * s))
        painter.setBrush(theme.color(theme.HERE))
        painter.drawEllipse(at, 14 * s, 14 * s)
        self._paint_tag(painter, at, "You are here", theme.HERE, round(22 * s), below=True)

    def _paint_callout(self, painter: QPainter, at: QPointF, label: str) -> None:
        self._paint_tag(painter, at, label, theme.POINTER, round(34 * self.scale), below=False)

    def _paint_tag(
        self, painter: QPainter, at: QPointF, text: str, fill: str, px: int, below: bool
    ) -> None:
        """A rounded label near `at`, kept inside the widget."""
        f = theme.font(px, bold=True)
        metrics = QFontMetrics(f)
        pad = px * 0.45
        w = metrics.horizontalAdvance(text) + 2 * pad
        h = metrics.height() + pad
        gap = px * 1.3
        y = at.y() + gap if below else at.y() - gap - h
        x = at.x() - w / 2
        if below and y + h > self.height() - 4:  # no room below: beside it, on the roomier side
            y = at.y() - h / 2
            x = at.x() - gap - w if at.x() > self.width() / 2 else at.x() + gap
        if y < 4:
            y = at.y() + gap
        if y + h > self.height() - 4:
            y = at.y() - gap - h
        x = min(max(4.0, x), self.width() - w - 4)
        box = QRectF(x, y, w, h)
        painter.setPen(QPen(theme.color("#ffffff"), 3))
        painter.setBrush(theme.color(fill))
        painter.drawRoundedRect(box, h / 4, h / 4)
        painter.setFont(f)
        painter.setPen(theme.color("#ffffff"))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


def _ease_out(t: float) -> float:
    return 1.0 - (1.0 - t) ** 3
