"""Watch the config file's directory, not the file, and call back when the file is replaced.

`kiosk config apply` (and any careful editor) writes a temporary file and renames it over the
config. A watch on the file itself follows the old inode, which the rename unlinks, so it goes
silent. A watch on the directory sees the rename arrive (IN_MOVED_TO) as well as a plain write
finishing (IN_CLOSE_WRITE). Linux inotify is used through ctypes; elsewhere, or when inotify is
unavailable, the path is polled once a second by inode, size and mtime.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import select
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

log = logging.getLogger(__name__)

IN_CLOSE_WRITE = 0x00000008
IN_MOVED_TO = 0x00000080
IN_DELETE_SELF = 0x00000400
IN_MOVE_SELF = 0x00000800
IN_IGNORED = 0x00008000
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000
_EVENT = struct.Struct("iIII")
_WATCH_MASK = IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF


class DirectoryWatcher:
    """Calls `on_change()` (from its own thread) after `path` is written or renamed into place.

    Bursts of events within `debounce_s` make one call. Start with `start()`, end with `stop()`.
    """

    def __init__(
        self,
        path: Path,
        on_change: Callable[[], object],
        debounce_s: float = 0.2,
        prefer: Literal["inotify", "poll"] = "inotify",
    ) -> None:
        self.path = Path(path).absolute()
        self._prefer = prefer
        self._initial_signature: tuple[int, int, int] | None = None
        self._on_change = on_change
        self._debounce_s = debounce_s
        self._stop = threading.Event()
        self._wake_r, self._wake_w = os.pipe()  # stop() wakes the select() at once
        self._thread: threading.Thread | None = None
        self.method = "none"

    def start(self) -> None:
        self._initial_signature = _signature(self.path)  # before start() returns: no race
        fd = _inotify_watch(self.path.parent) if self._prefer == "inotify" else None
        self.method = "poll" if fd is None else "inotify"

        def run() -> None:
            if fd is None:
                self._run_poll()
            else:
                self._run_inotify(fd)

        self._thread = threading.Thread(target=run, name="config-watch", daemon=True)
        self._thread.start()
        log.info("watching %s for %s (%s)", self.path.parent, self.path.name, self.method)

    def stop(self) -> None:
        self._stop.set()
        os.write(self._wake_w, b"x")
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        for fd in (self._wake_r, self._wake_w):
            os.close(fd)

    def _fire(self) -> None:
        try:
            self._on_change()
        except Exception:  # the watcher must outlive a failing callback
            log.exception("config change handler failed")

    def _run_inotify(self, fd: int) -> None:
        name = os.fsencode(self.path.name)
        try:
            while not self._stop.is_set():
                if not self._wait_for_events(fd, 0.5):
                    continue
                touched, lost = _matching(os.read(fd, 65536), name)
                if lost:  # the directory itself went away or moved: fall back to polling
                    log.warning("config directory %s was moved or removed", self.path.parent)
                    self.method = "poll"
                    self._initial_signature = _signature(self.path)
                    self._run_poll()
                    return
                if not touched:
                    continue
                deadline = time.monotonic() + self._debounce_s
                while (remaining := deadline - time.monotonic()) > 0:
                    if self._wait_for_events(fd, remaining):
                        os.read(fd, 65536)
                if self._stop.is_set():
                    return
                self._fire()
        finally:
            os.close(fd)

    def _wait_for_events(self, fd: int, timeout: float) -> bool:
        readable, _, _ = select.select([fd, self._wake_r], [], [], timeout)
        return fd in readable and not self._stop.is_set()

    def _run_poll(self) -> None:
        last = self._initial_signature
        while not self._stop.wait(1.0):
            now = _signature(self.path)
            if now != last and now is not None:
                self._fire()
            last = now


def _inotify_watch(directory: Path) -> int | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        init = libc.inotify_init1
        add_watch = libc.inotify_add_watch
    except (OSError, AttributeError):
        return None
    fd = int(init(IN_NONBLOCK | IN_CLOEXEC))
    if fd < 0:
        log.warning("inotify unavailable: %s", os.strerror(ctypes.get_errno()))
        return None
    if add_watch(fd, os.fsencode(directory), _WATCH_MASK) < 0:
        log.warning("cannot watch %s: %s", directory, os.strerror(ctypes.get_errno()))
        os.close(fd)
        return None
    return fd


def _matching(buffer: bytes, name: bytes) -> tuple[bool, bool]:
    """(an event touched `name`, the watched directory itself was lost) in one read's events."""
    touched = lost = False
    offset = 0
    while offset + _EVENT.size <= len(buffer):
        _, mask, _, length = _EVENT.unpack_from(buffer, offset)
        raw = buffer[offset + _EVENT.size : offset + _EVENT.size + length]
        offset += _EVENT.size + length
        if mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED):
            lost = True
        elif raw.rstrip(b"\0") == name and mask & (IN_CLOSE_WRITE | IN_MOVED_TO):
            touched = True
    return touched, lost


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns
