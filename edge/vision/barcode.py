"""EAN-13 / UPC barcodes with OpenCV's barcode detector.

OpenCV reports an EAN-13 code that starts with 0 as the 12-digit UPC-A it also is. A catalog
may list either spelling, so `spellings` gives both, check digit verified.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Barcode:
    code: str
    """Digits as read, check digit verified."""
    kind: str
    """'EAN_13', 'UPC_A', 'EAN_8', 'UPC_E'..."""
    corners: tuple[tuple[float, float], ...]

    def spellings(self) -> tuple[str, ...]:
        return spellings(self.code)


@dataclass(frozen=True)
class BarcodeScan:
    codes: tuple[Barcode, ...]
    unread: int
    """Barcode-like regions found that did not decode: something with a barcode is there."""


def gtin_valid(code: str) -> bool:
    """The GS1 check digit of an EAN-8, UPC-A, EAN-13 or GTIN-14 code."""
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        return False
    digits = [int(c) for c in code]
    body, check = digits[:-1], digits[-1]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def spellings(code: str) -> tuple[str, ...]:
    """The code and its equivalents: a UPC-A with a leading 0 is the same EAN-13."""
    if len(code) == 12:
        return (code, "0" + code)
    if len(code) == 13 and code.startswith("0"):
        return (code, code[1:])
    return (code,)


class BarcodeReader:
    def __init__(self) -> None:
        self._detector = cv2.barcode.BarcodeDetector()

    def scan(self, image: np.ndarray) -> BarcodeScan:
        """Every barcode in a BGR or gray image."""
        try:
            ok, texts, kinds, corners = self._detector.detectAndDecodeWithType(image)
        except cv2.error:
            return BarcodeScan((), 0)
        if not ok or corners is None:
            return BarcodeScan((), 0)
        found: dict[str, Barcode] = {}
        unread = 0
        for text, kind, quad in zip(texts, kinds, corners, strict=False):
            digits = (text or "").strip()
            if not gtin_valid(digits):
                unread += 1
                continue
            points = tuple((float(x), float(y)) for x, y in np.asarray(quad).reshape(-1, 2))
            found.setdefault(digits, Barcode(digits, kind or "", points))
        return BarcodeScan(tuple(found.values()), unread)
