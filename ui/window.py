"""The kiosk window: store map with the shelf pointer, captions, and the agent's state."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QVBoxLayout, QWidget

from kiosk.events import Event, PointToShelf, ReplyStarted, StatusChanged, UserSaid
from kiosk.store.pack import StorePack

STATE_TEXT = {
    "starting": "Starting…",
    "idle": "Hello! Ask me where to find something.",
    "listening": "Listening…",
    "thinking": "Thinking…",
    "speaking": "Speaking",
    "offline": "Offline",
    "stopped": "Paused",
}


class MapView(QWidget):
    """The floor map, scaled to fit, with a marker on the current shelf."""

    def __init__(self, store: StorePack) -> None:
        super().__init__()
        self._store = store
        self._map = QPixmap(str(store.map_image)) if store.map_image else QPixmap()
        self.shelf_id: str | None = None
        self.setMinimumSize(480, 320)

    def point_to(self, shelf_id: str | None) -> None:
        self.shelf_id = shelf_id if shelf_id in self._store.shelves else None
        self.update()

    def paintEvent(self, event: object) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#ffffff"))
        if self._map.isNull():
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No store map")
            return
        scaled = self._map.scaled(
            self.size(),
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        x0 = (self.width() - scaled.width()) / 2
        y0 = (self.height() - scaled.height()) / 2
        painter.drawPixmap(int(x0), int(y0), scaled)
        shelf = self._store.shelves.get(self.shelf_id or "")
        if shelf is None or shelf.map_xy is None:
            return
        factor = scaled.width() / self._map.width()
        center = QPointF(x0 + shelf.map_xy[0] * factor, y0 + shelf.map_xy[1] * factor)
        painter.setPen(QPen(QColor("#d7263d"), 6))
        painter.setBrush(QColor(215, 38, 61, 90))
        painter.drawEllipse(center, 26, 26)
        painter.setBrush(QColor("#d7263d"))
        painter.drawEllipse(center, 9, 9)


class KioskWindow(QMainWindow):
    def __init__(self, store: StorePack) -> None:
        super().__init__()
        self.setWindowTitle(f"{store.name} — kiosk")
        self.store = store
        self.map_view = MapView(store)
        self.status = _label(30, bold=True, color="#1b4965")
        self.heard = _label(26, color="#333333")
        self.reply = _label(34, bold=True, color="#111111")
        self.shelf = _label(44, bold=True, color="#d7263d")
        side = QVBoxLayout()
        title = _label(24, color="#555555")
        title.setText(store.name)
        for widget in (title, self.status, self.heard, self.reply, self.shelf):
            side.addWidget(widget)
        side.addStretch(1)
        panel = QWidget()
        panel.setLayout(side)
        panel.setMinimumWidth(640)
        body = QHBoxLayout()
        body.addWidget(self.map_view, 3)
        body.addWidget(panel, 2)
        root = QWidget()
        root.setLayout(body)
        root.setStyleSheet("background: #ffffff;")
        self.setCentralWidget(root)
        self.on_event(StatusChanged("starting"))

    def on_event(self, event: Event) -> None:
        if isinstance(event, StatusChanged):
            self.status.setText(
                STATE_TEXT.get(event.state, event.state)
                + (f" — {event.detail}" if event.detail else "")
            )
        elif isinstance(event, UserSaid):
            self.heard.setText(f"You asked: “{event.text}”" if event.text else "")
        elif isinstance(event, ReplyStarted):
            self.reply.setText(event.text)
            shelf = self.store.shelves.get(event.shelf_id or "")
            self.shelf.setText(f"→ {shelf.label}" if shelf else "")
            self.map_view.point_to(event.shelf_id)
        elif isinstance(event, PointToShelf):
            self.map_view.point_to(event.shelf_id)

    def save_screenshot(self, path: Path) -> bool:
        return bool(self.grab().save(str(path)))


def _label(points: int, bold: bool = False, color: str = "#000000") -> QLabel:
    label = QLabel()
    font = QFont()
    font.setPointSize(points)
    font.setBold(bold)
    label.setFont(font)
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {color}; padding: 8px;")
    return label
