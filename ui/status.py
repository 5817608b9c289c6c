"""The top bar: the store's name and what the kiosk is doing, in plain words; below it a yellow
line, shown only when the camera, microphone, speaker or cloud is unavailable."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

from kiosk.events import AgentState, DeviceName
from ui import theme

STATE_TEXT: dict[str, tuple[str, str]] = {
    "starting": ("Getting ready…", theme.OFFLINE),
    "idle": ("Ready — just ask", theme.LISTENING),
    "listening": ("Listening — just ask", theme.LISTENING),
    "thinking": ("Thinking…", theme.THINKING),
    "speaking": ("Speaking", theme.SPEAKING),
    "offline": ("Offline", theme.OFFLINE),
    "stopped": ("Paused", theme.OFFLINE),
}
CLOUD_THINKING = "Asking the online assistant…"

DEVICE_TEXT: dict[str, str] = {
    "microphone": "I can't hear right now. Please type your question below.",
    "speaker": "Sound is off. Please read my answers on the screen.",
    "camera": "The camera is off. You can still ask out loud or type.",
    "cloud": "Some questions need the internet, which is down. I can still find products.",
}
DEVICE_ORDER: tuple[DeviceName, ...] = ("microphone", "speaker", "cloud", "camera")


class StatePill(QWidget):
    """A coloured pill with a dot: what the kiosk is doing now."""

    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self.tint = theme.OFFLINE
        self.scale = 1.0
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def set(self, text: str, tint: str) -> None:
        self.text, self.tint = text, tint
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        f = theme.font(round(32 * self.scale), bold=True)
        from PySide6.QtGui import QFontMetrics

        width = QFontMetrics(f).horizontalAdvance(self.text) + round(96 * self.scale)
        return QSize(width, round(64 * self.scale))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        s = self.scale
        rect = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(theme.color(self.tint))
        painter.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)
        painter.setBrush(theme.color("#ffffff"))
        painter.drawEllipse(QPointF(rect.x() + 34 * s, rect.center().y()), 10 * s, 10 * s)
        painter.setPen(theme.color("#ffffff"))
        painter.setFont(theme.font(round(32 * s), bold=True))
        painter.drawText(
            rect.adjusted(60 * s, 0, -24 * s, 0), Qt.AlignmentFlag.AlignVCenter, self.text
        )
        painter.end()


class StatusBar(QWidget):
    def __init__(self, store_name: str) -> None:
        super().__init__()
        self.state: AgentState = "starting"
        self.detail = ""
        self.cloud_busy = False
        self.down: dict[DeviceName, str] = {}
        self.name = QLabel(store_name)
        self.pill = StatePill()
        self.warning = QLabel("")
        self.warning.setWordWrap(True)
        self.warning.hide()
        row = QHBoxLayout(self)
        row.addWidget(self.name)
        row.addStretch(1)
        row.addWidget(self.pill)
        self.apply_scale(1.0)
        self._refresh()

    def apply_scale(self, scale: float) -> None:
        self.name.setFont(theme.font(round(38 * scale), bold=True))
        self.name.setStyleSheet(f"color: {theme.INK};")
        self.pill.scale = scale
        self.pill.updateGeometry()
        m = round(14 * scale)
        layout = self.layout()
        if layout is not None:
            layout.setContentsMargins(round(28 * scale), m, round(28 * scale), m)
        self.warning.setFont(theme.font(round(28 * scale), bold=True))
        pad = round(12 * scale)
        self.warning.setStyleSheet(
            f"color: {theme.WARNING_INK}; background: {theme.WARNING_BG}; "
            f"padding: {pad}px {round(28 * scale)}px;"
        )

    @property
    def text(self) -> str:
        return self.pill.text

    def set_state(self, state: AgentState, detail: str = "") -> None:
        self.state, self.detail = state, detail
        if state != "thinking":
            self.cloud_busy = False
        self._refresh()

    def set_cloud_busy(self, busy: bool) -> None:
        self.cloud_busy = busy
        self._refresh()

    def set_device(self, device: DeviceName, ok: bool) -> None:
        if ok:
            self.down.pop(device, None)
        else:
            self.down[device] = DEVICE_TEXT[device]
        self._refresh()

    def _refresh(self) -> None:
        text, tint = STATE_TEXT.get(self.state, (self.state, theme.OFFLINE))
        if self.state == "thinking" and self.cloud_busy:
            text = CLOUD_THINKING
        if self.state == "listening" and "microphone" in self.down:
            text, tint = "Type your question", theme.OFFLINE
        self.pill.set(text, tint)
        lines = [self.down[d] for d in DEVICE_ORDER if d in self.down]
        if self.detail and self.detail not in lines:
            lines.insert(0, self.detail)
        self.warning.setText("  ".join(lines))
        self.warning.setVisible(bool(lines))
