"""The camera: which source a config names, frames stamped and decoded on demand, a lost camera
reported and reopened, and the device released on close."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.camera import Camera, CameraOptions, ImagesSource, gstreamer_available, open_source
from edge.vision.errors import CameraError

pytestmark = pytest.mark.unit


def _pictures(folder: Path, count: int) -> Path:
    folder.mkdir()
    for i in range(count):
        cv2.imwrite(str(folder / f"{i:02d}.png"), np.full((48, 64, 3), 20 * i, np.uint8))
    return folder


def test_a_folder_is_a_looping_camera(tmp_path: Path) -> None:
    source = open_source(CameraOptions(str(_pictures(tmp_path / "shots", 3)), file_fps=200.0))
    assert isinstance(source, ImagesSource)
    seen = []
    for _ in range(4):
        assert source.grab()
        seen.append(int(source.retrieve()[0, 0, 0]))
    assert seen == [0, 20, 40, 0]
    source.release()


@pytest.mark.parametrize(
    "spec, words, retryable",
    [
        ("/nowhere/video.mp4", "no such file, folder or device", False),
        ("/dev/video99", "no such camera device", True),
        ("", "empty camera source", False),
    ],
)
def test_bad_sources_say_what_is_wrong(spec: str, words: str, retryable: bool) -> None:
    with pytest.raises(CameraError, match=words) as caught:
        open_source(CameraOptions(spec))
    assert caught.value.retryable is retryable


def test_a_gstreamer_pipeline_needs_gstreamer_in_opencv() -> None:
    pipeline = "nvarguscamerasrc ! video/x-raw(memory:NVMM) ! nvvidconv ! appsink"
    if gstreamer_available():
        pytest.skip("this OpenCV has GStreamer")  # pragma: no cover
    with pytest.raises(CameraError, match="GStreamer") as caught:
        open_source(CameraOptions(pipeline))
    assert not caught.value.retryable


def test_an_empty_folder_or_a_broken_video_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(CameraError, match="no images"):
        open_source(CameraOptions(str(tmp_path / "empty")))
    broken = tmp_path / "clip.mp4"
    broken.write_bytes(b"\x00" * 64)
    with pytest.raises(CameraError, match="not a readable video"):
        open_source(CameraOptions(str(broken)))


class FlakySource:
    """Delivers `frames` numbered frames, then stops like an unplugged camera."""

    def __init__(self, frames: int, released: list[str]) -> None:
        self.name = "flaky"
        self.left = frames
        self.count = 0
        self.released = released

    def grab(self) -> bool:
        time.sleep(0.002)
        if self.left == 0:
            return False
        self.left -= 1
        self.count += 1
        return True

    def retrieve(self) -> np.ndarray:
        return np.full((4, 4, 3), self.count % 256, np.uint8)

    def release(self) -> None:
        self.released.append(self.name)


def test_a_lost_camera_is_reported_and_reopened() -> None:
    released: list[str] = []
    opened = 0
    status: list[tuple[bool, str]] = []
    reopened = threading.Event()

    def opener() -> FlakySource:
        nonlocal opened
        opened += 1
        if opened == 2:
            raise CameraError("flaky: cannot open (unplugged, busy or no permission)")
        if opened >= 3:
            reopened.set()
        return FlakySource(40 if opened == 1 else 10_000, released)

    camera = Camera(opener, lambda ok, detail: status.append((ok, detail)), retry_s=(0.01,))
    camera.start()
    first = camera.read(timeout=2.0)
    assert first is not None and first.captured_ns > 0
    assert reopened.wait(5.0)
    later = camera.read(timeout=2.0)
    assert later is not None
    camera.close()
    assert [ok for ok, _ in status] == [True, False, True]
    assert "stopped delivering frames" in status[1][1]
    assert released.count("flaky") == 2  # the lost one, and the last one on close


def test_frames_are_the_newest_and_stamped_in_order() -> None:
    camera = Camera(lambda: FlakySource(10_000, []), retry_s=(0.01,)).start()
    frames = [camera.read(timeout=2.0) for _ in range(3)]
    camera.close()
    assert all(f is not None for f in frames)
    stamps = [f.captured_ns for f in frames if f is not None]
    indices = [f.index for f in frames if f is not None]
    assert stamps == sorted(stamps) and len(set(indices)) == 3
    assert camera.read(timeout=0.05) is None  # closed: nothing more


def test_close_is_safe_before_any_frame() -> None:
    camera = Camera(lambda: FlakySource(0, []), retry_s=(0.01,)).start()
    camera.stop()
    camera.close()
