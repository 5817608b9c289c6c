"""sd_notify over a plain datagram socket, checked against a real socket standing in for PID 1."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.notify import Notifier

pytestmark = pytest.mark.unit


@pytest.fixture
def systemd(tmp_path: Path) -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    sock.settimeout(2)
    yield sock
    sock.close()


def _messages(sock: socket.socket) -> list[str]:
    out = []
    sock.setblocking(False)
    try:
        while True:
            out.append(sock.recv(4096).decode())
    except BlockingIOError:
        pass
    finally:
        sock.settimeout(2)
    return out


def test_ready_status_and_watchdog(systemd: socket.socket, tmp_path: Path) -> None:
    notifier = Notifier({"NOTIFY_SOCKET": str(tmp_path / "notify"), "WATCHDOG_USEC": "10000000"})
    assert notifier.enabled and notifier.watchdog_interval_s == 10.0
    notifier.ready("listening; config revision r1")
    notifier.status("thinking\nwith a newline")
    assert notifier.watchdog(now=100.0)
    assert not notifier.watchdog(now=102.0)  # pings at half the interval, not more often
    assert notifier.watchdog(now=105.5)
    got = _messages(systemd)
    assert got[0].splitlines()[0] == "READY=1"
    assert f"MAINPID={os.getpid()}" in got[0] and "STATUS=listening; config revision r1" in got[0]
    assert got[1] == "STATUS=thinking with a newline"
    assert got[2:] == ["WATCHDOG=1", "WATCHDOG=1"]
    assert notifier.ready_sent


def test_reload_messages(systemd: socket.socket, tmp_path: Path) -> None:
    notifier = Notifier({"NOTIFY_SOCKET": str(tmp_path / "notify")})
    notifier.reloading()
    notifier.reloaded("applied revision r2")
    first, second = _messages(systemd)
    assert first.startswith("RELOADING=1\nMONOTONIC_USEC=")
    assert second == "READY=1\nSTATUS=applied revision r2"


def test_abstract_socket_name() -> None:
    name = f"kiosk-test-{os.getpid()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    try:
        Notifier({"NOTIFY_SOCKET": "@" + name}).status("hello")
        assert sock.recv(100) == b"STATUS=hello"
    finally:
        sock.close()


def test_silent_without_systemd() -> None:
    notifier = Notifier({})
    assert not notifier.enabled
    assert notifier.send("READY=1") is False
    assert notifier.watchdog() is False


def test_watchdog_meant_for_another_process_is_ignored() -> None:
    env = {"NOTIFY_SOCKET": "/nonexistent", "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"}
    assert Notifier(env).watchdog_interval_s is None


def test_a_vanished_socket_is_a_warning_not_a_crash(tmp_path: Path) -> None:
    assert Notifier({"NOTIFY_SOCKET": str(tmp_path / "gone")}).send("READY=1") is False
