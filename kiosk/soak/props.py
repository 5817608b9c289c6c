"""What the soak puts in front of the kiosk besides the shopper's voice: the pictures its camera
sees, and a note of every utterance it escalates (to match against the capture)."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np

from kiosk.agent.ports import CloudReply, CloudRequest, CloudResponder, VisitAwareCloud
from kiosk.cloud.client import _pcm16
from kiosk.errors import KioskError
from kiosk.soak.privacy import pcm_digest
from kiosk.store.pack import StorePack

FRAMES_PER_VIEW = 4
"""Each view repeats, so the camera's change detector sees a still scene between changes."""


def write_camera_frames(folder: Path, store: StorePack) -> int:
    """Three views of a shopper at the kiosk (scikit-image's astronaut, a real face), one of
    them holding up a product photo from the store; returns how many files were written."""
    try:
        from skimage import data  # a test dependency
    except ImportError:
        raise KioskError(
            "kiosk soak shows its camera real faces from scikit-image: pip install 'kiosk[test]'"
        ) from None

    folder.mkdir(parents=True, exist_ok=True)
    person = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)  # type: ignore[no-untyped-call]
    views = [person, _with_product(person, store), _small(person)]
    count = 0
    for v, view in enumerate(views):
        for i in range(FRAMES_PER_VIEW):
            cv2.imwrite(str(folder / f"view{v}-{i}.png"), view)
            count += 1
    return count


def _with_product(person: np.ndarray, store: StorePack) -> np.ndarray:
    frame = person.copy()
    photo_path = next((p.images[0] for p in store.products if p.images), None)
    if photo_path is None:
        return frame
    photo = cv2.imread(str(photo_path), cv2.IMREAD_COLOR)
    if photo is None:
        return frame
    photo = cv2.resize(photo, (180, 180), interpolation=cv2.INTER_AREA)
    frame[300:480, 40:220] = photo
    return frame


def _small(person: np.ndarray) -> np.ndarray:
    canvas = np.full((480, 640, 3), 96, dtype=np.uint8)
    canvas[80:400, 160:480] = cv2.resize(person, (320, 320), interpolation=cv2.INTER_AREA)
    return canvas


class EscalationLog:
    """The kiosk's cloud, wrapped: each escalated utterance's audio is noted (its digest, as
    the client sends it) before the turn goes to the real client."""

    def __init__(self, cloud: CloudResponder) -> None:
        self.cloud = cloud
        self.digests: set[str] = set()
        self.requests = 0
        self._lock = threading.Lock()

    def available(self) -> bool:
        return self.cloud.available()

    def respond(self, request: CloudRequest) -> CloudReply:
        with self._lock:
            self.requests += 1
            if request.audio is not None and np.asarray(request.audio).size:
                self.digests.add(pcm_digest(_pcm16(request.audio)))
        return self.cloud.respond(request)

    def prepare(self) -> None:
        if isinstance(self.cloud, VisitAwareCloud):
            self.cloud.prepare()

    def shopper_left(self) -> None:
        if isinstance(self.cloud, VisitAwareCloud):
            self.cloud.shopper_left()

    def interrupt(self) -> None:
        if isinstance(self.cloud, VisitAwareCloud):
            self.cloud.interrupt()
