"""The kiosk's local control socket: a Unix stream socket, mode 0660, never a network port.

One request per connection: a JSON object on one line, at most `MAX_REQUEST` bytes, e.g.
`{"cmd": "health"}`. One JSON object comes back on one line and the connection closes.
Commands: `health` → `{"ok", "healthy", "config_revision", "config_sha256", "state", ...}` and
`reload` → the outcome of re-reading the config file. Anything else, a request that is not
JSON, or one that is too long gets `{"ok": false, "error": "..."}`.

`kiosk config apply` and the Mender module are the clients; `request()` is their side.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import stat
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from kiosk.errors import KioskError

log = logging.getLogger(__name__)

MAX_REQUEST = 4096
SOCKET_MODE = 0o660
Handler = Callable[[dict[str, Any]], dict[str, Any]]


class ControlError(KioskError):
    """The control socket cannot be served (the path is taken, or cannot be created)."""


class ControlUnavailable(KioskError):
    """No kiosk answers on the control socket. It may be starting: retrying can help."""

    retryable = True


def default_socket_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where `kiosk run` listens and `kiosk config apply` connects, unless told otherwise.

    `$KIOSK_CONTROL_SOCKET`; else systemd's `$RUNTIME_DIRECTORY` (/run/kiosk for the unit);
    else /run/kiosk/control.sock on an installed device (/etc/kiosk exists: an operator's
    shell, even while the service is down); else the user's runtime directory, for a
    developer's machine.
    """
    env = os.environ if environ is None else environ
    if env.get("KIOSK_CONTROL_SOCKET"):
        return Path(env["KIOSK_CONTROL_SOCKET"])
    if env.get("RUNTIME_DIRECTORY"):
        return Path(env["RUNTIME_DIRECTORY"].split(":")[0]) / "control.sock"
    if Path("/run/kiosk").is_dir() or Path("/etc/kiosk").is_dir():
        return Path("/run/kiosk/control.sock")
    base = env.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    return Path(base) / f"kiosk-{os.getuid()}" / "control.sock"


class ControlServer:
    """Serves `commands` on a Unix socket from a daemon thread, one short thread per client."""

    def __init__(self, path: Path, commands: Mapping[str, Handler]) -> None:
        self.path = Path(path)
        self._commands = dict(commands)
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self) -> None:
        self._prepare_path()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)  # no window in which the socket is world-writable
        try:
            sock.bind(str(self.path))
        except OSError as exc:
            sock.close()
            raise ControlError(f"control socket {self.path}: cannot bind: {exc}") from exc
        finally:
            os.umask(old_umask)
        os.chmod(self.path, SOCKET_MODE)
        sock.listen(16)
        sock.settimeout(0.5)
        self._sock = sock
        self._thread = threading.Thread(target=self._serve, name="control", daemon=True)
        self._thread.start()
        log.info("control socket listening on %s", self.path)

    def stop(self) -> None:
        self._stopping.set()
        with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX) as wake:
            wake.connect(str(self.path))  # wakes accept() at once
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        with contextlib.suppress(FileNotFoundError):
            if stat.S_ISSOCK(os.lstat(self.path).st_mode):
                self.path.unlink()

    def _prepare_path(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
        _check_folder(self.path.parent)
        try:
            mode = os.lstat(self.path).st_mode
        except FileNotFoundError:
            return
        if not stat.S_ISSOCK(mode):
            raise ControlError(f"control socket {self.path}: exists and is not a socket")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.settimeout(1.0)
        try:
            probe.connect(str(self.path))
        except OSError:
            self.path.unlink()  # stale: left by a kiosk that died
            return
        finally:
            probe.close()
        raise ControlError(f"control socket {self.path}: another kiosk is already listening")

    def _serve(self) -> None:
        assert self._sock is not None
        while not self._stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                if self._stopping.is_set():
                    return
                raise
            if self._stopping.is_set():
                conn.close()
                return
            threading.Thread(
                target=self._handle, args=(conn,), name="control-client", daemon=True
            ).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5.0)
            try:
                reply = self.dispatch(_read_request(conn))
            except _BadRequest as exc:
                reply = {"ok": False, "error": str(exc)}
            except OSError:
                return
            with contextlib.suppress(OSError):
                conn.sendall(json.dumps(reply).encode() + b"\n")

    def dispatch(self, raw: bytes) -> dict[str, Any]:
        """Answer one raw request line; never raises for bad input."""
        try:
            request = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return {"ok": False, "error": "malformed request: expected one JSON object"}
        if not isinstance(request, dict) or not isinstance(request.get("cmd"), str):
            return {"ok": False, "error": 'malformed request: expected {"cmd": "..."}'}
        handler = self._commands.get(request["cmd"])
        if handler is None:
            known = ", ".join(sorted(self._commands))
            return {
                "ok": False,
                "error": f"unknown command {request['cmd'][:40]!r} (known: {known})",
            }
        try:
            return handler(request)
        except Exception as exc:  # a handler bug must not take the socket down
            log.exception("control command %s failed", request["cmd"])
            return {"ok": False, "error": f"{request['cmd']} failed: {type(exc).__name__}: {exc}"}


class _BadRequest(Exception):
    pass


def _check_folder(folder: Path) -> None:
    """The socket's folder must belong to this user (or root) and be writable by no one else:
    whoever controls the folder can swap the socket for their own and answer in its place."""
    info = os.stat(folder)
    if info.st_uid not in (os.getuid(), 0):
        raise ControlError(
            f"control socket folder {folder}: owned by uid {info.st_uid}, not by this user"
        )
    if info.st_mode & stat.S_IWOTH:
        raise ControlError(
            f"control socket folder {folder}: anyone may write to it "
            f"(mode {stat.S_IMODE(info.st_mode):o}); use a private folder such as /run/kiosk"
        )


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\n" not in data:
        try:
            chunk = conn.recv(MAX_REQUEST + 1 - len(data))
        except TimeoutError:
            raise _BadRequest("malformed request: no newline before the timeout") from None
        if not chunk:
            break
        data += chunk
        if len(data) > MAX_REQUEST:
            raise _BadRequest(f"request too large: more than {MAX_REQUEST} bytes")
    line = data.split(b"\n", 1)[0]
    if not line.strip():
        raise _BadRequest("malformed request: empty")
    return line


def request(path: Path, cmd: str, timeout: float = 5.0, **fields: Any) -> dict[str, Any]:
    """Send one command to the kiosk at `path` and return its reply.

    Raises ControlUnavailable when nothing listens there (retryable: the kiosk may be starting).
    """
    payload = json.dumps({"cmd": cmd, **fields}).encode() + b"\n"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(str(path))
            sock.sendall(payload)
            data = b""
            while not data.endswith(b"\n"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            raise ControlUnavailable(f"no kiosk on control socket {path}: {exc.strerror}") from None
        except TimeoutError:
            raise ControlUnavailable(
                f"control socket {path}: no answer in {timeout:.0f} s"
            ) from None
        except PermissionError:
            raise ControlUnavailable(
                f"control socket {path}: permission denied (run as root or in group kiosk)"
            ) from None
        except OSError as exc:
            raise ControlUnavailable(f"control socket {path}: {exc}") from None
    try:
        reply = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ControlUnavailable(f"control socket {path}: garbled reply") from None
    if not isinstance(reply, dict):
        raise ControlUnavailable(f"control socket {path}: garbled reply")
    return reply
