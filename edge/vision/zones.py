"""Where to look: the shopper's face that counts for presence, and the show zone where a held-up
product appears (the centre of the frame, or below the face where a hand holds it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from edge.vision.faces import Face

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class ZoneOptions:
    min_face: float = 0.12
    """A shopper's face is at least this share of the frame's width."""
    centre_band: float = 0.7
    """...and its centre lies within this middle share of the width."""
    zone_size: float = 0.75
    """The show zone's side as a share of the frame's shorter side."""


def shopper_face(faces: Sequence[Face], width: int, options: ZoneOptions) -> Face | None:
    """The largest face big enough and near enough the centre to be someone at the kiosk."""
    low = width * (1 - options.centre_band) / 2
    high = width - low
    near = [f for f in faces if f.w >= options.min_face * width and low <= f.centre[0] <= high]
    return max(near, key=lambda f: f.w * f.h, default=None)


def show_zone(width: int, height: int, face: Face | None, options: ZoneOptions) -> Box:
    """A square where a held-up product is expected, clipped to the frame."""
    side = int(min(width, height) * options.zone_size)
    if face is None:
        cx, cy = width // 2, height // 2
    else:
        side = max(side, int(face.w * 2.6))
        side = min(side, width, height)
        cx = int(face.centre[0])
        cy = int(face.y + face.h * 0.9) + side // 2  # from the chin down
    x0 = min(max(0, cx - side // 2), max(0, width - side))
    y0 = min(max(0, cy - side // 2), max(0, height - side))
    return (x0, y0, min(width, x0 + side), min(height, y0 + side))
