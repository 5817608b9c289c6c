"""The echo path the linear canceller learned, kept across restarts.

A kiosk stays where it is mounted, so the room it learned yesterday is the room it is in after
a restart: starting from it, the first reply after start-up is heard over as soon as the
double-talk detector has seen a few windows of it, not after 4 s of the kiosk speaking. The
detector still checks that the path fits (`edge.doubletalk`: 20 dB at the median) before it
listens, so a kiosk moved to another spot loses nothing but the head start. The file holds
filter weights (an acoustic impulse response), nothing of what anyone said.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from edge.linear_echo import LinearEchoCanceller

log = logging.getLogger(__name__)
FILE_NAME = "echo_path.npy"
SAVE_EVERY_S = 60.0


def recall(path: Path) -> LinearEchoCanceller:
    """A linear canceller that starts from the echo path saved at `path`, if there is one that
    fits; a fresh one otherwise."""
    canceller = LinearEchoCanceller()
    if not path.exists():
        return canceller
    try:
        canceller.restore(np.load(path, allow_pickle=False))
    except (OSError, ValueError) as exc:
        log.warning("echo path %s not used, learning the room again: %s", path, exc)
    else:
        log.info("echo path learned before restored from %s", path)
    return canceller


def remember(canceller: LinearEchoCanceller, path: Path) -> bool:
    """Save the echo path `canceller` answers with, replacing the file whole or not at all."""
    return _write(canceller.weights(), path)


def _write(weights: np.ndarray, path: Path) -> bool:
    partial = path.with_name(path.name + ".partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with partial.open("wb") as out:
            np.save(out, weights, allow_pickle=False)
        os.replace(partial, path)
    except OSError as exc:
        log.warning("echo path not saved to %s: %s", path, exc)
        return False
    return True


class RoomKeeper:
    """Saves the echo path each time the kiosk comes to trust it, not only at a clean exit: a
    kiosk whose power is cut at closing time keeps the room it learned that day. At most once
    per `every_s` (the detector's trust can flicker at its threshold). The weights are copied
    on the caller's thread (the canceller replaces its answering weights whole, never in place,
    so any moment will do) and written on another, so a slow disk never holds up listening."""

    def __init__(
        self,
        canceller: LinearEchoCanceller,
        path: Path,
        every_s: float = SAVE_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._canceller = canceller
        self._path = path
        self._every_s = every_s
        self._clock = clock
        self._saved_at: float | None = None
        self._writer: threading.Thread | None = None
        self.saves = 0

    def learned(self) -> None:
        now = self._clock()
        if self._saved_at is not None and now - self._saved_at < self._every_s:
            return
        self._saved_at = now
        weights = self._canceller.weights()
        self.wait()
        self._writer = threading.Thread(
            target=self._save, args=(weights,), name="room-keeper", daemon=True
        )
        self._writer.start()
        self.saves += 1

    def wait(self) -> None:
        """Until the last save has been written (before another writes the same file)."""
        if self._writer is not None:
            self._writer.join()

    def _save(self, weights: np.ndarray) -> None:
        if _write(weights, self._path):
            log.info("echo path of this room saved to %s", self._path)
