"""Scene providers for the turn engine: the live camera's recent scenes, or one still image.

`LiveScene` keeps the last few analysed scenes. An unchanged frame is not analysed again, but
it confirms that the last scene still holds, so a shopper standing still with a product is
not forgotten. `latest(not_after_ns)` returns the newest scene captured no later than the
utterance's end, unless the camera has said nothing for `stale_s` before that moment.

While nobody is engaged, the vision loop does not spend a face search on a cloud frame nobody
may ask for: it publishes the scene with a way to prepare its frame, and the first `latest`
that returns that scene prepares it (the newest few scenes keep that ability; older ones are
returned without a frame).
"""

from __future__ import annotations

import dataclasses
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from edge.vision.frame import CloudFrame
from edge.vision.prefilter import Analysis
from kiosk.agent.ports import HeldProduct, Scene


def scene_from(analysis: Analysis, frame: CloudFrame | None) -> Scene:
    """The agent's view of one analysed frame; the only image in it is the redacted JPEG."""
    product = analysis.product
    held = HeldProduct(product.label, product.how, round(product.score, 3)) if product else None
    return Scene(
        captured_ns=analysis.captured_ns,
        people=len(analysis.faces),
        held=held,
        unknown_item_held=analysis.unknown_item,
        frame_jpeg=frame.jpeg if frame is not None else None,
    )


@dataclass
class _Entry:
    scene: Scene
    confirmed_ns: int
    prepare: Callable[[], CloudFrame | None] | None = None


LAZY_KEPT = 2
"""Scenes that can still prepare their cloud frame on demand (each holds its picture)."""


class LiveScene:
    """Thread-safe: the vision thread publishes, the agent thread reads."""

    def __init__(self, keep: int = 16, stale_s: float = 5.0) -> None:
        self._entries: deque[_Entry] = deque(maxlen=keep)
        self._lock = threading.Lock()
        self.stale_ns = int(stale_s * 1e9)

    def publish(self, scene: Scene, prepare: Callable[[], CloudFrame | None] | None = None) -> None:
        """Add the newest scene; `prepare` makes its cloud frame when it has none yet."""
        with self._lock:
            self._entries.append(_Entry(scene, scene.captured_ns, prepare))
            for old in list(self._entries)[:-LAZY_KEPT]:
                old.prepare = None

    def confirm(self, seen_ns: int) -> None:
        """A frame captured at `seen_ns` showed the same scene as the last one published."""
        with self._lock:
            if self._entries:
                self._entries[-1].confirmed_ns = max(self._entries[-1].confirmed_ns, seen_ns)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def latest(self, not_after_ns: int | None = None) -> Scene | None:
        with self._lock:
            entries = list(self._entries)
        for entry in reversed(entries):
            if not_after_ns is not None and entry.scene.captured_ns > not_after_ns:
                continue
            horizon = not_after_ns if not_after_ns is not None else entries[-1].confirmed_ns
            if horizon - entry.confirmed_ns > self.stale_ns:
                return None
            return self._with_frame(entry)
        return None

    def _with_frame(self, entry: _Entry) -> Scene:
        prepare = entry.prepare
        if prepare is None or entry.scene.frame_jpeg is not None:
            return entry.scene
        frame = prepare()  # on the reader's thread, outside the lock
        scene = dataclasses.replace(entry.scene, frame_jpeg=frame.jpeg if frame else None)
        with self._lock:
            entry.scene, entry.prepare = scene, None
        return scene


class StillScene:
    """One picture as the scene for every turn (`kiosk ask --image`)."""

    def __init__(self, scene: Scene) -> None:
        self.scene = scene

    def latest(self, not_after_ns: int | None = None) -> Scene | None:
        return self.scene
