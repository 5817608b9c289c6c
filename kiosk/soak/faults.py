"""The soak's faults: when each one happens, and how it is made to happen for real.

- Simulator faults (a drop mid-turn, close 1011, close 1007, a malformed message, a stall) are
  armed on the simulator just before an open question, so they hit a turn the kiosk escalates.
  A `goAway` comes on its own: every session is told to go away `goaway_s` after it starts.
- The camera is a folder of pictures that the kiosk's own camera code reads; unplugging it
  renames the folder away, so reads and reopens fail as they do when a USB camera is pulled.
- The microphone drops out between two questions (`AudioDeviceError`, as PortAudio's does).
- The telemetry disk fills up: as root, the state folder is a small tmpfs and a filler file
  takes every free byte, so SQLite meets ENOSPC from the kernel. Without root, the turn log's
  own SQLite connection is capped at its current size (`PRAGMA max_page_count`), which gives
  the same SQLITE_FULL error a full disk gives. Either way the disk is freed later.
- A config is applied mid-run with `kiosk config apply`'s own code, over the control socket:
  a good one (applied live), an invalid one (refused) and one that needs a restart, which the
  soak cannot do (rolled back).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import subprocess
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.apply import ApplyOptions, apply_config
from kiosk.cloud.sim.options import Fault
from kiosk.cloud.sim.server import SimServer, SimThread
from kiosk.errors import KioskError

log = logging.getLogger(__name__)

CYCLE_TURNS = 10
CYCLE: dict[int, tuple[str, ...]] = {
    1: ("sim:drop-mid-turn", "camera:unplug"),
    2: ("sim:close-1011", "mic:error"),
    3: ("sim:close-1007", "disk:full"),
    4: ("sim:malformed", "config:good"),
    5: ("sim:stall", "camera:replug"),
    6: ("disk:free", "config:invalid"),
    8: ("config:restart",),
}
"""Turn within each cycle of CYCLE_TURNS -> the faults injected as that question is asked:
every fault once in each cycle, so even a short soak meets all of them."""


def faults_at(turn: int) -> tuple[str, ...]:
    return CYCLE.get(turn % CYCLE_TURNS, ())


class FaultySim(SimServer):
    """The simulator, noting which armed fault fired on which of its turns."""

    fired: list[str]

    def take_fault(self, turn: int) -> Fault | None:
        fault = super().take_fault(turn)
        if fault is not None:
            self.fired = [*getattr(self, "fired", []), fault.kind]
        return fault


class SimFaults:
    """Arms one simulator fault at a time, for the next turn the simulator serves."""

    def __init__(self, sim: SimThread, goaway_s: float) -> None:
        self._sim = sim
        self._standing = (Fault("goaway-after", seconds=goaway_s),) if goaway_s > 0 else ()
        self.armed: list[str] = []
        self._sim.call(lambda: self._sim.server.set_faults(*self._standing))

    def arm(self, kind: str) -> None:
        self.armed.append(kind)
        faults = (*self._standing, Fault(kind, turn=1))
        self._sim.call(lambda: self._sim.server.set_faults(*faults))

    def fired(self) -> list[str]:
        return list(getattr(self._sim.server, "fired", []))


class FramesFolder:
    """The camera's pictures; `unplug` and `replug` take them away and bring them back."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._away = path.with_name(path.name + ".unplugged")
        self.unplugs = 0

    def unplug(self) -> None:
        if self.path.exists():
            self.path.rename(self._away)
            self.unplugs += 1

    def replug(self) -> None:
        if self._away.exists():
            self._away.rename(self.path)


@dataclass
class TelemetryDisk:
    """The state folder, on a disk that can be filled up and freed."""

    path: Path
    size_mb: int = 16
    mode: str = "none"
    """'tmpfs' (a real full filesystem), 'sqlite-page-limit', or 'none' before `prepare`."""
    fills: int = 0
    _filler: Path | None = None
    _capped: Any = None

    def prepare(self) -> None:
        """Mount a small tmpfs on the state folder when this process may (root)."""
        self.path.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0 and shutil.which("mount"):
            done = subprocess.run(
                [
                    "mount",
                    "-t",
                    "tmpfs",
                    "-o",
                    f"size={self.size_mb}m,mode=0700",
                    "kiosk-soak",
                    str(self.path),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode == 0:
                self.mode = "tmpfs"
                return
            log.info("soak: cannot mount a tmpfs (%s); capping SQLite instead", done.stderr.strip())
        self.mode = "sqlite-page-limit"

    def fill(self, turn_log: object | None) -> None:
        self.fills += 1
        if self.mode == "tmpfs":
            self._filler = self.path / "filler.bin"
            with open(self._filler, "wb") as filler, contextlib.suppress(OSError):
                block = b"\0" * (1 << 20)
                while True:
                    filler.write(block)
                    filler.flush()
            return
        db = _connection(turn_log)
        if db is not None:
            pages = db.execute("PRAGMA page_count").fetchone()[0]
            db.execute(f"PRAGMA max_page_count = {int(pages)}")
            self._capped = db

    def free(self) -> None:
        if self._filler is not None:
            self._filler.unlink(missing_ok=True)
            self._filler = None
        if self._capped is not None:
            with contextlib.suppress(sqlite3.Error):
                self._capped.execute("PRAGMA max_page_count = 1073741823")
            self._capped = None

    def release(self, keep: Path) -> None:
        """Copy the state folder to `keep` (for the privacy checks) and unmount it."""
        self.free()
        shutil.copytree(self.path, keep, dirs_exist_ok=True)
        if self.mode == "tmpfs":
            subprocess.run(["umount", "-l", str(self.path)], capture_output=True, check=False)


def _connection(turn_log: object | None) -> sqlite3.Connection | None:
    """The turn log's own SQLite connection (a page cap is per connection)."""
    db = getattr(turn_log, "_db", None)
    return db if isinstance(db, sqlite3.Connection) else None


CONFIG_VARIANTS = {
    "good": "[router]\nmin_confidence = {confidence}\n",
    "invalid": "[router]\nmin_confidence = 7\n",
    "restart": "[stt]\nbeam_size = 2\n",
}


@dataclass
class ConfigChanges:
    """Applies configs to the running kiosk the way `kiosk config apply` does."""

    target: Path
    socket: Path
    base: str
    """The config the kiosk started with; every variant keeps it and adds its own section."""
    outcomes: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    _count: int = 0
    _threads: list[threading.Thread] = field(default_factory=list)

    def apply(self, variant: str) -> None:
        """Start applying in the background (apply waits until the kiosk is healthy)."""
        self._count += 1
        confidence = 0.6 if self._count % 2 else 0.62
        text = f'revision = "soak-{self._count}"\n{self.base}' + CONFIG_VARIANTS[variant].format(
            confidence=confidence
        )
        source = self.target.with_name(f"next-{self._count}.toml")
        source.write_text(text, encoding="utf-8")
        thread = threading.Thread(
            target=self._run, args=(variant, source), name="soak-apply", daemon=True
        )
        self._threads.append(thread)
        thread.start()

    def wait(self, timeout_s: float = 30.0) -> None:
        for thread in self._threads:
            thread.join(timeout=timeout_s)

    def _run(self, variant: str, source: Path) -> None:
        options = ApplyOptions(
            target=self.target,
            socket=self.socket,
            timeout_s=15.0,
            restart_timeout_s=3.0,
            restart_command="true",  # the soak cannot restart itself: the apply rolls back
        )
        result: str
        try:
            result = apply_config(source, options).result
        except KioskError as exc:
            result = "refused"
            if variant != "invalid":
                self.errors.append(f"{variant}: {str(exc).splitlines()[0]}")
        self.outcomes[f"{variant}:{result}"] += 1
