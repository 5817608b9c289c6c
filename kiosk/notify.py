"""sd_notify over a plain datagram socket: READY=1, STATUS=, WATCHDOG=1, RELOADING=1.

systemd passes `$NOTIFY_SOCKET` to a `Type=notify` service (an abstract name when it starts
with `@`). Without it (a developer's terminal, a test) every call is a cheap no-op, so the
kiosk code calls the notifier unconditionally. `$WATCHDOG_USEC` (and `$WATCHDOG_PID`, when set,
naming this process) says how often systemd wants `WATCHDOG=1`; pings are sent at half that.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Mapping

log = logging.getLogger(__name__)


class Notifier:
    """Sends sd_notify messages; safe to call from any thread, silent when not under systemd."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self._address = _socket_address(env.get("NOTIFY_SOCKET", ""))
        self.watchdog_interval_s = _watchdog_interval(env)
        self._lock = threading.Lock()
        self._last_ping = 0.0
        self._sock: socket.socket | None = None
        self._warned: set[type[OSError]] = set()
        self.ready_sent = False

    @property
    def enabled(self) -> bool:
        return self._address is not None

    def send(self, *lines: str) -> bool:
        """Send one message of `KEY=value` lines. True when it was handed to systemd."""
        if self._address is None:
            return False
        payload = "\n".join(lines).encode("utf-8", errors="replace")
        with self._lock:
            try:
                if self._sock is None:
                    self._sock = socket.socket(
                        socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC
                    )
                    self._sock.setblocking(False)  # never stall the agent loop on systemd
                self._sock.sendto(payload, self._address)
            except OSError as exc:
                # systemd went away, or is not reading: drop the message, say so once.
                if type(exc) not in self._warned:
                    self._warned.add(type(exc))
                    log.warning("sd_notify failed (further failures not logged): %s", exc)
                return False
        return True

    def ready(self, status: str = "") -> None:
        lines = ["READY=1", f"MAINPID={os.getpid()}"]
        if status:
            lines.append(f"STATUS={_one_line(status)}")
        self.ready_sent = self.send(*lines) or self.ready_sent

    def status(self, text: str) -> None:
        self.send(f"STATUS={_one_line(text)}")

    def reloading(self, status: str = "reloading config") -> None:
        # MONOTONIC_USEC lets systemd >= 253 (Type=notify-reload) match the reload; older
        # versions accept and ignore it.
        usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        self.send("RELOADING=1", f"MONOTONIC_USEC={usec}", f"STATUS={_one_line(status)}")

    def reloaded(self, status: str) -> None:
        self.send("READY=1", f"STATUS={_one_line(status)}")

    def stopping(self, status: str = "stopping") -> None:
        self.send("STOPPING=1", f"STATUS={_one_line(status)}")

    def watchdog(self, now: float | None = None) -> bool:
        """Ping the watchdog if half its interval has passed. True when a ping was sent."""
        if self._address is None or self.watchdog_interval_s is None:
            return False
        now = time.monotonic() if now is None else now
        if now - self._last_ping < self.watchdog_interval_s / 2:
            return False
        self._last_ping = now
        return self.send("WATCHDOG=1")

    def close(self) -> None:
        with self._lock:
            if self._sock is not None:
                self._sock.close()
                self._sock = None


def _socket_address(value: str) -> str | None:
    if not value:
        return None
    if value.startswith("@"):
        return "\0" + value[1:]
    if value.startswith("/"):
        return value
    log.warning("ignoring NOTIFY_SOCKET=%r: not a Unix socket path", value)
    return None


def _watchdog_interval(env: Mapping[str, str]) -> float | None:
    usec = env.get("WATCHDOG_USEC", "")
    pid = env.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if pid and pid != str(os.getpid()):
        return None  # the watchdog is meant for another process of the unit
    return int(usec) / 1_000_000


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]
