"""Face figures for `kiosk bench vision`: detector recall on real faces (scikit-image's LFW
subset) placed in shop-like frames at several sizes, false alarms on its non-faces, and the
privacy check: how many faces either detector still finds in the frames prepared for the
cloud, decoded exactly as they would be sent."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any

import cv2
import numpy as np

from edge.vision.faces import BlazeFace, Face
from edge.vision.frame import CloudFramer
from kiosk.bench.vision_set import HEIGHT, WIDTH, backdrop

SIZES = (48, 64, 96, 128, 192, 256)


def lfw() -> tuple[np.ndarray, np.ndarray]:
    """100 faces and 100 non-faces, 25x25 grey, from scikit-image's data folder."""
    from skimage import data

    array = np.load(os.path.join(os.path.dirname(data.__file__), "lfw_subset.npy"))
    pictures = (array * 255).astype(np.uint8)
    return pictures[:100], pictures[100:]


def placed(
    crops: np.ndarray, size: int, seed: int
) -> Iterator[tuple[np.ndarray, tuple[int, int, int]]]:
    """Each crop scaled to `size` and pasted at a random place on a backdrop."""
    rng = np.random.default_rng(seed)
    for crop in crops:
        frame = backdrop(rng)
        x, y = int(rng.integers(0, WIDTH - size)), int(rng.integers(0, HEIGHT - size))
        face = cv2.resize(crop, (size, size), interpolation=cv2.INTER_CUBIC)
        frame[y : y + size, x : x + size] = cv2.cvtColor(face, cv2.COLOR_GRAY2BGR)
        yield frame, (x, y, size)


def hit(faces: Sequence[Face], where: tuple[int, int, int]) -> bool:
    x, y, size = where
    cx, cy = x + size / 2, y + size / 2
    return any(abs(f.centre[0] - cx) < size / 2 and abs(f.centre[1] - cy) < size / 2 for f in faces)


def face_figures(
    short: BlazeFace,
    full: BlazeFace,
    framer: CloudFramer,
    quick: bool,
    extra_frames: Sequence[np.ndarray] = (),
) -> dict[str, Any]:
    faces, others = lfw()
    count = 30 if quick else 100
    sizes = SIZES[1::2] if quick else SIZES
    recall: dict[str, dict[str, float]] = {}
    cloud_found = cloud_withheld = cloud_frames = 0
    for size in sizes:
        hits = {"short_range": 0, "full_range": 0, "either": 0}
        for i, (frame, where) in enumerate(placed(faces[:count], size, seed=size)):
            a, b = hit(short.detect(frame), where), hit(full.detect(frame), where)
            hits["short_range"] += a
            hits["full_range"] += b
            hits["either"] += a or b
            if i % 2 == 0 or not quick:
                found, withheld = _cloud_check(framer, frame)
                cloud_frames += 1
                cloud_found += found
                cloud_withheld += withheld
        recall[f"{size}px"] = {k: round(v / count, 3) for k, v in hits.items()}
    for frame in extra_frames:
        found, withheld = _cloud_check(framer, frame)
        cloud_frames += 1
        cloud_found += found
        cloud_withheld += withheld
    alarms = {"short_range": 0, "full_range": 0}
    for frame, _ in placed(others[:count], 128, seed=7):
        alarms["short_range"] += bool(short.detect(frame))
        alarms["full_range"] += bool(full.detect(frame))
    return {
        "faces": count,
        "recall_by_face_size_in_640x480": recall,
        "false_alarm_rate_non_faces": {k: round(v / count, 3) for k, v in alarms.items()},
        "cloud_frames": {
            "frames": cloud_frames,
            "faces_found_in_sent_frames": cloud_found,
            "withheld": cloud_withheld,
            "check": "decoded JPEG as sent, short- and full-range BlazeFace at 0.5",
        },
    }


def _cloud_check(framer: CloudFramer, frame: np.ndarray) -> tuple[int, int]:
    """(faces found in what would be sent, 1 if the frame was withheld)."""
    prepared = framer.prepare(frame, [], 0)
    if prepared is None:
        return 0, 1
    sent = cv2.imdecode(np.frombuffer(prepared.jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert sent is not None
    return len(framer.faces_in(sent)), 0
