"""A fleet on one machine, for the deploy tests and `kiosk bench apply|push`.

- `LoopbackSshd`: a real OpenSSH server on 127.0.0.1, on a free port, with its own host key and
  a client key allowed to log in as the current user; `known_hosts` pins the host key, so
  Ansible connects with strict host key checking.
- `KioskInstance`: a real `kiosk run --headless` with its own config directory, control socket
  and working directory, fed a WAV file in a loop as its microphone, with no speaker. With
  `supervise=True` a thread restarts it when it exits, as systemd's Restart=always would, and
  `restart_command` stops it the way `systemctl restart` would.
- `write_inventory`: an Ansible inventory naming each kiosk's paths; `None` for a kiosk makes
  an unreachable one (a port where nothing listens).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from kiosk.control import ControlUnavailable, request


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def short_tempdir(prefix: str) -> Path:
    """Unix socket paths must stay under 108 bytes: keep lab folders short."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp" if Path("/tmp").is_dir() else None))


class LoopbackSshd:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.user = _user()
        self.client_key = root / "client_ed25519"
        self.known_hosts = root / "known_hosts"
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> LoopbackSshd:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        sshd = shutil.which("sshd") or "/usr/sbin/sshd"
        if not Path(sshd).exists():
            raise RuntimeError("sshd not found: install Debian's openssh-server")
        self.root.mkdir(parents=True, exist_ok=True)
        host_key = self.root / "ssh_host_ed25519_key"
        for key in (host_key, self.client_key):
            if not key.exists():
                subprocess.run(
                    ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True
                )
        (self.root / "authorized_keys").write_text(
            Path(f"{self.client_key}.pub").read_text(encoding="utf-8"), encoding="utf-8"
        )
        os.chmod(self.root / "authorized_keys", 0o600)
        host_pub = Path(f"{host_key}.pub").read_text(encoding="utf-8").split()
        self.known_hosts.write_text(
            f"[127.0.0.1]:{self.port} {host_pub[0]} {host_pub[1]}\n", encoding="utf-8"
        )
        config = self.root / "sshd_config"
        config.write_text(
            "\n".join(
                [
                    f"Port {self.port}",
                    "ListenAddress 127.0.0.1",
                    f"HostKey {host_key}",
                    f"PidFile {self.root / 'sshd.pid'}",
                    f"AuthorizedKeysFile {self.root / 'authorized_keys'}",
                    "PubkeyAuthentication yes",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "PermitRootLogin prohibit-password",
                    "UsePAM no",
                    "StrictModes no",
                    "MaxStartups 100:30:200",
                    "MaxSessions 100",
                    "Subsystem sftp internal-sftp",
                    "",
                ]
            ),
            encoding="utf-8",
        )
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation dir
        self._proc = subprocess.Popen(
            [sshd, "-D", "-e", "-f", str(config)],
            preexec_fn=_die_with_parent,
            stdout=subprocess.DEVNULL,
            stderr=open(self.root / "sshd.log", "wb"),  # noqa: SIM115
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                log = (self.root / "sshd.log").read_text(errors="replace")
                raise RuntimeError(f"sshd exited: {log[-500:]}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn,
            ):
                if conn.recv(64).startswith(b"SSH-"):
                    return
            time.sleep(0.1)
        raise RuntimeError("sshd did not start within 15 s")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=5)
            if self._proc.poll() is None:
                self._proc.kill()

    def ssh_args(self) -> str:
        return (
            f"-o UserKnownHostsFile={self.known_hosts} -o StrictHostKeyChecking=yes "
            "-o IdentitiesOnly=yes -o BatchMode=yes"
        )


class KioskInstance:
    """One headless kiosk in its own folder: etc/kiosk.toml, control.sock, kiosk.log."""

    def __init__(
        self,
        root: Path,
        name: str,
        mic_file: Path,
        config_text: str = 'revision = "initial"\n',
        supervise: bool = False,
        env: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.root = root
        self.config_path = root / "etc" / "kiosk.toml"
        self.socket = root / "control.sock"
        self.pidfile = root / "kiosk.pid"
        self.log_path = root / "kiosk.log"
        self.mic_file = mic_file
        self.supervise = supervise
        self.env = env or {}
        self.starts = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None
        self.config_path.parent.mkdir(parents=True, exist_ok=True)
        if not self.config_path.exists():
            self.config_path.write_text(config_text, encoding="utf-8")

    @property
    def kiosk_bin(self) -> str:
        return str(Path(sys.executable).parent / "kiosk")

    @property
    def restart_command(self) -> str:
        """What `kiosk config apply` runs to restart this kiosk. Like `systemctl restart` on a
        Type=notify unit it stops the kiosk, lets the supervisor start it again, and returns
        once the new one is healthy (exit 0) or has died trying (exit 1)."""
        script = self.root / "restart.sh"
        if not script.exists():
            script.write_text(
                f"#!/bin/sh\nexec {sys.executable} -m kiosk.bench.fleet_lab restart {self.root}\n",
                "utf-8",
            )
            script.chmod(0o755)
        return str(script)

    def start(self) -> None:
        self._stopping.clear()
        self._spawn()
        if self.supervise and self._watcher is None:
            self._watcher = threading.Thread(target=self._supervise, daemon=True)
            self._watcher.start()

    def _spawn(self) -> None:
        command = [
            self.kiosk_bin,
            "run",
            "--headless",
            "--config",
            str(self.config_path),
            "--mic-file",
            str(self.mic_file),
            "--mic-loop",
            "--control-socket",
            str(self.socket),
        ]
        env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC")}
        env["KIOSK_TELEMETRY__STATE_DIR"] = str(self.root / "state")  # not the user's turn log
        env.update(self.env)
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(
                command,
                cwd=self.root,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        self.pidfile.write_text(f"{self._proc.pid}\n", encoding="utf-8")
        self.starts += 1

    def _supervise(self) -> None:
        while not self._stopping.is_set():
            proc = self._proc
            if proc is not None and proc.poll() is not None and not self._stopping.is_set():
                time.sleep(0.5)  # RestartSec
                if not self._stopping.is_set():
                    self._spawn()
            time.sleep(0.1)

    def request_stop(self) -> None:
        """SIGTERM without waiting (stop several kiosks at once, then `stop()` each)."""
        self._stopping.set()
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()

    def stop(self) -> None:
        self.request_stop()
        proc = self._proc
        if proc is not None:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if self._watcher is not None:
            self._watcher.join(timeout=2)
            self._watcher = None

    def health(self) -> dict[str, Any]:
        return request(self.socket, "health", timeout=3.0)

    def wait_healthy(self, timeout_s: float = 120.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        last: object = "no answer"
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None and not self.supervise:
                raise RuntimeError(f"kiosk {self.name} exited: {self.log_tail()}")
            try:
                health = self.health()
            except ControlUnavailable as exc:
                last = exc
            else:
                if health.get("healthy"):
                    return health
                last = health
            time.sleep(0.2)
        raise RuntimeError(
            f"kiosk {self.name} not healthy in {timeout_s} s: {last}\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> KioskInstance:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def write_inventory(
    path: Path, sshd: LoopbackSshd, kiosks: list[tuple[str, KioskInstance | None]]
) -> Path:
    """An INI inventory: group `kiosks`, in rollout order. None: a kiosk nobody answers for."""
    lines = ["[kiosks]"]
    for name, kiosk in kiosks:
        if kiosk is None:
            lines.append(f"{name} ansible_port={free_port()} kiosk_bin=/nonexistent")
            continue
        fields = {
            "ansible_port": sshd.port,
            "kiosk_bin": kiosk.kiosk_bin,
            "kiosk_config_path": kiosk.config_path,
            "kiosk_control_socket": kiosk.socket,
            "kiosk_restart_command": kiosk.restart_command,
        }
        lines.append(name + "".join(f" {k}={v}" for k, v in fields.items()))
    lines += [
        "",
        "[kiosks:vars]",
        "ansible_host=127.0.0.1",
        f"ansible_user={sshd.user}",
        f"ansible_ssh_private_key_file={sshd.client_key}",
        f"ansible_ssh_common_args='{sshd.ssh_args()}'",
        f"ansible_python_interpreter={_remote_python()}",
        "ansible_become=false",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _die_with_parent() -> None:
    """Linux: the lab's processes get SIGTERM when the test run that started them dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _remote_python() -> str:
    for candidate in ("/usr/bin/python3", sys.executable):
        if Path(candidate).exists():
            return candidate
    return sys.executable


def _user() -> str:
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name


def restart_and_wait(root: Path, timeout_s: float = 240.0) -> int:
    """`systemctl restart` for a lab kiosk: 0 once the new process is healthy, 1 if it exits."""
    pidfile, sock = root / "kiosk.pid", root / "control.sock"
    old = _read_pid(pidfile)
    if old is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(old, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        pid = _read_pid(pidfile)
        if pid is not None and pid != old:
            if not _alive(pid):
                print(f"kiosk (pid {pid}) failed to start", file=sys.stderr)
                return 1
            with contextlib.suppress(ControlUnavailable):
                health = request(sock, "health", timeout=2.0)
                if health.get("pid") == pid and health.get("healthy"):
                    return 0
        time.sleep(0.1)
    print(f"kiosk did not come back within {timeout_s:.0f} s", file=sys.stderr)
    return 1


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie (exited, not yet reaped by the supervisor) counts as dead
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return True


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "restart":
        sys.exit(restart_and_wait(Path(sys.argv[2])))
    print("usage: python -m kiosk.bench.fleet_lab restart KIOSK_ROOT", file=sys.stderr)
    sys.exit(2)
