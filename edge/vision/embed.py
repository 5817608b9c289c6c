"""Product embeddings: MobileNetV2 (ImageNet weights) global-pooled features, L2-normalised.

The ONNX model takes NCHW RGB 0..255 at 224x224 and normalises inside the graph; it outputs
`embedding` [N, 1280]. fp32 and int8 builds exist; which one runs is the caller's choice
(`kiosk bench vision` measures both). Crops are squared around their centre before resizing,
so a product keeps its shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from edge.vision.providers import SessionOptions, active_provider, open_vision_session

INPUT_SIZE = 224
DIM = 1280

Box = tuple[int, int, int, int]
"""(x0, y0, x1, y1) in pixels."""


class Embedder:
    def __init__(
        self, model_path: Path, session: SessionOptions | None = None, batch: int = 16
    ) -> None:
        self.path = Path(model_path)
        self.session = open_vision_session(self.path, session or SessionOptions())
        self._input = self.session.get_inputs()[0].name
        self.batch = batch
        self.provider = active_provider(self.session)

    def embed(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """L2-normalised embeddings, one row per BGR image (any size)."""
        if not images:
            return np.zeros((0, DIM), dtype=np.float32)
        rows = []
        for start in range(0, len(images), self.batch):
            tensor = np.stack([to_tensor(im) for im in images[start : start + self.batch]])
            (features,) = self.session.run(["embedding"], {self._input: tensor})
            rows.append(np.asarray(features, dtype=np.float32))
        return normalise(np.concatenate(rows))

    def embed_regions(self, image: np.ndarray, boxes: Sequence[Box]) -> np.ndarray:
        return self.embed([square_crop(image, box) for box in boxes])


def square_crop(image: np.ndarray, box: Box) -> np.ndarray:
    """The square around the box's centre with side max(w, h), padded by edge replication
    where it runs off the image."""
    x0, y0, x1, y1 = box
    side = max(x1 - x0, y1 - y0, 1)
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    left, top = cx - side // 2, cy - side // 2
    height, width = image.shape[:2]
    pads = (max(0, -top), max(0, top + side - height), max(0, -left), max(0, left + side - width))
    crop = image[max(0, top) : top + side, max(0, left) : left + side]
    if any(pads):
        crop = cv2.copyMakeBorder(crop, *pads, cv2.BORDER_REPLICATE)
    return crop


def to_tensor(image: np.ndarray) -> np.ndarray:
    """BGR uint8 (any size) to a CHW float32 RGB 0..255 tensor at 224x224."""
    height, width = image.shape[:2]
    shrinking = height > INPUT_SIZE or width > INPUT_SIZE
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    small = cv2.resize(image, (INPUT_SIZE, INPUT_SIZE), interpolation=interpolation)
    rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
    return np.ascontiguousarray(rgb.transpose(2, 0, 1), dtype=np.float32)


def normalise(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.asarray(rows / np.maximum(norms, 1e-12), dtype=np.float32)
