"""The camera, with OpenCV: a V4L2 device (index or path), a GStreamer pipeline (Jetson CSI
cameras, when OpenCV is built with GStreamer), or a video file, an image or a folder of images
for development and tests (these loop, paced like a camera).

`Camera` runs a source on its own thread. It grabs every frame the device delivers, so the
driver's buffers never hold stale pictures, but decodes one only when a reader wants it, so
an idle kiosk pays almost nothing. Every frame is stamped with its capture time
(time.monotonic_ns when the grab returned). A lost camera is reported through `on_status` and
reopened with growing pauses; the thread never dies of it. `close` releases the device.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from edge.vision.errors import CameraError, ImageError
from edge.vision.image import as_bgr8, read_image
from edge.vision.sampler import LatestFrame

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".pgm"})
RETRY_S = (1.0, 2.0, 5.0, 10.0)


@dataclass(frozen=True)
class Frame:
    image: np.ndarray = field(repr=False)
    """HxWx3 uint8 BGR."""
    captured_ns: int
    index: int


@dataclass(frozen=True)
class CameraOptions:
    source: str | int = 0
    size: tuple[int, int] | None = None
    """Requested (width, height); None keeps the device's default."""
    file_fps: float = 15.0
    """Pace of image and folder sources (video files use their own frame rate)."""


class FrameSource(Protocol):
    name: str

    def grab(self) -> bool:
        """Wait for the next frame; False when the source has stopped delivering."""
        ...

    def retrieve(self) -> np.ndarray:
        """Decode the frame last grabbed (BGR); raises CameraError."""
        ...

    def release(self) -> None: ...


def describe(source: str | int) -> str:
    if isinstance(source, int) or str(source).isdigit():
        return f"camera {source} (/dev/video{source})"
    return str(source)


def open_source(options: CameraOptions) -> FrameSource:
    """Open what `options.source` names; raises CameraError saying whether a retry can help."""
    spec = options.source
    if isinstance(spec, int) or (isinstance(spec, str) and spec.strip().isdigit()):
        return CaptureSource(int(spec), cv2.CAP_V4L2, describe(spec), options.size)
    text = str(spec).strip()
    if not text:
        raise CameraError("vision.camera: empty camera source", retryable=False)
    if "!" in text:
        if not gstreamer_available():
            raise CameraError(
                "vision.camera: a GStreamer pipeline needs OpenCV built with GStreamer "
                "(this build has none)",
                retryable=False,
            )
        return CaptureSource(text, cv2.CAP_GSTREAMER, "GStreamer pipeline", None)
    path = Path(text)
    if text.startswith("/dev/"):
        if not path.exists():
            raise CameraError(f"{text}: no such camera device", retryable=True)
        return CaptureSource(text, cv2.CAP_V4L2, text, options.size)
    if path.is_dir():
        return ImagesSource(images_in(path), options.file_fps, str(path))
    if not path.is_file():
        raise CameraError(f"{text}: no such file, folder or device", retryable=False)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return ImagesSource([path], options.file_fps, str(path))
    return VideoFileSource(path)


def gstreamer_available() -> bool:
    for line in cv2.getBuildInformation().splitlines():
        if line.strip().startswith("GStreamer:"):
            return "YES" in line
    return False


class CaptureSource:
    """A cv2.VideoCapture on a device or pipeline."""

    def __init__(
        self, target: str | int, api: int, name: str, size: tuple[int, int] | None
    ) -> None:
        self.name = name
        self._capture = cv2.VideoCapture(target, api)
        if not self._capture.isOpened():
            self._capture.release()
            raise CameraError(f"{name}: cannot open (unplugged, busy or no permission)")
        if size is not None:
            self._capture.set(cv2.CAP_PROP_FRAME_WIDTH, size[0])
            self._capture.set(cv2.CAP_PROP_FRAME_HEIGHT, size[1])
        self._capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)

    def grab(self) -> bool:
        return bool(self._capture.grab())

    def retrieve(self) -> np.ndarray:
        ok, image = self._capture.retrieve()
        if not ok or image is None:
            raise CameraError(f"{self.name}: frame could not be decoded")
        return _checked(image, self.name)

    def release(self) -> None:
        self._capture.release()


class VideoFileSource:
    """A video file, looped, paced at its own frame rate."""

    def __init__(self, path: Path) -> None:
        self.name = str(path)
        self._path = path
        self._capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
        if not self._capture.isOpened():
            self._capture.release()
            raise CameraError(f"{path}: not a readable video or image", retryable=False)
        fps = self._capture.get(cv2.CAP_PROP_FPS)
        self._pace = _Pace(fps if 1.0 <= fps <= 120.0 else 15.0)
        self._frames = 0

    def grab(self) -> bool:
        self._pace.wait()
        if self._capture.grab():
            self._frames += 1
            return True
        if self._frames == 0:
            return False  # not one frame: a broken file, not the end of a loop
        self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
        self._frames = 0
        return self.grab()

    def retrieve(self) -> np.ndarray:
        ok, image = self._capture.retrieve()
        if not ok or image is None:
            raise CameraError(f"{self.name}: frame could not be decoded", retryable=False)
        return _checked(image, self.name)

    def release(self) -> None:
        self._capture.release()


class ImagesSource:
    """One image or a folder of images, in name order, looped, paced at `fps`."""

    def __init__(self, paths: list[Path], fps: float, name: str) -> None:
        if not paths:
            raise CameraError(f"{name}: no images in the folder", retryable=False)
        self.name = name
        self._paths = paths
        self._pace = _Pace(fps)
        self._position = -1
        self._cache: dict[Path, np.ndarray] = {}

    def grab(self) -> bool:
        self._pace.wait()
        self._position = (self._position + 1) % len(self._paths)
        return True

    def retrieve(self) -> np.ndarray:
        path = self._paths[max(0, self._position)]
        image = self._cache.get(path)
        if image is None:
            try:
                image = read_image(path)
            except ImageError as exc:
                raise CameraError(str(exc), retryable=False) from None
            if len(self._paths) <= 8:
                self._cache[path] = image
        return image

    def release(self) -> None:
        self._cache.clear()


class Camera:
    """A source on its own thread. `read` returns the newest frame, decoded on demand."""

    def __init__(
        self,
        opener: Callable[[], FrameSource],
        on_status: Callable[[bool, str], None] = lambda ok, detail: None,
        retry_s: tuple[float, ...] = RETRY_S,
    ) -> None:
        self._opener = opener
        self._on_status = on_status
        self._retry_s = retry_s
        self._frames: LatestFrame[Frame] = LatestFrame()
        self._want = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.ok: bool | None = None
        """None until the first open attempt; then whether frames are flowing."""
        self.name = "camera"

    def start(self) -> Camera:
        self._thread = threading.Thread(target=self._run, name="camera", daemon=True)
        self._thread.start()
        return self

    def read(self, timeout: float = 1.0) -> Frame | None:
        """Ask for a frame and wait for it; None when the camera is down or slow."""
        self._want.set()
        return self._frames.take(timeout)

    def stop(self) -> None:
        """Ask the thread to stop and release the device; returns at once (signal-safe)."""
        self._stop.set()

    def close(self) -> None:
        """Stop the thread and wait until it has released the device."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=3.0)

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                source = self._opener()
            except CameraError as exc:
                self._report(False, str(exc))
                failures += 1
                self._stop.wait(self._retry_s[min(failures, len(self._retry_s)) - 1])
                continue
            self.name = source.name
            try:
                delivered = self._pump(source)
            finally:
                source.release()
            if self._stop.is_set():
                break
            failures = 0 if delivered else failures + 1
            self._report(False, f"{source.name}: stopped delivering frames")
            self._stop.wait(self._retry_s[min(max(failures, 1), len(self._retry_s)) - 1])

    def _pump(self, source: FrameSource) -> bool:
        """Grab until the source fails or we stop; True if any frame came through."""
        index = 0
        while not self._stop.is_set():
            if not source.grab():
                return index > 0
            captured_ns = time.monotonic_ns()
            if index == 0:
                self._report(True, source.name)
            index += 1
            if not self._want.is_set():
                continue
            try:
                image = source.retrieve()
            except CameraError as exc:
                log.warning("camera: %s", exc)
                return index > 1
            self._want.clear()
            self._frames.put(Frame(image, captured_ns, index))
        return index > 0

    def _report(self, ok: bool, detail: str) -> None:
        if ok == self.ok:
            return
        self.ok = ok
        try:
            self._on_status(ok, detail)
        except Exception:  # a broken observer must not stop the camera
            log.exception("camera status observer failed")


class _Pace:
    def __init__(self, fps: float) -> None:
        self._interval = 1.0 / max(0.1, fps)
        self._next = time.monotonic()

    def wait(self) -> None:
        now = time.monotonic()
        if self._next > now:
            time.sleep(self._next - now)
        self._next = max(self._next + self._interval, time.monotonic())


def images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def _checked(image: np.ndarray, name: str) -> np.ndarray:
    try:
        return as_bgr8(image, name)
    except ImageError as exc:
        raise CameraError(str(exc)) from None
