"""The control surface: a Unix socket only its own user (and group) may use, in a folder no
one else controls; malformed, oversized and stalled requests refused without harm; every
other listener on loopback; and a fleet push that refuses a config with secrets in it."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.cloud.sim.options import SimOptions
from kiosk.control import MAX_REQUEST, ControlError, ControlServer, request
from kiosk.fleet import main as fleet
from kiosk.telemetry.metrics import MetricsServer, TurnMetrics

pytestmark = pytest.mark.unit
NOBODY = 65534
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs root")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ControlServer]:
    srv = ControlServer(tmp_path / "run" / "control.sock", {"health": lambda r: {"ok": True}})
    srv.start()
    yield srv
    srv.stop()


def _raw(path: Path, payload: bytes, timeout: float = 10.0) -> dict[str, Any]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(path))
        sock.sendall(payload)
        with contextlib.suppress(OSError):  # it may have answered and closed already
            sock.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    decoded: dict[str, Any] = json.loads(reply)
    return decoded


def test_the_socket_is_not_open_to_other_users(server: ControlServer) -> None:
    mode = os.stat(server.path).st_mode
    assert stat.S_ISSOCK(mode)
    assert stat.S_IMODE(mode) & 0o007 == 0, "no access for others"
    folder = stat.S_IMODE(os.stat(server.path.parent).st_mode)
    assert folder & 0o002 == 0, "no one else may write to its folder"


@as_root
def test_another_user_cannot_connect(server: ControlServer) -> None:
    os.chmod(server.path.parent, 0o755)  # the folder open: only the socket's own mode refuses
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            with socket.socket(socket.AF_UNIX) as sock:
                sock.connect(str(server.path))
            code = 0
        except PermissionError:
            code = 3
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 3, "refused with EACCES"
    assert request(server.path, "health") == {"ok": True}


def test_a_folder_anyone_may_write_to_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "open"
    folder.mkdir()
    os.chmod(folder, 0o1777)  # like /tmp: another user could swap the socket
    with pytest.raises(ControlError, match="anyone may write to it"):
        ControlServer(folder / "control.sock", {}).start()


@as_root
def test_a_folder_owned_by_someone_else_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "theirs"
    folder.mkdir(mode=0o755)
    os.chown(folder, NOBODY, NOBODY)
    with pytest.raises(ControlError, match="owned by uid"):
        ControlServer(folder / "control.sock", {}).start()


@settings(
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.binary(max_size=2 * MAX_REQUEST))
def test_any_request_bytes_get_a_json_answer_and_the_server_lives_on(
    server: ControlServer, payload: bytes
) -> None:
    reply = _raw(server.path, payload)
    assert isinstance(reply.get("ok"), bool)
    if not reply["ok"]:
        assert isinstance(reply["error"], str) and len(reply["error"]) < 300
    assert request(server.path, "health") == {"ok": True}


def test_an_oversized_request_is_cut_off_unread(server: ControlServer) -> None:
    try:
        reply = _raw(server.path, b"x" * (MAX_REQUEST * 50))
    except (ConnectionResetError, BrokenPipeError):
        pass  # it stopped reading after MAX_REQUEST bytes and hung up: refused as well
    else:
        assert reply["ok"] is False and "too large" in reply["error"]
    assert request(server.path, "health") == {"ok": True}


def test_silent_clients_do_not_block_the_others(server: ControlServer) -> None:
    idle = []
    for _ in range(8):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(str(server.path))
        sock.sendall(b'{"cmd": "hea')  # and never finishes the line
        idle.append(sock)
    try:
        answered = threading.Event()

        def ask() -> None:
            if request(server.path, "health", timeout=4.0) == {"ok": True}:
                answered.set()

        thread = threading.Thread(target=ask)
        thread.start()
        thread.join(10.0)
        assert answered.is_set()
    finally:
        for sock in idle:
            sock.close()


def test_other_listeners_stay_on_loopback() -> None:
    with pytest.raises(ValueError, match="loopback only"):
        MetricsServer(TurnMetrics(), 0, host="0.0.0.0")
    metrics = MetricsServer(TurnMetrics(), 0)
    try:
        assert metrics.url.startswith("http://127.0.0.1:")
    finally:
        metrics.close()
    assert SimOptions().host == "127.0.0.1"


SECRETS = [
    '[cloud]\napi_key = "AIzaSyD-example-not-a-real-key-0123456"\n',
    'GEMINI_API_KEY = "k-0123456789abcdef"\n',
    '[cloud]\nToken = "tok-0123456789abcdef"\n',
    '[telemetry]\npassword = "hunter2-hunter2"\n',
    'revision = "AIzaSyD0123456789abcdefghijklmnopqrstu"\n',
    '[cloud]\nbase_url = "https://proxy.example/?key=0123456789abcdef"\n',
    '[ui]\nsuggestions = ["milk", "auth_tokens/0123456789abcdef"]\n',
]


@pytest.mark.parametrize("text", SECRETS)
def test_a_fleet_push_with_a_secret_in_it_is_refused_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    config = tmp_path / "push.toml"
    config.write_text(text, encoding="utf-8")
    inventory = tmp_path / "inventory.ini"
    inventory.write_text("kiosk-1 ansible_host=127.0.0.1\n")
    code = fleet(["push", str(config), "--inventory", str(inventory), "--playbook", "/nonexistent"])
    err = capsys.readouterr().err
    assert code == 1
    assert "refused, nothing was copied" in err and "secret" in err
    secret = text.split('"')[-2]
    assert secret not in err, "the refusal never repeats the secret"
