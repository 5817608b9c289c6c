from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from kiosk.events import CloudActivity, DeviceStatus, FaceBox, FramePreview, PointToShelf
from kiosk.store.pack import Shelf, StorePack
from tests.ui.conftest import ManualClock, WindowFactory
from ui.bridge import EventBridge
from ui.camera_view import STALE_S, blur_faces
from ui.window import KioskWindow

pytestmark = pytest.mark.ui

RED, BLUE = (0, 0, 255), (255, 0, 0)  # BGR


def _halves() -> np.ndarray:
    frame = np.zeros((360, 640, 3), np.uint8)
    frame[:, :320] = RED
    frame[:, 320:] = BLUE
    return frame


def _checker(h: int = 360, w: int = 640) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    tile = (((yy // 4) + (xx // 4)) % 2 * 255).astype(np.uint8)
    return np.repeat(tile[:, :, None], 3, axis=2)


def test_no_frames_means_camera_unavailable(window: KioskWindow) -> None:
    assert not window.camera.live
    assert window.camera.image is None


def test_frames_are_shown_mirrored(window: KioskWindow) -> None:
    window.on_event(FramePreview(_halves(), captured_ns=1))
    image = window.camera.image
    assert window.camera.live and image is not None
    left, right = image.pixelColor(10, 180), image.pixelColor(630, 180)
    assert (left.red(), left.blue()) == (0, 255)  # the camera's right side, now on the left
    assert (right.red(), right.blue()) == (255, 0)


def test_faces_are_blurred_in_privacy_mode() -> None:
    frame = _checker()
    face = FaceBox(200, 100, 120, 140)
    out = blur_faces(frame, (face,))
    region = out[100:240, 200:320].astype(float)
    assert region.std() < 0.2 * frame[100:240, 200:320].astype(float).std()
    assert np.array_equal(out[:, :150], frame[:, :150])  # the rest is untouched
    assert np.array_equal(frame, _checker())  # the caller's frame is not modified


def test_the_window_blurs_unredacted_faces_only_when_privacy_is_on(
    make_window: WindowFactory,
) -> None:
    face = (FaceBox(200, 100, 120, 140),)

    # the mirrored face box spans x 640-320 .. 640-200
    def face_std(win: KioskWindow) -> float:
        image = win.camera.image
        assert image is not None
        pixels = [
            image.pixelColor(x, y).red() for x in range(330, 430, 3) for y in range(110, 230, 3)
        ]
        return float(np.std(pixels))

    private = make_window()
    private.on_event(FramePreview(_checker(), 1, face, redacted=False))
    assert face_std(private) < 40

    trusting = make_window()
    trusting.on_event(FramePreview(_checker(), 1, face, redacted=True))  # vision already did it
    assert face_std(trusting) > 100

    public = make_window(blur_faces=False)
    public.on_event(FramePreview(_checker(), 1, face, redacted=False))
    assert face_std(public) > 100


def test_a_stalled_or_lost_camera_shows_unavailable(
    window: KioskWindow, clock: ManualClock
) -> None:
    window.on_event(FramePreview(_halves(), 1))
    assert window.camera.live
    clock.advance(STALE_S + 0.1)
    assert not window.camera.live
    window.on_event(FramePreview(_halves(), 2))
    assert window.camera.live
    window.on_event(DeviceStatus("camera", False, "/dev/video0: no such device"))
    assert not window.camera.live
    assert "camera is off" in window.status.warning.text()


def test_the_cloud_sending_indicator_follows_the_frames(window: KioskWindow) -> None:
    window.on_event(FramePreview(_halves(), 1))
    window.on_event(CloudActivity(True, "frame"))
    assert window.camera.sending
    image = window.camera.grab().toImage()
    ratio = image.devicePixelRatio()
    badge = image.pixelColor(round(30 * ratio), round(36 * ratio))
    assert (badge.red(), badge.green()) == (0xB8, 0x5C)  # the orange badge
    window.on_event(CloudActivity(False, "frame"))
    assert not window.camera.sending


def test_the_pointer_is_drawn_over_the_camera_when_the_store_knows_the_spot(
    make_window: WindowFactory, demo_store: StorePack
) -> None:
    shelves = dict(demo_store.shelves)
    shelves["A5-L"] = dataclasses.replace(shelves["A5-L"], camera_xy=(0.25, 0.5))
    store = dataclasses.replace(demo_store, shelves=shelves)
    win = make_window(store=store)
    win.wake()
    win.on_event(FramePreview(_halves(), 1))
    win.on_event(PointToShelf("A5-L"))
    at = win.camera.marker_position()
    assert at is not None
    assert at.x() == pytest.approx(win.camera.width() * 0.75, abs=2)  # mirrored
    win.on_event(PointToShelf("D1"))  # no camera position for the dairy cooler
    assert win.camera.marker_position() is None
    assert isinstance(shelves["D1"], Shelf)


def test_a_busy_screen_gets_the_newest_frame_not_a_backlog(
    window: KioskWindow, qtbot: QtBot
) -> None:
    bridge = EventBridge()
    shown: list[int] = []
    bridge.connect_to(
        lambda e: shown.append(e.captured_ns) if isinstance(e, FramePreview) else None
    )
    bridge.connect_to(window.on_event)
    for i in range(20):  # the GUI thread is not running events meanwhile
        bridge.post(FramePreview(_halves(), captured_ns=i))
    bridge.post(PointToShelf("D1"))
    qtbot.waitUntil(lambda: window.map_view.shelf_id == "D1", timeout=2000)
    assert shown == [19]
    assert bridge.frames_dropped == 19
