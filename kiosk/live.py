"""The running kiosk's side of operations: health, heartbeats, and reloading its config file.

`LiveKiosk` knows the config the kiosk runs, the agent's state, when the agent loop (and, with a
window, the GUI thread) last showed signs of life, and how to take a new config file:

- the file is read and validated with the schema; a bad file is refused and the old config
  keeps running (the refusal is logged and reported, never half-applied);
- fields that only a restart can change (the store pack, models, devices, the window...) are
  checked first as far as they can be without starting them (the store pack loads, the models
  are in the cache): a config that would not start is refused here, at once; one that passes
  is reported as `restart_required` and not applied, and `kiosk config apply` then restarts
  the service;
- live fields (the revision, the router's thresholds) are swapped into the running engine.

It also feeds systemd: READY=1 once up, STATUS= lines, and watchdog pings only while the agent
loop is alive (from the agent thread when headless, from a GUI-thread timer with a window).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge.audio_io import AudioBlock, Microphone
from kiosk.config import KioskConfig, RouterSettings, load_config
from kiosk.errors import KioskError
from kiosk.events import Event, EventSink, StatusChanged
from kiosk.models import ModelCache, default_cache_dir
from kiosk.notify import Notifier
from kiosk.runtime import Runtime, store_path
from kiosk.store.pack import load_store

log = logging.getLogger(__name__)

LIVE_FIELDS = frozenset({"revision", *(f"router.{name}" for name in RouterSettings.model_fields)})
"""Fields a running kiosk applies without a restart: the revision, and the router's thresholds
(the turn engine reads its `router_options` on every turn). Everything else (the store pack, which
the catalog, the vision index, the cloud's tools and the screen's map are all built from;
models; devices; the window) is read once at start."""


def changed_fields(old: KioskConfig, new: KioskConfig) -> list[str]:
    """Dotted names of the settings that differ between two configs."""
    a, b = _flatten(old.model_dump(mode="json")), _flatten(new.model_dump(mode="json"))
    return sorted(key for key in a.keys() | b.keys() if a.get(key) != b.get(key))


def restart_fields(old: KioskConfig, new: KioskConfig) -> list[str]:
    return [name for name in changed_fields(old, new) if name not in LIVE_FIELDS]


def preflight(new: KioskConfig, changed: list[str], store_override: Path | None) -> None:
    """Check, before any restart, what would stop the kiosk from starting on `new`: the store
    pack loads, the models it names are in the cache. Raises KioskError naming the problem."""
    if "store.path" in changed and store_override is None:
        load_store(store_path(new))
    if {"stt.model", "tts.voice", "models.cache_dir"} & set(changed):
        cache = ModelCache(default_cache_dir(new.models.cache_dir))
        cache.require(new.stt.model)
        cache.require_file(new.tts.voice)


@dataclass
class ReloadOutcome:
    ok: bool
    message: str
    revision: str | None
    restart_required: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "message": self.message,
            "config_revision": self.revision,
            "restart_required": list(self.restart_required),
            "changed": list(self.changed),
        }


class LiveKiosk:
    def __init__(
        self,
        runtime: Runtime,
        config_path: Path | None,
        *,
        windowed: bool,
        notifier: Notifier | None = None,
        store_override: Path | None = None,
        stall_s: float = 15.0,
        busy_limit_s: float = 90.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.runtime = runtime
        self.config = runtime.config
        self.config_path = Path(config_path).absolute() if config_path else None
        self.config_sha256 = _sha256(self.config_path) if self.config_path else None
        self.windowed = windowed
        self.notifier = notifier or Notifier()
        self._store_override = store_override
        self._stall_s = stall_s
        self._busy_limit_s = busy_limit_s
        self._state_since = clock()
        self._clock = clock
        self._lock = threading.Lock()
        self._started = clock()
        self.state = "starting"
        self.ready = False
        self.stopped = False
        self._agent_beat: float | None = None
        self._gui_beat: float | None = None
        self._last_reload: dict[str, Any] | None = None
        self._pending_restart: tuple[str, ...] = ()
        self._last_attempt_sha: str | None = None

    # --- signs of life -------------------------------------------------------------------
    def agent_beat(self) -> None:
        """The agent loop handled a microphone block (agent thread)."""
        self._agent_beat = self._clock()
        if not self.ready:
            self.mark_ready()
        if not self.windowed:
            self.notifier.watchdog()

    def gui_tick(self) -> None:
        """Called from a timer on the GUI thread: proves the UI's event loop turns."""
        self._gui_beat = self._clock()
        if self._agent_alive():
            self.notifier.watchdog()

    def observe(self, sink: EventSink) -> EventSink:
        """Wrap an event sink so the agent's state changes reach health and systemd."""

        def observed(event: Event) -> None:
            if isinstance(event, StatusChanged):
                if event.state != self.state:
                    self._state_since = self._clock()
                self.state = event.state
                if event.state == "stopped":
                    self.stopped = True
                self.notifier.status(self._status_line())
            sink(event)

        return observed

    def watch_mic(self, mic: Microphone) -> HeartbeatMic:
        return HeartbeatMic(mic, self.agent_beat)

    def mark_ready(self) -> None:
        self.ready = True
        self.notifier.ready(self._status_line())
        log.info("ready: %s", self._status_line())

    # --- health ---------------------------------------------------------------------------
    def health(self, _request: dict[str, Any] | None = None) -> dict[str, Any]:
        problems = []
        if not self.ready:
            problems.append("starting: the microphone has not delivered audio yet")
        if self.stopped:
            problems.append("the agent loop has stopped")
        if self.ready and not self._agent_alive():
            problems.append(f"agent loop silent for more than {self._stall_s:.0f} s")
        if self.windowed and self.ready and not self._fresh(self._gui_beat):
            problems.append(f"GUI thread silent for more than {self._stall_s:.0f} s")
        return {
            "ok": True,
            "healthy": not problems,
            "problems": problems,
            "state": self.state,
            "config_revision": self.config.revision,
            "config_sha256": self.config_sha256,
            "config_path": str(self.config_path) if self.config_path else None,
            "pending_restart": list(self._pending_restart),
            "last_reload": self._last_reload,
            "pid": os.getpid(),
            "uptime_s": round(self._clock() - self._started, 1),
        }

    def _agent_alive(self) -> bool:
        """Blocks keep coming, or a turn is being answered (for a bounded time: a turn stuck
        for `busy_limit_s` is a hang, and the watchdog gets to restart it)."""
        if self.state in ("thinking", "speaking"):
            return self._clock() - self._state_since < self._busy_limit_s
        return self._fresh(self._agent_beat)

    def _fresh(self, beat: float | None) -> bool:
        return beat is not None and self._clock() - beat < self._stall_s

    # --- reload ---------------------------------------------------------------------------
    def reload_command(self, _request: dict[str, Any]) -> dict[str, Any]:
        outcome = self.reload(force=True)
        return {**outcome.to_json(), "config_sha256": self.config_sha256}

    def request_reload(self, reason: str) -> None:
        """Reload on another thread (from a signal handler: never block the caller)."""
        log.info("reload requested (%s)", reason)
        threading.Thread(target=self.reload, kwargs={"force": True}, daemon=True).start()

    def reload(self, force: bool = False) -> ReloadOutcome:
        """Re-read the config file. `force` re-reads even an unchanged file."""
        with self._lock:
            outcome = self._reload(force)
            if outcome.message != "unchanged":
                self._last_reload = {**outcome.to_json(), "at": time.time()}
                level = logging.INFO if outcome.ok else logging.WARNING
                log.log(level, "config reload: %s", outcome.message)
                self.notifier.reloaded(self._status_line(outcome.message))
            return outcome

    def _reload(self, force: bool) -> ReloadOutcome:
        current = self.config.revision
        if self.config_path is None:
            return ReloadOutcome(False, "no config file: started without --config", current)
        try:
            sha = _sha256(self.config_path)
        except OSError as exc:
            return ReloadOutcome(False, f"{self.config_path}: cannot read: {exc}", current)
        if not force and sha in (self.config_sha256, self._last_attempt_sha):
            return ReloadOutcome(True, "unchanged", current)
        self._last_attempt_sha = sha
        self.notifier.reloading()
        try:
            new = load_config(self.config_path)
        except KioskError as exc:
            return ReloadOutcome(False, f"refused, still on revision {current}: {exc}", current)
        restart = restart_fields(self.config, new)
        if restart:
            try:
                preflight(new, restart, self._store_override)
            except Exception as exc:  # KioskError names the problem; anything else, its type
                detail = str(exc) if isinstance(exc, KioskError) else f"{type(exc).__name__}: {exc}"
                return ReloadOutcome(
                    False, f"refused, still on revision {current}: {detail}", current
                )
        self._pending_restart = tuple(restart)
        if restart:
            return ReloadOutcome(
                False,
                f"revision {new.revision} needs a restart for {', '.join(restart)}; "
                f"still on revision {current}",
                current,
                restart_required=tuple(restart),
            )
        changed = tuple(changed_fields(self.config, new))
        self.runtime.engine.router_options = new.router.options()
        self.config, self.config_sha256 = new, sha
        return ReloadOutcome(
            True, f"applied revision {new.revision}", new.revision, changed=changed
        )

    def _status_line(self, extra: str = "") -> str:
        line = f"{self.state}; config revision {self.config.revision or 'unset'}"
        return f"{line}; {extra}" if extra else line


class HeartbeatMic:
    """A microphone that reports each block it delivers, so a stalled loop shows in health."""

    def __init__(self, mic: Microphone, beat: Callable[[], None]) -> None:
        self._mic = mic
        self._beat = beat

    def blocks(self) -> Iterator[AudioBlock]:
        for block in self._mic.blocks():
            self._beat()
            yield block

    def drain(self) -> None:
        self._mic.drain()

    def close(self) -> None:
        self._mic.close()


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
