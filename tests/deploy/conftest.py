"""A fleet on loopback for the deploy tests: a real sshd and three real headless kiosks.

Each kiosk is `kiosk run --headless` with the real models, its own config directory, control
socket and working directory, listening to a looped second of silence (no speaker). `k1` is
first in the inventory, so it is the canary. `k2` and `k3` have a store pack at `stores/v2`
(relative to their working directory, as /var/lib/kiosk is on a device); `k1` does not, so a
config pointing there passes the schema everywhere but fails on the canary. A thread restarts
a kiosk that exits, as systemd's Restart=always would. `k1` talks sd_notify to a datagram
socket the fixture reads, as systemd's would be (with a 2 s watchdog).
"""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kiosk.bench.fleet_lab import KioskInstance, LoopbackSshd, short_tempdir
from tests.conftest import MINI_STORE, SPEECH


class NotifySink:
    """Stands in for systemd's notify socket: keeps every datagram a kiosk sends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.messages: list[str] = []
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(str(path))
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                self.messages.append(self._sock.recv(4096).decode())
            except TimeoutError:
                continue
            except OSError:
                return

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()


@dataclass
class Fleet:
    root: Path
    sshd: LoopbackSshd
    kiosks: list[KioskInstance]
    notify: NotifySink

    def kiosk(self, name: str) -> KioskInstance:
        return next(k for k in self.kiosks if k.name == name)


@pytest.fixture(scope="package")
def fleet(model_cache: object) -> Iterator[Fleet]:
    root = short_tempdir("kfleet-")
    sshd = LoopbackSshd(root / "sshd")
    notify = NotifySink(root / "notify.sock")
    systemd = {"NOTIFY_SOCKET": str(notify.path), "WATCHDOG_USEC": "2000000"}
    kiosks = [
        KioskInstance(
            root / name,
            name,
            SPEECH / "silence_1s.wav",
            supervise=True,
            env=systemd if name == "k1" else None,
        )
        for name in ("k1", "k2", "k3")
    ]
    for kiosk in kiosks[1:]:
        shutil.copytree(MINI_STORE, kiosk.root / "stores" / "v2")
    sshd.start()
    try:
        for kiosk in kiosks:
            kiosk.start()
        for kiosk in kiosks:
            kiosk.wait_healthy(timeout_s=240)
        yield Fleet(root, sshd, kiosks, notify)
    finally:
        for kiosk in kiosks:
            kiosk.request_stop()
        for kiosk in kiosks:
            kiosk.stop()
        sshd.stop()
        notify.close()
        shutil.rmtree(root, ignore_errors=True)
