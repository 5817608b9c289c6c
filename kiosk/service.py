"""What `kiosk run` adds when it runs as a service: systemd notifications, the control socket,
the config directory watch and SIGHUP. `kiosk.app` calls `starting()` before the models load,
`attach()` once the runtime is built, and `close()` on the way out.
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

from kiosk.control import ControlServer, default_socket_path
from kiosk.live import LiveKiosk
from kiosk.notify import Notifier
from kiosk.runtime import Runtime
from kiosk.watch import DirectoryWatcher

log = logging.getLogger(__name__)


class ServiceHooks:
    def __init__(self, config_path: Path | None, socket_path: Path | None = None) -> None:
        self.config_path = config_path
        self.socket_path = socket_path or default_socket_path()
        self.notifier = Notifier()
        self.live: LiveKiosk | None = None
        self._closing = threading.Event()
        self._control: ControlServer | None = None
        self._watcher: DirectoryWatcher | None = None

    def starting(self) -> None:
        """Say what is happening, and keep the watchdog fed while the models load."""
        self.notifier.status("starting: loading models")
        if threading.current_thread() is threading.main_thread():
            # `systemctl reload` this early must not kill us (SIGHUP's default): the config
            # is being read anyway.
            signal.signal(signal.SIGHUP, lambda *_: log.info("SIGHUP while starting: ignored"))

        def keep_alive() -> None:
            while not self._closing.is_set() and not (self.live and self.live.ready):
                self.notifier.watchdog()
                self._closing.wait(1.0)

        threading.Thread(target=keep_alive, name="startup-watchdog", daemon=True).start()

    def attach(self, runtime: Runtime, *, windowed: bool, store_override: Path | None) -> LiveKiosk:
        """Serve health and reload, watch the config's directory, reload on SIGHUP."""
        live = LiveKiosk(
            runtime,
            self.config_path,
            windowed=windowed,
            notifier=self.notifier,
            store_override=store_override,
        )
        self.live = live
        self._control = ControlServer(
            self.socket_path, {"health": live.health, "reload": live.reload_command}
        )
        self._control.start()
        if live.config_path is not None:
            self._watcher = DirectoryWatcher(live.config_path, lambda: live.reload(force=False))
            self._watcher.start()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGHUP, lambda *_: live.request_reload("SIGHUP"))
        self.notifier.status("starting: opening the microphone")
        return live

    def close(self) -> None:
        self._closing.set()
        self.notifier.stopping()
        if self._watcher is not None:
            self._watcher.stop()
        if self._control is not None:
            self._control.stop()
        self.notifier.close()
