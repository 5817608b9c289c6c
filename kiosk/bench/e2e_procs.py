"""The processes of `kiosk bench e2e`: the kiosk under test, the Pipecat peer, and `kiosk run`
for the cold start. Each prints JSON lines; `Child` collects them on a reader thread."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from kiosk.errors import KioskError

REPO = Path(__file__).resolve().parents[2]


class ChildFailed(KioskError):
    """A benchmark process died or went silent; its last stderr lines are in the message.
    Running again can help when the machine was overloaded; a crash will repeat."""


class Child:
    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.spawned_ns = time.monotonic_ns()
        self._log = log.open("w", encoding="utf-8")
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
            cwd=REPO,
            text=True,
        )
        self.log_path = log
        self.lines: queue.SimpleQueue[dict[str, Any] | None] = queue.SimpleQueue()
        self.marks: dict[str, dict[str, Any]] = {}
        self.result: dict[str, Any] | None = None
        assert self.proc.stdout is not None
        threading.Thread(target=self._read, args=(self.proc.stdout,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if isinstance(item, dict):
                self.lines.put(item)
        self.lines.put(None)

    def wait_for(
        self,
        done: Callable[[dict[str, Any]], bool],
        timeout_s: float,
        on_line: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        """Read lines until one satisfies `done`; raises ChildFailed on exit or timeout."""
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChildFailed(f"{self.name}: no progress in {timeout_s:.0f} s{self._tail()}")
            try:
                item = self.lines.get(timeout=min(left, 1.0))
            except queue.Empty:
                continue
            if item is None:
                code = self.proc.wait()
                raise ChildFailed(f"{self.name}: exited with code {code}{self._tail()}")
            if "mark" in item:
                self.marks[str(item["mark"])] = item
            if "result" in item:
                self.result = item
            if on_line is not None:
                on_line(item)
            if done(item):
                return item

    def mark(self, name: str, timeout_s: float) -> dict[str, Any]:
        return self.wait_for(lambda item: item.get("mark") == name, timeout_s)

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def finish(self, timeout_s: float = 10.0) -> None:
        try:
            self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.stop()
        self._log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self._log.closed:
            self._log.close()

    def _tail(self) -> str:
        try:
            self._log.flush()
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return ""
        tail = [line for line in lines if line.strip()][-6:]
        return (" (log " + str(self.log_path) + "):\n  " + "\n  ".join(tail)) if tail else ""


def kiosk_env(
    base: dict[str, str], sim_url: str, ca: str, state: Path, camera: str
) -> dict[str, str]:
    """The kiosk's settings for a run: the cloud is the simulator, reached the way the real
    service is (cloud mode gemini with a base URL; the simulator's CA trusted through
    SSL_CERT_FILE, which google-genai honours), its own state folder, the virtual camera."""
    env = {k: v for k, v in base.items() if not k.startswith("KIOSK_") or k == "KIOSK_BENCH_LOG"}
    env.update(
        GEMINI_API_KEY="kiosk-bench-e2e",
        SSL_CERT_FILE=ca,
        KIOSK_CLOUD__MODE="gemini",
        KIOSK_CLOUD__BASE_URL=sim_url,
        KIOSK_TELEMETRY__STATE_DIR=str(state),
        KIOSK_VISION__CAMERA=camera,
        PYTHONUNBUFFERED="1",
    )
    if "KIOSK_MODELS_DIR" in base:
        env["KIOSK_MODELS_DIR"] = base["KIOSK_MODELS_DIR"]
    return env


def pipecat_python() -> Path:
    configured = os.environ.get("KIOSK_PIPECAT_PYTHON")
    return Path(configured) if configured else Path(sys.prefix) / "pipecat" / "bin" / "python"


def cold_start(env: dict[str, str], work: Path, mic_wav: Path, timeout_s: float = 120.0) -> float:
    """Seconds from starting `kiosk run --headless` to its systemd READY=1 (models loaded, the
    microphone delivering audio), read from a notify socket of our own."""
    address = work / "notify.sock"
    address.unlink(missing_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(address))
    sock.settimeout(1.0)
    command = [
        sys.executable, "-m", "kiosk", "run", "--headless",
        "--mic-file", str(mic_wav), "--mic-loop",
        "--control-socket", str(work / "control.sock"),
    ]  # fmt: skip
    child = Child("kiosk run", command, {**env, "NOTIFY_SOCKET": str(address)}, work / "run.log")
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if child.proc.poll() is not None:
                raise ChildFailed(f"kiosk run exited with {child.proc.returncode}{child._tail()}")
            try:
                data = sock.recv(4096).decode("utf-8", "replace")
            except TimeoutError:
                continue
            if "READY=1" in data.splitlines():
                return (time.monotonic_ns() - child.spawned_ns) / 1e9
        raise ChildFailed(f"kiosk run: not ready in {timeout_s:.0f} s{child._tail()}")
    finally:
        child.stop()
        sock.close()
        address.unlink(missing_ok=True)
