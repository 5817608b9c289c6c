"""The control socket: Unix only, 0660, one JSON request per connection, bad input refused."""

from __future__ import annotations

import json
import socket
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.control import (
    MAX_REQUEST,
    ControlError,
    ControlServer,
    ControlUnavailable,
    default_socket_path,
    request,
)

pytestmark = pytest.mark.unit


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ControlServer]:
    calls: list[dict[str, Any]] = []

    def health(req: dict[str, Any]) -> dict[str, Any]:
        calls.append(req)
        return {"ok": True, "healthy": True, "config_revision": "r1", "state": "listening"}

    def broken(req: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("boom")

    srv = ControlServer(tmp_path / "run" / "control.sock", {"health": health, "broken": broken})
    srv.start()
    yield srv
    srv.stop()


def _raw(path: Path, payload: bytes) -> dict[str, Any]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(str(path))
        sock.sendall(payload)
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    reply: dict[str, Any] = json.loads(data)
    return reply


def test_health_round_trip(server: ControlServer) -> None:
    reply = request(server.path, "health")
    assert reply == {"ok": True, "healthy": True, "config_revision": "r1", "state": "listening"}


def test_socket_is_a_unix_socket_with_group_access_only(server: ControlServer) -> None:
    mode = server.path.stat().st_mode
    assert stat.S_ISSOCK(mode)
    assert stat.S_IMODE(mode) == 0o660


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (b"not json\n", "malformed request"),
        (b"[1, 2]\n", "malformed request"),
        (b'{"command": "health"}\n', "malformed request"),
        (b"\n", "malformed request: empty"),
        (b'{"cmd": "format-disk"}\n', "unknown command 'format-disk'"),
        (b"\xff\xfe\n", "malformed request"),
    ],
)
def test_malformed_requests_get_an_error_not_a_crash(
    server: ControlServer, payload: bytes, error: str
) -> None:
    reply = _raw(server.path, payload)
    assert reply["ok"] is False and error in reply["error"]
    assert request(server.path, "health")["ok"] is True  # still serving


def test_oversized_request_is_refused(server: ControlServer) -> None:
    reply = _raw(server.path, b'{"cmd": "health", "pad": "' + b"x" * MAX_REQUEST + b'"}\n')
    assert reply == {"ok": False, "error": f"request too large: more than {MAX_REQUEST} bytes"}


def test_a_failing_handler_is_reported_and_the_server_lives_on(server: ControlServer) -> None:
    reply = request(server.path, "broken")
    assert reply["ok"] is False and "RuntimeError: boom" in reply["error"]
    assert request(server.path, "health")["healthy"] is True


def test_no_server_is_a_retryable_error(tmp_path: Path) -> None:
    with pytest.raises(ControlUnavailable) as info:
        request(tmp_path / "nobody.sock", "health", timeout=1)
    assert info.value.retryable


def test_a_stale_socket_is_replaced_but_a_live_one_is_not_taken(tmp_path: Path) -> None:
    path = tmp_path / "control.sock"
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(path))
    stale.close()  # left behind by a kiosk that died
    first = ControlServer(path, {"health": lambda r: {"ok": True}})
    first.start()
    try:
        with pytest.raises(ControlError, match="another kiosk is already listening"):
            ControlServer(path, {}).start()
        assert request(path, "health") == {"ok": True}
    finally:
        first.stop()
    assert not path.exists()


def test_a_regular_file_in_the_way_is_not_deleted(tmp_path: Path) -> None:
    path = tmp_path / "control.sock"
    path.write_text("precious")
    with pytest.raises(ControlError, match="not a socket"):
        ControlServer(path, {}).start()
    assert path.read_text() == "precious"


def test_default_socket_path_follows_the_service_environment() -> None:
    assert default_socket_path({"KIOSK_CONTROL_SOCKET": "/x/y.sock"}) == Path("/x/y.sock")
    assert default_socket_path({"RUNTIME_DIRECTORY": "/run/kiosk"}) == Path(
        "/run/kiosk/control.sock"
    )
