"""The question set of `kiosk bench e2e`, and the pictures its virtual camera shows.

Thirty questions, in a fixed mixed order:
- 10 local ones from the routing set (`tests/data/routing`): where is, do you have, how much;
- 6 open ones from it: advice, safety, things the store does not sell;
- 8 about a product held up to the camera (`tests/data/e2e`, made by
  `scripts/make_e2e_set.py`): "how much is this?", "is this gluten free?";
- 6 with pauses inside the sentence ("where are the, um, ... batteries"), from the end-of-turn
  set rebuilt with its pauses: a kiosk that answers at a pause cuts the shopper off.

All are spoken by several voices (Piper at several speeds and pitches, espeak-ng accents) with
store noise mixed in. The camera shows a shopper (scikit-image's astronaut) during the session,
the product held up below their face for the held-up questions (the vision benchmark's
augmented views: rotated, partly covered by a hand, relit, blurred), and an empty shop floor
while nobody is there. `--quick` asks three: one local, one held-up, one open.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.bench.virtual_audio import Plan, Question
from kiosk.errors import KioskError
from kiosk.store.pack import StorePack

DATA = Path(__file__).resolve().parents[2] / "tests" / "data"
LOCAL = (0, 6, 12, 18, 24, 30, 36, 42, 48, 54)
"""Routing-set indices of the local questions: every sixth, so the voices rotate."""
OPEN = (56, 57, 58, 62, 65, 67)
SEED = 20261121


@dataclass(frozen=True)
class SetOptions:
    quick: bool = False
    local: tuple[int, ...] = LOCAL
    open: tuple[int, ...] = OPEN
    held: int = 8
    paused: int = 6


def _manifest(folder: Path, what: str) -> list[dict[str, Any]]:
    path = folder / "manifest.json"
    try:
        files: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["files"]
    except FileNotFoundError:
        raise KioskError(f"{path}: the {what} is missing ({_maker(what)})") from None
    except (ValueError, KeyError) as exc:
        raise KioskError(f"{path}: not a {what} manifest: {exc}") from None
    return files


def _maker(what: str) -> str:
    return (
        "run scripts/make_routing_set.py"
        if what == "routing set"
        else ("run scripts/make_e2e_set.py")
    )


def routing_question(entry: dict[str, Any], folder: Path, kind: str) -> Question:
    """A routing-set clip: speech ends 0.35 s before the end (the generator's tail)."""
    from kiosk.bench.virtual_audio import read_clip

    wav = folder / entry["file"]
    seconds = len(read_clip(wav)) / 16000
    lead, tail = 0.25, 0.35
    return Question(
        id=Path(entry["file"]).stem,
        kind=kind,
        route=entry["expect"]["route"],
        text=entry["text"],
        wav=str(wav),
        speech_end_s=round(seconds - tail, 3),
        last_piece_s=lead,
    )


def e2e_question(entry: dict[str, Any], folder: Path, frame: str | None) -> Question:
    return Question(
        id=Path(entry["file"]).stem,
        kind=entry["kind"],
        route=entry["route"],
        text=entry["text"],
        wav=str(folder / entry["file"]),
        speech_end_s=float(entry["speech_end_s"]),
        last_piece_s=float(entry["last_piece_s"]),
        frame=frame,
        sku=entry.get("sku"),
    )


def interleave(groups: list[list[Question]]) -> list[Question]:
    """One of each kind in turn, so local and cloud turns alternate as they would in a shop."""
    out: list[Question] = []
    longest = max((len(g) for g in groups), default=0)
    for i in range(longest):
        out += [g[i] for g in groups if i < len(g)]
    return out


class Pictures:
    """The camera's pictures, written as JPEG files into `folder`."""

    def __init__(self, folder: Path, store: StorePack) -> None:
        import cv2

        from kiosk.bench import vision_set

        self.folder = folder
        self.store = store
        self._cv2 = cv2
        self._vs = vision_set
        self._rng = np.random.default_rng(SEED)
        folder.mkdir(parents=True, exist_ok=True)
        self.astronaut = _astronaut()

    def _write(self, name: str, image: np.ndarray) -> str:
        path = self.folder / name
        self._cv2.imwrite(str(path), image, [self._cv2.IMWRITE_JPEG_QUALITY, 90])
        return str(path)

    def empty(self) -> str:
        return self._write("empty.jpg", self._vs.backdrop(np.random.default_rng(SEED)))

    def shopper(self) -> str:
        if self.astronaut is None:
            return self._write("shopper.jpg", self._vs.backdrop(np.random.default_rng(SEED + 1)))
        image, _ = self._vs.person_scene(np.random.default_rng(SEED + 1), self.astronaut)
        return self._write("shopper.jpg", image)

    def held(self, sku: str, index: int) -> str:
        from edge.vision.image import read_image

        product = next((p for p in self.store.products if p.sku == sku), None)
        if product is None or not product.images:
            raise KioskError(f"e2e set: product {sku} has no reference photo in the store pack")
        person = self.astronaut is not None
        astronaut = self.astronaut if self.astronaut is not None else np.zeros((1, 1, 3), np.uint8)
        shot = self._vs.held_frame(
            sku, read_image(product.images[0]), self._rng, astronaut, person, self._vs.STANDARD
        )
        return self._write(f"held_{index:02d}_{sku}.jpg", shot.image)


def _astronaut() -> np.ndarray | None:
    """scikit-image's astronaut (a real face, so the kiosk has someone to blur), if installed."""
    try:
        import cv2
        from skimage import data
    except ImportError:
        return None
    image: np.ndarray = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)  # type: ignore[no-untyped-call]
    return image


def build_plan(
    folder: Path,
    store: StorePack,
    options: SetOptions,
    tune: Callable[[dict[str, Any]], dict[str, Any]] = lambda fields: fields,
) -> Plan:
    """The question set and its pictures; pictures are written into `folder`."""
    routing_dir, e2e_dir = DATA / "routing", DATA / "e2e"
    routing = _manifest(routing_dir, "routing set")
    extra = _manifest(e2e_dir, "e2e set")
    pictures = Pictures(folder, store)
    local_idx, open_idx = options.local, options.open
    held_n, paused_n = options.held, options.paused
    if options.quick:
        local_idx, open_idx, held_n, paused_n = local_idx[:1], open_idx[:1], 1, 0
    local = [routing_question(routing[i], routing_dir, "local") for i in local_idx]
    open_ = [routing_question(routing[i], routing_dir, "open") for i in open_idx]
    held_entries = [e for e in extra if e["kind"] == "held"][:held_n]
    held = [
        e2e_question(e, e2e_dir, pictures.held(str(e["sku"]), i))
        for i, e in enumerate(held_entries)
    ]
    paused = [e2e_question(e, e2e_dir, None) for e in extra if e["kind"] == "paused"][:paused_n]
    questions = interleave([local, held, open_, paused])
    fields: dict[str, Any] = {
        "questions": tuple(questions),
        "bed": str(e2e_dir / "store_bed.wav"),
        "shopper_frame": pictures.shopper(),
        "empty_frame": pictures.empty(),
    }
    if options.quick:
        fields.update(idle_s=4.0, settle_s=1.5, prewarm_wait_s=0.0)
    return Plan(**tune(fields))
