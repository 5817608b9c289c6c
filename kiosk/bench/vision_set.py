"""Augmented camera frames of the demo store's products, for the vision benchmark.

Each frame shows one product held up in front of the kiosk, the way a camera would see it:
cut out of its reference photo, rotated, scaled, partly covered by a hand, lit differently,
blurred and noisy, over a cluttered backdrop, sometimes with a person (scikit-image's
astronaut) holding it below their face. The frames are made from the reference photos but never
join the reference index, so the benchmark measures recognition of new views. Everything is
seeded: the same seed makes the same set.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

WIDTH, HEIGHT = 640, 480


@dataclass(frozen=True)
class Profile:
    """How hard the views are."""

    name: str
    max_angle: float
    long_side: tuple[int, int]
    """The product's longer side in frame pixels."""
    occluded: float
    """Share of frames with a hand over the product."""
    cover: tuple[float, float]
    gain: tuple[float, float]
    gamma: tuple[float, float]
    tint: float
    relight_frame: float
    """Share of frames whose whole scene is relit again."""
    max_blur: float
    jpeg: tuple[int, int]


STANDARD = Profile(
    name="standard",
    max_angle=15.0,
    long_side=(190, 300),
    occluded=0.6,
    cover=(0.05, 0.2),
    gain=(0.7, 1.3),
    gamma=(0.8, 1.25),
    tint=0.08,
    relight_frame=0.3,
    max_blur=0.9,
    jpeg=(70, 92),
)
"""A shopper holding a product up to the kiosk: roughly upright and close, a hand over an edge,
a different light."""
HARD = Profile(
    name="hard",
    max_angle=25.0,
    long_side=(150, 260),
    occluded=0.7,
    cover=(0.1, 0.3),
    gain=(0.6, 1.35),
    gamma=(0.75, 1.35),
    tint=0.15,
    relight_frame=0.5,
    max_blur=1.2,
    jpeg=(60, 92),
)
"""Tilted further, smaller, more covered, harsher light: where recognition gives out."""
PROFILES = {p.name: p for p in (STANDARD, HARD)}


@dataclass(frozen=True)
class HeldFrame:
    sku: str
    image: np.ndarray
    """640x480 BGR."""
    product_box: tuple[int, int, int, int]
    """Where the product landed (x0, y0, x1, y1)."""
    person: bool
    recipe: str
    """What was done to it, for the report."""


def product_cutout(photo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The product's pixels and mask from a reference photo on a plain backdrop: each row's
    backdrop colour is estimated from the photo's left and right edges."""
    img = photo.astype(np.float32)
    edges = np.concatenate([img[:, :6], img[:, -6:]], axis=1)
    backdrop = np.median(edges, axis=1, keepdims=True)
    distance = np.abs(img - backdrop).max(axis=2)
    mask = (distance > 22).astype(np.uint8) * 255
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask)
    if count > 1:
        keep = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        mask = np.where(labels == keep, 255, 0).astype(np.uint8)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros_like(mask)
    cv2.drawContours(filled, contours, -1, 255, thickness=cv2.FILLED)
    ys, xs = np.nonzero(filled)
    if xs.size == 0:
        return photo, np.full(photo.shape[:2], 255, np.uint8)
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    return photo[y0:y1, x0:x1].copy(), filled[y0:y1, x0:x1]


def backdrop(rng: np.random.Generator) -> np.ndarray:
    """A shop-like backdrop: a wall gradient with shelves and blocks of colour."""
    top, bottom = rng.integers(40, 220, 3), rng.integers(40, 220, 3)
    t = np.linspace(0.0, 1.0, HEIGHT, dtype=np.float32)[:, None, None]
    img = (top * (1 - t) + bottom * t) * np.ones((1, WIDTH, 1), np.float32)
    for _ in range(int(rng.integers(4, 12))):
        x0, y0 = int(rng.integers(-50, WIDTH)), int(rng.integers(-50, HEIGHT))
        w, h = int(rng.integers(30, 260)), int(rng.integers(10, 160))
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        cv2.rectangle(img, (x0, y0), (x0 + w, y0 + h), colour, thickness=cv2.FILLED)
    noise = cv2.resize(rng.normal(0, 12, (12, 16)).astype(np.float32), (WIDTH, HEIGHT))
    return np.clip(img + noise[..., None], 0, 255).astype(np.uint8)


def person_scene(rng: np.random.Generator, astronaut: np.ndarray) -> tuple[np.ndarray, int]:
    """The astronaut (a real face) standing in front of the kiosk, over a backdrop; returns the
    frame and the y of their chin, below which they hold the product."""
    img = backdrop(rng)
    size = int(rng.integers(330, 420))
    person = cv2.resize(astronaut, (size, size), interpolation=cv2.INTER_AREA)
    x0 = (WIDTH - size) // 2 + int(rng.integers(-60, 61))
    x0 = int(np.clip(x0, 0, WIDTH - size))
    img[HEIGHT - size :, x0 : x0 + size] = person[:size, :]
    chin = HEIGHT - size + int(size * 0.36)
    return img, chin


def relight(
    image: np.ndarray, rng: np.random.Generator, profile: Profile = HARD
) -> tuple[np.ndarray, str]:
    gain = rng.uniform(*profile.gain)
    gamma = rng.uniform(*profile.gamma)
    tint = rng.uniform(1 - profile.tint, 1 + profile.tint, 3)
    out = (image.astype(np.float32) / 255.0) ** gamma * 255.0 * gain * tint
    return np.clip(out, 0, 255).astype(np.uint8), f"light x{gain:.2f} gamma {gamma:.2f}"


def place(
    frame: np.ndarray,
    product: np.ndarray,
    mask: np.ndarray,
    centre: tuple[int, int],
    long_side: int,
    angle: float,
) -> tuple[int, int, int, int]:
    """Paste the product, scaled and rotated about its centre; returns its box."""
    h, w = product.shape[:2]
    scale = long_side / max(h, w)
    diag = int(np.ceil(np.hypot(h, w) * scale)) + 2
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    matrix[0, 2] += diag / 2 - w / 2
    matrix[1, 2] += diag / 2 - h / 2
    warped = cv2.warpAffine(product, matrix, (diag, diag), flags=cv2.INTER_AREA)
    alpha = cv2.warpAffine(mask, matrix, (diag, diag), flags=cv2.INTER_LINEAR)
    x0, y0 = centre[0] - diag // 2, centre[1] - diag // 2
    fx0, fy0 = max(0, x0), max(0, y0)
    fx1, fy1 = min(WIDTH, x0 + diag), min(HEIGHT, y0 + diag)
    if fx1 <= fx0 or fy1 <= fy0:
        return (0, 0, 0, 0)
    a = alpha[fy0 - y0 : fy1 - y0, fx0 - x0 : fx1 - x0, None].astype(np.float32) / 255.0
    src = warped[fy0 - y0 : fy1 - y0, fx0 - x0 : fx1 - x0].astype(np.float32)
    region = frame[fy0:fy1, fx0:fx1].astype(np.float32)
    frame[fy0:fy1, fx0:fx1] = (src * a + region * (1 - a)).astype(np.uint8)
    ys, xs = np.nonzero(a[..., 0] > 0.5)
    if xs.size == 0:
        return (0, 0, 0, 0)
    return (fx0 + int(xs.min()), fy0 + int(ys.min()), fx0 + int(xs.max()), fy0 + int(ys.max()))


def occlude(
    frame: np.ndarray,
    box: tuple[int, int, int, int],
    rng: np.random.Generator,
    cover: tuple[float, float] = (0.1, 0.3),
) -> float:
    """A hand (a skin-toned rounded blob with fingers) over one side of the product; returns
    the share of the box it covers."""
    x0, y0, x1, y1 = box
    w, h = max(1, x1 - x0), max(1, y1 - y0)
    share = rng.uniform(*cover)
    skin = tuple(int(c) for c in rng.choice([(80, 110, 170), (110, 150, 210), (60, 80, 120)]))
    side = rng.integers(0, 3)
    mask = np.zeros(frame.shape[:2], np.uint8)
    if side == 0:  # from the left
        cx, cy, ax, ay = x0, (y0 + y1) // 2, int(w * share * 1.2), int(h * 0.35)
    elif side == 1:  # from the right
        cx, cy, ax, ay = x1, (y0 + y1) // 2, int(w * share * 1.2), int(h * 0.35)
    else:  # from below
        cx, cy, ax, ay = (x0 + x1) // 2, y1, int(w * 0.4), int(h * share * 1.2)
    cv2.ellipse(mask, (cx, cy), (max(ax, 4), max(ay, 4)), 0, 0, 360, 255, cv2.FILLED)
    frame[mask > 0] = skin
    covered = float((mask[y0:y1, x0:x1] > 0).mean()) if w > 1 and h > 1 else 0.0
    return covered


def held_frame(
    sku: str,
    photo: np.ndarray,
    rng: np.random.Generator,
    astronaut: np.ndarray,
    person: bool,
    profile: Profile = STANDARD,
) -> HeldFrame:
    product, mask = product_cutout(photo)
    product, light = relight(product, rng, profile)
    long_side = int(rng.integers(*profile.long_side))
    if person:
        frame, chin = person_scene(rng, astronaut)
        below = min(HEIGHT - long_side // 3, chin + long_side // 2)
        centre = (WIDTH // 2 + int(rng.integers(-70, 71)), below)
    else:
        frame = backdrop(rng)
        centre = (WIDTH // 2 + int(rng.integers(-60, 61)), HEIGHT // 2 + int(rng.integers(-40, 41)))
    angle = float(rng.uniform(-profile.max_angle, profile.max_angle))
    box = place(frame, product, mask, centre, long_side, angle)
    covered = occlude(frame, box, rng, profile.cover) if rng.random() < profile.occluded else 0.0
    if rng.random() < profile.relight_frame:
        frame, _ = relight(frame, rng, profile)
    sigma = rng.uniform(0.0, profile.max_blur)
    if sigma > 0.3:
        frame = cv2.GaussianBlur(frame, (0, 0), sigma)
    noisy = frame.astype(np.float32) + rng.normal(0, rng.uniform(1, 6), frame.shape)
    frame = np.clip(noisy, 0, 255).astype(np.uint8)
    quality = int(rng.integers(*profile.jpeg))
    ok, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    decoded = cv2.imdecode(jpeg, cv2.IMREAD_COLOR) if ok else None
    if decoded is not None:
        frame = decoded
    recipe = (
        f"{'person' if person else 'backdrop'}, {long_side}px, {angle:+.0f} deg, "
        f"{covered:.0%} covered, {light}, blur {sigma:.1f}, jpeg q{quality}"
    )
    return HeldFrame(sku, frame, box, person, recipe)


def empty_frames(count: int, seed: int = 20261122) -> Iterator[np.ndarray]:
    """`count` frames with nothing held up: a shop backdrop, every other one with a person."""
    from skimage import data

    astronaut = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)  # type: ignore[no-untyped-call]
    rng = np.random.default_rng(seed)
    for i in range(count):
        yield person_scene(rng, astronaut)[0] if i % 2 else backdrop(rng)


def held_frames(
    photos: dict[str, Path],
    per_product: int = 4,
    seed: int = 20261121,
    profile: Profile = STANDARD,
) -> Iterator[HeldFrame]:
    """`per_product` augmented frames of each product (half with a person), in a fixed order."""
    from skimage import data

    from edge.vision.image import read_image

    astronaut = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)  # type: ignore[no-untyped-call]
    rng = np.random.default_rng(seed)
    for sku in sorted(photos):
        photo = read_image(photos[sku])
        for i in range(per_product):
            yield held_frame(sku, photo, rng, astronaut, i % 2 == 1, profile)
