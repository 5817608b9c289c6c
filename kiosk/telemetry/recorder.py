"""Telemetry as an observer of the agent's typed events: each `TurnCompleted` becomes a row in
the turn log and a sample in the metrics. A telemetry failure is logged once and never stops
the kiosk. Turns that cannot be written (a full disk) are held in memory, up to PENDING_MAX,
and written with their own time once the log can be written again."""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.config import TelemetrySettings
from kiosk.events import Event, TurnCompleted
from kiosk.state import state_dir
from kiosk.telemetry.metrics import MetricsServer, TurnMetrics
from kiosk.telemetry.turnlog import FILE_NAME, TelemetryError, TurnLog

log = logging.getLogger(__name__)
PENDING_MAX = 2000
"""Turns held in memory while the turn log cannot be written; beyond this the oldest go."""


@dataclass
class Telemetry:
    turn_log: TurnLog | None
    metrics: TurnMetrics
    server: MetricsServer | None = None
    _failed: bool = False
    _pending: deque[tuple[float | None, TurnCompleted]] = field(
        default_factory=lambda: deque(maxlen=PENDING_MAX)
    )
    dropped: int = 0
    """Turns lost because more than PENDING_MAX were waiting for the log."""

    def __call__(self, event: Event) -> None:
        """An `EventSink`: record finished turns, ignore everything else."""
        if not isinstance(event, TurnCompleted):
            return
        self.metrics.observe(event)
        if self.turn_log is None:
            return
        if len(self._pending) == PENDING_MAX:
            self.dropped += 1
        self._pending.append((self.turn_log.now() if self._pending else None, event))
        self._flush(self.turn_log)

    def _flush(self, turn_log: TurnLog) -> None:
        """Write the waiting turns, oldest first; stop at the first failure."""
        while self._pending:
            at, turn = self._pending[0]
            try:
                turn_log.record(turn, at)
            except TelemetryError as exc:
                if at is None:  # it failed now: keep the time it happened
                    self._pending[0] = (turn_log.now(), turn)
                if not self._failed:
                    log.warning("turn log not writable, holding turns in memory: %s", exc)
                self._failed = True
                return
            self._pending.popleft()
        if self._failed:
            log.info("turn log writable again; the turns held in memory are written")
            self._failed = False

    def note(self) -> str:
        where = f"turn log {self.turn_log.path}" if self.turn_log else "no turn log"
        served = f"metrics at {self.server.url}" if self.server else "no metrics port"
        return f"telemetry: {where}; {served}"

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
        if self.turn_log is not None:
            self.turn_log.close()


def open_telemetry(settings: TelemetrySettings, environ: dict[str, str] | None = None) -> Telemetry:
    """The turn log in the state directory and, when `metrics_port` is set, the metrics
    endpoint on loopback. A state directory that cannot be written leaves the log off."""
    path = Path(state_dir(settings.state_dir, environ)) / FILE_NAME
    try:
        turn_log: TurnLog | None = TurnLog(path, settings.ttl_days)
    except TelemetryError as exc:
        log.warning("turn log disabled: %s", exc)
        turn_log = None
    metrics = TurnMetrics()
    server = None
    if settings.metrics_port:
        try:
            server = MetricsServer(metrics, settings.metrics_port)
        except OSError as exc:
            log.warning("metrics endpoint off: 127.0.0.1:%d: %s", settings.metrics_port, exc)
    return Telemetry(turn_log, metrics, server)
