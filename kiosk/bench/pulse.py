"""A private PulseAudio daemon with null sinks: a sound card for machines without one.

Tests and benchmarks use it to drive the real sounddevice path: audio played into a null sink
can be recorded from its `.monitor` source; sounddevice's `pulse` device follows the
PULSE_SINK / PULSE_SOURCE environment variables, read when a stream is opened. The daemon is
started here (nothing needs to be running), listens on its own socket, and is stopped on exit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kiosk.errors import KioskError

TOOLS = ("pulseaudio", "pactl", "paplay", "parecord")


class PulseUnavailable(KioskError):
    """PulseAudio is not installed here."""


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


@contextmanager
def null_sinks(*names: str, rate: int = 48000) -> Iterator[dict[str, str]]:
    """Start PulseAudio with one null sink per name; yields the client environment
    ({"PULSE_SERVER": ...}) and stops the daemon afterwards."""
    missing = missing_tools()
    if missing:
        raise PulseUnavailable(
            f"{', '.join(missing)} not found: install Debian's pulseaudio and pulseaudio-utils "
            "(listed under [dev] in deploy/debian-packages.txt)"
        )
    with tempfile.TemporaryDirectory(prefix="kiosk-pulse-") as tmp:
        root = Path(tmp)
        runtime_dir = root / "run"
        runtime_dir.mkdir(mode=0o700)
        socket = runtime_dir / "native"
        env = {**os.environ, "HOME": str(root), "XDG_RUNTIME_DIR": str(runtime_dir)}
        command = [
            "pulseaudio",
            "--daemonize=no",
            "-n",  # no default.pa: only the modules below
            "--exit-idle-time=-1",
            "--disallow-exit",
            "--use-pid-file=no",
            "--system=false",
            f"--load=module-native-protocol-unix socket={socket} auth-anonymous=1",
            *(f"--load=module-null-sink sink_name={name} rate={rate}" for name in names),
            "--log-target=stderr",
        ]
        daemon = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        client = {"PULSE_SERVER": f"unix:{socket}"}
        try:
            _wait_ready(daemon, {**os.environ, **client}, names)
            yield client
        finally:
            daemon.terminate()
            try:
                daemon.wait(timeout=10)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait(timeout=10)


def _wait_ready(daemon: subprocess.Popen[str], env: dict[str, str], names: tuple[str, ...]) -> None:
    deadline = time.monotonic() + 20
    while True:
        sinks = subprocess.run(
            ["pactl", "list", "short", "sinks"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if sinks.returncode == 0 and all(name in sinks.stdout for name in names):
            return
        if daemon.poll() is not None or time.monotonic() > deadline:
            daemon.kill()
            _, err = daemon.communicate()
            raise PulseUnavailable(f"PulseAudio did not start: {err.strip()[-500:]}")
        time.sleep(0.2)


def load_loopback(env: dict[str, str], source: str, sink: str, latency_ms: int) -> None:
    """Route a source into a sink with a latency: a room's echo, through the sound server."""
    subprocess.run(
        [
            "pactl",
            "load-module",
            "module-loopback",
            f"source={source}",
            f"sink={sink}",
            f"latency_msec={latency_ms}",
        ],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )
