"""The live camera preview: mirrored like a looking glass, faces blurred in privacy mode, a
badge while a frame is on its way to the cloud, and the shelf pointer over the picture when
the store knows where its shelves are in the camera's view."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

import cv2
import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QImage, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from kiosk.events import FaceBox, FramePreview
from kiosk.store.pack import Shelf
from ui import theme

STALE_S = 2.0
"""No frame for this long: the camera counts as unavailable."""


def blur_faces(image: np.ndarray, faces: tuple[FaceBox, ...]) -> np.ndarray:
    """A copy of `image` with each face box (grown by a fifth) pixelated beyond recognition."""
    out = image.copy()
    height, width = out.shape[:2]
    for face in faces:
        grow_w, grow_h = face.w // 5, face.h // 5
        x0, y0 = max(0, face.x - grow_w), max(0, face.y - grow_h)
        x1, y1 = min(width, face.x + face.w + grow_w), min(height, face.y + face.h + grow_h)
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        roi = out[y0:y1, x0:x1]
        small = cv2.resize(roi, (6, 6), interpolation=cv2.INTER_AREA)
        out[y0:y1, x0:x1] = cv2.resize(small, (x1 - x0, y1 - y0), interpolation=cv2.INTER_NEAREST)
    return out


def to_qimage(image: np.ndarray, mirror: bool = True) -> QImage:
    """BGR uint8 HxWx3 to a QImage that owns its pixels, mirrored left to right."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"preview frame must be HxWx3 uint8 BGR, got {image.shape} {image.dtype}")
    pixels = np.ascontiguousarray(image[:, ::-1] if mirror else image)
    height, width = pixels.shape[:2]
    view = QImage(pixels.data, width, height, pixels.strides[0], QImage.Format.Format_BGR888)
    return view.copy()


class CameraView(QWidget):
    def __init__(self, blur: bool = True, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.blur = blur
        self._clock = clock
        self.image: QImage | None = None
        self._last_frame_at = -1e9
        self.device_ok = True
        self.sending = False
        self.shelf: Shelf | None = None
        self.scale = 1.0
        self._times: deque[float] = deque(maxlen=32)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._stale_timer = QTimer(self)
        self._stale_timer.setInterval(500)
        self._stale_timer.timeout.connect(self._check_stale)
        self._stale_timer.start()
        self._was_live = False
        self._image_rect = QRectF()
        self.live_changed: list[Callable[[bool], None]] = []
        """Called when frames start or stop: the window gives a live camera more room."""

    def heightForWidth(self, width: int) -> int:
        return width * 9 // 16

    def hasHeightForWidth(self) -> bool:
        return True

    def sizeHint(self) -> QSize:
        return QSize(640, 360)

    @property
    def live(self) -> bool:
        return (
            self.device_ok
            and self.image is not None
            and self._clock() - self._last_frame_at < STALE_S
        )

    def show_frame(self, frame: FramePreview) -> None:
        pixels = frame.image
        if self.blur and frame.faces and not frame.redacted:
            pixels = blur_faces(pixels, frame.faces)
        self.image = to_qimage(pixels)
        now = self._clock()
        self._last_frame_at = now
        self._times.append(now)
        self._sync_live()
        self.update()

    def fps(self) -> float:
        """Frames a second over the last couple of seconds."""
        now = self._clock()
        recent = [t for t in self._times if now - t < 2.0]
        if len(recent) < 2:
            return 0.0
        return (len(recent) - 1) / max(1e-6, recent[-1] - recent[0])

    def set_device(self, ok: bool) -> None:
        self.device_ok = ok
        self._sync_live()
        self.update()

    def set_sending(self, sending: bool) -> None:
        self.sending = sending
        self.update()

    def point_to(self, shelf: Shelf | None) -> None:
        self.shelf = shelf if shelf is not None and shelf.camera_xy is not None else None
        self.update()

    def _check_stale(self) -> None:
        self._sync_live()

    def _sync_live(self) -> None:
        live = self.live
        if live == self._was_live:
            return
        self._was_live = live
        for callback in list(self.live_changed):
            callback(live)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        rect = QRectF(self.rect())
        painter.fillRect(rect, theme.color("#202124"))
        if self.live and self.image is not None:
            self._paint_image(painter, rect, self.image)
            self._paint_pointer(painter, rect)
        else:
            self._paint_unavailable(painter, rect)
        if self.sending:
            self._paint_sending(painter, rect)
        painter.end()

    def _paint_image(self, painter: QPainter, rect: QRectF, image: QImage) -> None:
        # fill the box, cropping the longer side (a preview, not a measurement)
        scale = max(rect.width() / image.width(), rect.height() / image.height())
        w, h = image.width() * scale, image.height() * scale
        target = QRectF(rect.x() + (rect.width() - w) / 2, rect.y() + (rect.height() - h) / 2, w, h)
        painter.save()
        painter.setClipRect(rect)
        painter.drawImage(target, image)
        painter.restore()
        self._image_rect = target

    def marker_position(self) -> QPointF | None:
        """Where the shelf pointer sits over the (mirrored) preview; None when not drawn."""
        if self.shelf is None or self.shelf.camera_xy is None or not self.live:
            return None
        target = self._image_rect if not self._image_rect.isEmpty() else QRectF(self.rect())
        fx, fy = self.shelf.camera_xy
        return QPointF(target.x() + (1.0 - fx) * target.width(), target.y() + fy * target.height())

    def _paint_pointer(self, painter: QPainter, rect: QRectF) -> None:
        at = self.marker_position()
        if at is None:
            return
        s = self.scale
        painter.setPen(QPen(theme.color("#ffffff"), 4 * s))
        painter.setBrush(theme.color(theme.POINTER))
        painter.drawEllipse(at, 16 * s, 16 * s)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(theme.color(theme.POINTER), 4 * s))
        painter.drawEllipse(at, 30 * s, 30 * s)

    def _paint_unavailable(self, painter: QPainter, rect: QRectF) -> None:
        """A slim bar: a crossed-out camera and two short lines beside it."""
        s = self.scale
        icon = QRectF(rect.x() + 36 * s, rect.center().y() - 24 * s, 68 * s, 48 * s)
        painter.setPen(QPen(theme.color("#bdc1c6"), 5 * s))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(icon, 10 * s, 10 * s)
        painter.drawEllipse(icon.center(), 15 * s, 15 * s)
        painter.drawLine(
            icon.topLeft() + QPointF(-8 * s, -8 * s), icon.bottomRight() + QPointF(8 * s, 8 * s)
        )
        left = icon.right() + 32 * s
        painter.setPen(theme.color("#ffffff"))
        painter.setFont(theme.font(round(30 * s), bold=True))
        text = QRectF(left, rect.center().y() - 40 * s, rect.right() - left, 40 * s)
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(text, align, "Camera unavailable")
        painter.setPen(theme.color("#dadce0"))
        painter.setFont(theme.font(round(24 * s)))
        more = QRectF(left, text.bottom() + 2 * s, rect.right() - left, 34 * s)
        painter.drawText(more, align, "You can still ask out loud or type")

    def _paint_sending(self, painter: QPainter, rect: QRectF) -> None:
        s = self.scale
        painter.setFont(theme.font(round(22 * s), bold=True))
        text = "Sharing this picture with the assistant"
        width = painter.fontMetrics().horizontalAdvance(text) + 64 * s
        pill = QRectF(rect.x() + 12 * s, rect.y() + 12 * s, width, 44 * s)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(theme.color(theme.CLOUD))
        painter.drawRoundedRect(pill, 22 * s, 22 * s)
        painter.setBrush(theme.color("#ffffff"))
        painter.drawEllipse(QPointF(pill.x() + 24 * s, pill.center().y()), 8 * s, 8 * s)
        painter.setPen(theme.color("#ffffff"))
        painter.drawText(pill.adjusted(44 * s, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter, text)
