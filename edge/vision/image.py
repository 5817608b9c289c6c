"""Images in, 8-bit BGR out: decoding files and normalising frames of any kind.

Every vision stage works on HxWx3 uint8 BGR (OpenCV's order). A grayscale, 16-bit, float or
alpha image is converted; an empty, corrupt or absurdly large one is refused with an
`ImageError` that names the source. Large photos are scaled down before analysis.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from edge.vision.errors import ImageError

MAX_PIXELS = 100_000_000
"""Larger images are refused (a 12-megapixel photo is fine)."""
MAX_FILE_BYTES = 200 * 1024 * 1024


def read_image(path: Path) -> np.ndarray:
    """Decode an image file (JPEG, PNG, ...; EXIF orientation applied) to 8-bit BGR."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImageError(f"{path}: file too large for an image ({size} bytes)")
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImageError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise ImageError(f"{path}: is a folder, not an image") from None
    except OSError as exc:
        raise ImageError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return decode_image(data, str(path))


def decode_image(data: bytes, source: str = "image") -> np.ndarray:
    """Decode encoded image bytes to 8-bit BGR; `source` names the input in errors."""
    if not data:
        raise ImageError(f"{source}: empty file (0 bytes)")
    buffer = np.frombuffer(data, dtype=np.uint8)
    # A JPEG is 8-bit: decode it as colour, which also applies its EXIF orientation (phones
    # store photos sideways). Other formats keep their depth and channels for as_bgr8.
    jpeg = data.startswith(b"\xff\xd8")
    flags = cv2.IMREAD_COLOR if jpeg else cv2.IMREAD_UNCHANGED | cv2.IMREAD_ANYDEPTH
    try:
        image = cv2.imdecode(buffer, flags)
    except cv2.error as exc:
        raise ImageError(f"{source}: cannot decode: {_first_line(exc)}") from None
    if image is None:
        raise ImageError(f"{source}: not a readable image (corrupt, truncated or unknown format)")
    if image.ndim >= 2 and image.shape[0] * image.shape[1] > MAX_PIXELS:
        raise ImageError(f"{source}: {image.shape[1]}x{image.shape[0]} is too many pixels")
    return as_bgr8(image, source)


def as_bgr8(image: np.ndarray, source: str = "frame") -> np.ndarray:
    """HxWx3 uint8 BGR from gray, BGRA, 16-bit, float (0..1) or bool arrays."""
    array = np.asarray(image)
    if array.ndim not in (2, 3) or array.size == 0 or min(array.shape[:2]) == 0:
        raise ImageError(f"{source}: zero-size or malformed image (shape {array.shape})")
    if array.ndim == 3 and array.shape[2] not in (1, 3, 4):
        raise ImageError(f"{source}: {array.shape[2]} channels; expected 1, 3 or 4")
    array = _to_uint8(array, source)
    if array.ndim == 2 or array.shape[2] == 1:
        return cv2.cvtColor(array.reshape(array.shape[:2]), cv2.COLOR_GRAY2BGR)
    if array.shape[2] == 4:
        return cv2.cvtColor(array, cv2.COLOR_BGRA2BGR)
    return np.ascontiguousarray(array)


def fit_within(image: np.ndarray, max_side: int) -> np.ndarray:
    """Scale down (never up) so the longer side is at most `max_side` pixels."""
    height, width = image.shape[:2]
    longest = max(height, width)
    if longest <= max_side:
        return image
    scale = max_side / longest
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def _to_uint8(array: np.ndarray, source: str) -> np.ndarray:
    if array.dtype == np.uint8:
        return array
    if array.dtype == np.bool_:
        return array.astype(np.uint8) * 255
    if array.dtype == np.uint16:
        return (array >> 8).astype(np.uint8)
    if np.issubdtype(array.dtype, np.floating):
        finite = np.nan_to_num(array.astype(np.float32), nan=0.0, posinf=1.0, neginf=0.0)
        peak = float(finite.max()) if finite.size else 0.0
        scale = 255.0 if peak <= 1.0 else 1.0
        return np.asarray(np.clip(finite * scale, 0, 255), dtype=np.uint8)
    if np.issubdtype(array.dtype, np.integer):
        return np.asarray(np.clip(array, 0, 255), dtype=np.uint8)
    raise ImageError(f"{source}: unsupported pixel type {array.dtype}")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__
