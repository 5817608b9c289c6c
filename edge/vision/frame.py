"""The frame for the cloud: the only image that leaves the device.

Every face is found with both BlazeFace models on the picture at the size it will be sent, all
boxes (with those the analysis already had) are flattened at full resolution, and the picture
is scaled so its longer side is at most `max_side` and JPEG-encoded at `quality`. Then the
encoded bytes, exactly what would be sent, are decoded and searched again: anything a detector
still calls a face is flattened too, and a frame that stays dirty after a few rounds is not
sent at all. It keeps its capture time, so a frame sent with an utterance is never newer than
the utterance's end.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import cv2
import numpy as np

from edge.vision.errors import ImageError
from edge.vision.faces import Face
from edge.vision.image import fit_within
from edge.vision.redact import MARGIN, redact

log = logging.getLogger(__name__)


class FaceDetector(Protocol):
    def detect(self, image: np.ndarray, threshold: float | None = None) -> list[Face]: ...


@dataclass(frozen=True)
class FrameOptions:
    max_side: int = 768
    quality: int = 85
    margin: float = MARGIN
    rounds: int = 3
    """Encode-and-check rounds before a frame that still shows a face is withheld."""


@dataclass(frozen=True)
class CloudFrame:
    jpeg: bytes = field(repr=False)
    captured_ns: int
    width: int
    height: int
    faces_redacted: int


def encode_jpeg(image: np.ndarray, quality: int) -> bytes:
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ImageError(f"JPEG encoding failed for a {image.shape} image")
    return bytes(buffer.tobytes())


class CloudFramer:
    def __init__(
        self, detectors: Sequence[FaceDetector], options: FrameOptions | None = None
    ) -> None:
        self.detectors = tuple(detectors)
        self.options = options or FrameOptions()

    def faces_in(self, image: np.ndarray) -> list[Face]:
        return [face for d in self.detectors for face in d.detect(image)]

    def prepare(
        self, image: np.ndarray, known: Sequence[Face], captured_ns: int
    ) -> CloudFrame | None:
        """The redacted JPEG of `image`, or None when a face survives every round."""
        options = self.options
        small = fit_within(image, options.max_side)
        scale = image.shape[1] / small.shape[1]
        faces = list(known) + [f.scaled(scale) for f in self.faces_in(small)]
        for _ in range(options.rounds):
            clean = fit_within(redact(image, faces, options.margin), options.max_side)
            jpeg = encode_jpeg(clean, options.quality)
            sent = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
            if sent is None:
                raise ImageError("the encoded cloud frame does not decode")
            left = self.faces_in(sent)
            if not left:
                height, width = clean.shape[:2]
                return CloudFrame(jpeg, captured_ns, width, height, distinct(faces))
            faces += [f.scaled(scale) for f in left]
        log.warning("cloud frame withheld: a face was still found after %d rounds", options.rounds)
        return None


def distinct(faces: Sequence[Face], overlap: float = 0.3) -> int:
    """How many different faces the boxes show (both detectors often find the same one)."""
    kept: list[Face] = []
    for face in sorted(faces, key=lambda f: -f.score):
        if all(_iou(face, other) < overlap for other in kept):
            kept.append(face)
    return len(kept)


def _iou(a: Face, b: Face) -> float:
    x0, y0 = max(a.x, b.x), max(a.y, b.y)
    x1, y1 = min(a.x + a.w, b.x + b.w), min(a.y + a.h, b.y + b.h)
    inner = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = a.w * a.h + b.w * b.h - inner
    return inner / union if union > 0 else 0.0
