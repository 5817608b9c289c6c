"""A cheap change score: the mean absolute difference of tiny grey thumbnails.

An unchanged scene is neither analysed nor sent again. The score compares a frame with the
last frame that was analysed (not merely the previous one), so a slow drift still adds up to a
change. Thumbnails are 64x48 and slightly blurred: sensor noise and JPEG artefacts stay below
the threshold, a hand or a product coming into view does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

THUMB = (64, 48)


@dataclass(frozen=True)
class ChangeOptions:
    threshold: float = 0.015
    """Mean absolute difference (0..1) above which a frame counts as changed."""
    refresh_s: float = 10.0
    """Analyse anyway after this long, so a stale result never lingers."""


def thumbnail(image: np.ndarray) -> np.ndarray:
    # Skip pixels first: averaging a 1080p frame down costs more than the rest of the score.
    step = max(1, min(image.shape[0] // (THUMB[1] * 4), image.shape[1] // (THUMB[0] * 4)))
    sparse = image[::step, ::step]
    gray = sparse if sparse.ndim == 2 else cv2.cvtColor(sparse, cv2.COLOR_BGR2GRAY)
    small = cv2.resize(gray, THUMB, interpolation=cv2.INTER_AREA)
    return cv2.GaussianBlur(small, (3, 3), 0).astype(np.float32) / 255.0


class ChangeDetector:
    def __init__(self, options: ChangeOptions | None = None) -> None:
        self.options = options or ChangeOptions()
        self._reference: np.ndarray | None = None
        self._reference_ns = 0
        self._last: tuple[int, np.ndarray] | None = None

    def score(self, image: np.ndarray) -> float:
        """0 (identical) to 1; 1 when there is nothing to compare with yet."""
        thumb = thumbnail(image)
        self._last = (id(image), thumb)
        if self._reference is None:
            return 1.0
        return float(np.mean(np.abs(thumb - self._reference)))

    def should_analyse(self, score: float, captured_ns: int) -> bool:
        stale = captured_ns - self._reference_ns > self.options.refresh_s * 1e9
        return self._reference is None or score > self.options.threshold or stale

    def analysed(self, image: np.ndarray, captured_ns: int) -> None:
        """Remember the frame that was just analysed (the one last scored) as the reference."""
        same = self._last is not None and self._last[0] == id(image)
        self._reference = self._last[1] if same and self._last else thumbnail(image)
        self._reference_ns = captured_ns

    def reset(self) -> None:
        self._reference = None
        self._reference_ns = 0
