"""Face redaction: every face box, grown by a margin, is painted over with one flat colour.

A blur that merely softens a face still lets a detector (and a person) find it, and even a
heavy blur leaves a head-shaped, skin-coloured blob on the shoulders that detectors still call
a face. So each box is filled with the mean colour of the ring of picture just around it: the
head vanishes into its background, only the box's soft edge shows. The margin takes in hair,
ears and chin, which BlazeFace's box leaves out.
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

from edge.vision.faces import Face

MARGIN = 0.35
"""Growth on every side, as a share of the face box; twice that above it for hair."""


def redact(image: np.ndarray, faces: Iterable[Face], margin: float = MARGIN) -> np.ndarray:
    """A copy of `image` with every face painted over."""
    out = image.copy()
    height, width = out.shape[:2]
    for face in faces:
        x0, y0, x1, y1 = face.box(width, height, margin)
        y0 = max(0, int(face.y - face.h * margin * 2))
        x1, y1 = min(x1, width), min(y1, height)  # a box reported past the edge
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        paint_over(out, x0, y0, x1, y1)
    return out


def ring_colour(image: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    """The mean colour of a band around the box (a tenth of its width), within the image."""
    height, width = image.shape[:2]
    band = max(2, (x1 - x0) // 10)
    ox0, oy0 = max(0, x0 - band), max(0, y0 - band)
    ox1, oy1 = min(width, x1 + band), min(height, y1 + band)
    outer = image[oy0:oy1, ox0:ox1].reshape(-1, 3).astype(np.float64)
    inner = image[y0:y1, x0:x1].reshape(-1, 3).astype(np.float64)
    count = len(outer) - len(inner)
    if count <= 0:
        return np.asarray(outer.mean(axis=0), np.float32)
    return np.asarray((outer.sum(axis=0) - inner.sum(axis=0)) / count, np.float32)


def paint_over(image: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> None:
    """Fill a region, in place, with its surroundings' colour; its outer sixteenth feathers
    into the picture (that band lies in the margin, outside the face itself)."""
    region = image[y0:y1, x0:x1]
    h, w = region.shape[:2]
    colour = ring_colour(image, x0, y0, x1, y1)
    feather = max(1, min(w, h) // 16)
    alpha = np.zeros((h, w), np.float32)
    alpha[feather : h - feather, feather : w - feather] = 1.0
    alpha = np.asarray(cv2.blur(alpha, (2 * feather + 1, 2 * feather + 1)), np.float32)
    inner = alpha[..., None]
    blended = colour * inner + region.astype(np.float32) * (1.0 - inner)
    image[y0:y1, x0:x1] = np.clip(blended, 0, 255).astype(np.uint8)
