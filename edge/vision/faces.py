"""Face detection with MediaPipe BlazeFace (ONNX), anchors decoded here, weighted NMS.

Two models share one decoder: the short-range "front" model (128x128 input, faces within about
two metres) and the full-range "back" model (256x256, smaller faces). Both take NHWC RGB scaled
to -1..1 and emit 896 anchors: a 16x16 grid with 2 anchors per cell, then an 8x8 grid with 6.
Each anchor's 16 numbers are the box centre offset and size, then six key points (eyes, nose,
mouth, ears), all in input pixels relative to the anchor's cell centre. The image is
letterboxed to a square, so boxes map back to the frame without distortion.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from edge.vision.providers import SessionOptions, open_vision_session

LAYERS = ((16, 2), (8, 6))
"""(cells per row, anchors per cell) of the two output layers."""
IOU_THRESHOLD = 0.3


@dataclass(frozen=True)
class Face:
    """A face in frame pixels: top-left corner, size, score and six key points."""

    x: float
    y: float
    w: float
    h: float
    score: float
    keypoints: tuple[tuple[float, float], ...] = ()

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y + self.h / 2)

    def box(self, width: int, height: int, margin: float = 0.0) -> tuple[int, int, int, int]:
        """Integer (x0, y0, x1, y1) grown by `margin` times the size on every side, clipped."""
        grow_w, grow_h = self.w * margin, self.h * margin
        x0 = int(np.floor(max(0.0, self.x - grow_w)))
        y0 = int(np.floor(max(0.0, self.y - grow_h)))
        x1 = int(np.ceil(min(float(width), self.x + self.w + grow_w)))
        y1 = int(np.ceil(min(float(height), self.y + self.h + grow_h)))
        return x0, y0, max(x0, x1), max(y0, y1)

    def scaled(self, factor: float) -> Face:
        return Face(
            self.x * factor,
            self.y * factor,
            self.w * factor,
            self.h * factor,
            self.score,
            tuple((px * factor, py * factor) for px, py in self.keypoints),
        )


def anchor_centres() -> np.ndarray:
    """The 896 anchor centres, (x, y) as fractions of the input square, in output order."""
    rows = []
    for cells, per_cell in LAYERS:
        ys, xs = np.mgrid[0:cells, 0:cells]
        grid = np.stack([(xs + 0.5) / cells, (ys + 0.5) / cells], axis=-1).reshape(-1, 2)
        rows.append(np.repeat(grid, per_cell, axis=0))
    return np.concatenate(rows).astype(np.float32)


class BlazeFace:
    """One BlazeFace model. `detect` takes an 8-bit BGR image of any size."""

    def __init__(
        self,
        model_path: Path,
        threshold: float = 0.5,
        session: SessionOptions | None = None,
    ) -> None:
        self.session = open_vision_session(model_path, session or SessionOptions())
        model_input = self.session.get_inputs()[0]
        self._input = model_input.name
        self.size = int(model_input.shape[1])
        self._outputs = [o.name for o in self.session.get_outputs()]
        self.threshold = threshold
        self._anchors = anchor_centres()

    def detect(self, image: np.ndarray, threshold: float | None = None) -> list[Face]:
        """Faces in `image`, best first, in its pixels."""
        height, width = image.shape[:2]
        side = max(height, width)
        pad_x, pad_y = (side - width) / 2, (side - height) / 2
        tensor = self._tensor(image, side, int(pad_x), int(pad_y))
        scores_a, scores_b, boxes_a, boxes_b = self.session.run(
            self._outputs, {self._input: tensor}
        )
        logits = np.concatenate([scores_a.reshape(-1), scores_b.reshape(-1)])
        raw = np.concatenate([boxes_a.reshape(-1, 16), boxes_b.reshape(-1, 16)])
        limit = self.threshold if threshold is None else threshold
        keep = np.flatnonzero(logits > _logit(limit))
        if keep.size == 0:
            return []
        scores = 1.0 / (1.0 + np.exp(-logits[keep].astype(np.float64)))
        geometry = self._decode(raw[keep], self._anchors[keep]) * side
        points_x = [0, *range(4, 16, 2)]
        geometry[:, points_x] -= int(pad_x)
        geometry[:, [p + 1 for p in points_x]] -= int(pad_y)
        return [_to_face(g, s) for g, s in weighted_nms(geometry, scores)]

    def _tensor(self, image: np.ndarray, side: int, left: int, top: int) -> np.ndarray:
        height, width = image.shape[:2]
        if side != height or side != width:
            square = np.zeros((side, side, 3), dtype=np.uint8)
            square[top : top + height, left : left + width] = image
        else:
            square = image
        interpolation = cv2.INTER_AREA if side > self.size else cv2.INTER_LINEAR
        small = cv2.resize(square, (self.size, self.size), interpolation=interpolation)
        rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB).astype(np.float32)
        return (rgb * (2.0 / 255.0) - 1.0)[None]

    def _decode(self, raw: np.ndarray, anchors: np.ndarray) -> np.ndarray:
        """Rows of (cx, cy, w, h, kx0, ky0, ... kx5, ky5) as fractions of the input square."""
        out = raw.astype(np.float64) / self.size
        out[:, 0:2] += anchors
        out[:, 2:4] = np.abs(out[:, 2:4])  # the full-range model reports heights negative
        out[:, 4::2] += anchors[:, :1]
        out[:, 5::2] += anchors[:, 1:]
        return out


def weighted_nms(
    geometry: np.ndarray, scores: np.ndarray, iou_threshold: float = IOU_THRESHOLD
) -> list[tuple[np.ndarray, float]]:
    """MediaPipe's weighted non-maximum suppression: overlapping detections are blended,
    weighted by score, and keep the best score. Rows are (cx, cy, w, h, key points...)."""
    order = np.argsort(-scores)
    geometry, scores = geometry[order], scores[order]
    remaining = np.ones(len(scores), dtype=bool)
    merged = []
    for i in range(len(scores)):
        if not remaining[i]:
            continue
        overlap = _iou(geometry[i], geometry) >= iou_threshold
        group = overlap & remaining
        group[i] = True
        remaining &= ~group
        weights = scores[group]
        blended = (geometry[group] * weights[:, None]).sum(axis=0) / weights.sum()
        merged.append((blended, float(scores[i])))
    return merged


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    x0 = np.maximum(box[0] - box[2] / 2, boxes[:, 0] - boxes[:, 2] / 2)
    y0 = np.maximum(box[1] - box[3] / 2, boxes[:, 1] - boxes[:, 3] / 2)
    x1 = np.minimum(box[0] + box[2] / 2, boxes[:, 0] + boxes[:, 2] / 2)
    y1 = np.minimum(box[1] + box[3] / 2, boxes[:, 1] + boxes[:, 3] / 2)
    inner = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    union = box[2] * box[3] + boxes[:, 2] * boxes[:, 3] - inner
    return np.where(union > 0, inner / np.maximum(union, 1e-12), 0.0)


def _to_face(g: np.ndarray, score: float) -> Face:
    cx, cy, w, h = (float(v) for v in g[:4])
    points = tuple((float(g[i]), float(g[i + 1])) for i in range(4, 16, 2))
    return Face(cx - w / 2, cy - h / 2, w, h, score, points)


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return float(np.log(p / (1 - p)))
