"""`kiosk config apply FILE`: put a new config in place on this device, safely.

1. Validate FILE (`-`: standard input) with the installed schema (the environment ignored,
   secrets refused). A bad file changes nothing: exit 1.
2. Keep a backup of the current config (`kiosk.toml.bak`).
3. Write the new file to a temporary file in the same directory, fsync it, rename it over the
   config and fsync the directory: the kiosk (and a power cut) sees the old file or the new one.
4. Ask the running kiosk to reload over its control socket and wait until it reports healthy
   with the new file's sha256 (and so its `config_revision`). Settings that need a restart are
   named, and the service is restarted (`systemctl restart kiosk.service`) instead.
5. Otherwise put the backup back the same way, reload (or restart) again, and exit 1. With
   `--json` the outcome says which: `rolled_back` (healthy on the old config again) or
   `failed` (rolled back, but still not healthy).

Each run appends one line to `config-history.jsonl` beside the config, for audit.
"""

from __future__ import annotations

import contextlib
import fcntl
import grp
import hashlib
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from kiosk.config import check_config_text
from kiosk.control import ControlUnavailable, request
from kiosk.errors import ConfigError, KioskError

DEFAULT_TARGET = Path("/etc/kiosk/kiosk.toml")
DEFAULT_RESTART = "systemctl restart kiosk.service"
MAX_CONFIG_BYTES = 1 << 20
Result = Literal["applied", "unchanged", "rolled_back", "failed"]
EXIT_CODES: dict[Result, int] = {"applied": 0, "unchanged": 0, "rolled_back": 1, "failed": 1}


class ApplyError(KioskError):
    """The config cannot be applied here (wrong kiosk, unwritable path); nothing was changed."""


@dataclass
class ApplyOptions:
    target: Path = DEFAULT_TARGET
    socket: Path | None = None
    timeout_s: float = 10.0
    """How long a live reload may take to show up as healthy."""
    restart_timeout_s: float = 180.0
    """How long a restarted kiosk may take to load its models and report healthy."""
    restart_command: str = DEFAULT_RESTART


@dataclass
class ApplyReport:
    result: Result
    message: str
    revision: str | None
    previous_revision: str | None
    sha256: str
    restarted: bool = False
    restart_fields: list[str] = field(default_factory=list)
    seconds: float = 0.0
    steps: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.result]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class _NotHealthy(Exception):
    pass


def apply_config(
    source: Path,
    options: ApplyOptions,
    *,
    clock: Callable[[], float] = time.monotonic,
    say: Callable[[str], None] = lambda line: None,
) -> ApplyReport:
    """Apply `source` to `options.target`. Raises ConfigError (invalid) or ApplyError (nothing
    changed); returns a report whose result says whether it was applied or rolled back."""
    started = clock()
    try:
        new_bytes = _read_source(source)
        text = new_bytes.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(source), [f"cannot read: {exc}"]) from None
    label = "<stdin>" if str(source) == "-" else str(source)
    new_config = check_config_text(text, source=label)
    target = options.target.absolute()
    new_sha = hashlib.sha256(new_bytes).hexdigest()
    with _locked(target):
        old_bytes = target.read_bytes() if target.exists() else None
        old_revision = _revision_of(old_bytes)
        report = ApplyReport("applied", "", new_config.revision, old_revision, new_sha)
        step = _stepper(report, say)
        health = _health_or_none(_socket(options))
        if health is not None and not _same_file(health.get("config_path"), target):
            raise ApplyError(
                f"the kiosk on {_socket(options)} runs config {health.get('config_path')}, "
                f"not {target}: pass --config with its path (or start it with --config)"
            )
        running = health.get("config_sha256") if health and health.get("healthy") else None
        if old_bytes == new_bytes and running == new_sha:
            report.result, report.message = "unchanged", "already applied and healthy"
            report.seconds = round(clock() - started, 3)
            _record(target, report)
            return report
        if old_bytes is not None:
            _atomic_write(target.with_name(target.name + ".bak"), old_bytes, like=target)
            step(f"backed up revision {old_revision or 'unset'} to {target.name}.bak")
        _atomic_write(target, new_bytes, like=target if old_bytes is not None else None)
        step(f"wrote {target} (revision {new_config.revision or 'unset'})")
        try:
            _activate(new_sha, options, report, step, clock, restore=False)
        except _NotHealthy as exc:
            step(f"not healthy: {exc}")
            report.message = str(exc)
            _roll_back(target, old_bytes, options, report, step, clock)
        else:
            report.message = f"applied revision {new_config.revision or 'unset'}"
        report.seconds = round(clock() - started, 3)
        _record(target, report)
        return report


def _activate(
    sha: str,
    options: ApplyOptions,
    report: ApplyReport,
    step: Callable[[str], None],
    clock: Callable[[], float],
    restore: bool,
) -> None:
    """Reload (or restart) the kiosk and wait until it is healthy on the file with `sha`."""
    need_restart = report.restarted and restore  # a restarted kiosk is restored the same way
    if not need_restart:
        try:
            reply = request(_socket(options), "reload", timeout=max(options.timeout_s, 1.0))
        except ControlUnavailable as exc:
            step(f"no running kiosk to reload ({exc}): restarting the service")
            need_restart = True
        else:
            if reply.get("restart_required"):
                fields = [str(f) for f in reply["restart_required"]]
                report.restart_fields = fields
                step(f"needs a restart for {', '.join(fields)}: restarting the service")
                need_restart = True
            elif not reply.get("ok"):
                raise _NotHealthy(f"the kiosk refused it: {reply.get('message') or reply}")
            else:
                step(str(reply.get("message", "reloaded")))
    if need_restart:
        report.restarted = True
        _restart(options.restart_command)
    timeout = options.restart_timeout_s if need_restart else options.timeout_s
    _wait_healthy(_socket(options), sha, timeout, clock)
    step("healthy on the " + ("restored" if restore else "new") + " config")


def _roll_back(
    target: Path,
    old_bytes: bytes | None,
    options: ApplyOptions,
    report: ApplyReport,
    step: Callable[[str], None],
    clock: Callable[[], float],
) -> None:
    if old_bytes is None:
        target.unlink(missing_ok=True)
        step(f"removed {target}: there was no config before")
        report.result = "failed"
        report.message += "; removed the new config (there was none before)"
        return
    _atomic_write(target, old_bytes, like=target)
    step(f"restored revision {report.previous_revision or 'unset'} from {target.name}.bak")
    try:
        _activate(hashlib.sha256(old_bytes).hexdigest(), options, report, step, clock, True)
    except _NotHealthy as exc:
        report.result = "failed"
        report.message += f"; rolled back, but the kiosk is still not healthy: {exc}"
        return
    report.result = "rolled_back"
    report.message += f"; rolled back to revision {report.previous_revision or 'unset'}"


def _wait_healthy(
    socket_path: Path, sha: str, timeout_s: float, clock: Callable[[], float]
) -> None:
    deadline = clock() + timeout_s
    last: dict[str, Any] | str = "no answer"
    while True:
        try:
            health = request(socket_path, "health", timeout=2.0)
        except ControlUnavailable as exc:
            last = str(exc)
        else:
            last = health
            if health.get("healthy") and health.get("config_sha256") == sha:
                return
        if clock() >= deadline:
            break
        time.sleep(0.1)
    raise _NotHealthy(f"not healthy on the expected config within {timeout_s:.0f} s: {_why(last)}")


def _why(last: dict[str, Any] | str) -> str:
    if isinstance(last, str):
        return last
    reload = last.get("last_reload") or {}
    if reload and not reload.get("ok"):
        return str(reload.get("message"))
    if last.get("problems"):
        return "; ".join(str(p) for p in last["problems"])
    return f"still on revision {last.get('config_revision')}"


def _restart(command: str) -> None:
    try:
        done = subprocess.run(
            shlex.split(command), capture_output=True, text=True, timeout=120, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise _NotHealthy(f"restart command {command!r} failed: {exc}") from None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise _NotHealthy(
            f"restart command {command!r} exited {done.returncode}: {detail[-1] if detail else ''}"
        )


def _atomic_write(path: Path, data: bytes, like: Path | None) -> None:
    """Temporary file in the same directory, fsync, rename over `path`, fsync the directory."""
    mode, uid, gid = 0o640, -1, _kiosk_gid()
    if like is not None and like.exists():
        st = like.stat()
        mode, uid, gid = st.st_mode & 0o7777, st.st_uid, st.st_gid
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        if os.geteuid() == 0:
            os.chown(tmp, uid, gid)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _kiosk_gid() -> int:
    if os.geteuid() != 0:
        return -1
    try:
        return grp.getgrnam("kiosk").gr_gid
    except KeyError:
        return -1


@contextlib.contextmanager
def _locked(target: Path) -> Iterator[None]:
    """One apply at a time per config (Ansible and Mender may both try)."""
    if not target.parent.is_dir():
        raise ApplyError(f"{target.parent}: no such directory (is the kiosk installed?)")
    try:
        handle = open(target.with_name(f".{target.name}.lock"), "a")  # noqa: SIM115
    except OSError as exc:
        raise ApplyError(f"{target.parent}: cannot write: {exc.strerror}") from None
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        yield


def _health_or_none(socket_path: Path) -> dict[str, Any] | None:
    try:
        return request(socket_path, "health", timeout=2.0)
    except ControlUnavailable:
        return None


def _same_file(reported: object, target: Path) -> bool:
    return isinstance(reported, str) and Path(reported).resolve() == target.resolve()


def _socket(options: ApplyOptions) -> Path:
    return options.socket or _default_socket()


def _default_socket() -> Path:
    from kiosk.control import default_socket_path

    return default_socket_path()


def _read_source(source: Path) -> bytes:
    """The new config's bytes; `-` reads standard input (how `kiosk-fleet push` sends it)."""
    if str(source) == "-":
        data = sys.stdin.buffer.read(MAX_CONFIG_BYTES + 1)
    else:
        with open(source, "rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise OSError(f"larger than {MAX_CONFIG_BYTES // 1024} KiB: not a kiosk config")
    return data


def _revision_of(data: bytes | None) -> str | None:
    if data is None:
        return None
    try:
        return check_config_text(data.decode("utf-8")).revision
    except (ConfigError, UnicodeDecodeError):
        return None


def _stepper(report: ApplyReport, say: Callable[[str], None]) -> Callable[[str], None]:
    def step(line: str) -> None:
        report.steps.append(line)
        say(line)

    return step


def _record(target: Path, report: ApplyReport) -> None:
    entry = {
        "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "result": report.result,
        "revision": report.revision,
        "previous_revision": report.previous_revision,
        "sha256": report.sha256,
        "restarted": report.restarted,
        "message": report.message,
    }
    history = target.with_name("config-history.jsonl")
    with contextlib.suppress(OSError), open(history, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")


def run_apply_command(
    path: Path,
    options: ApplyOptions,
    as_json: bool,
    out: Callable[[str], None],
    err: Callable[[str], None],
) -> int:
    """The `kiosk config apply` command: progress on stderr, the outcome on stdout."""
    say = (lambda line: None) if as_json else (lambda line: err(f"kiosk: {line}"))
    try:
        report = apply_config(path, options, say=say)
    except (ConfigError, ApplyError) as exc:
        if as_json:
            out(json.dumps({"result": "refused", "message": str(exc)}))
        for line in str(exc).splitlines():
            err(f"kiosk: refused, nothing changed: {line}")
        return 1
    if as_json:
        out(json.dumps(report.to_json()))
    else:
        out(f"{path}: {report.result.replace('_', ' ')}: {report.message} ({report.seconds:.2f} s)")
    return report.exit_code
