"""The turn log: one SQLite row per turn in the kiosk's state directory, expiring after a TTL.

Each row holds the route and its reason, the stage timings, the end-of-speech to first-audio
latency, cloud tokens, whether the shopper interrupted, and any error. Transcripts and replies
are redacted before they are written (card numbers, phone numbers, e-mail addresses); rows
older than the TTL are deleted when the log opens and about once an hour after.
"""

from __future__ import annotations

import contextlib
import json
import math
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kiosk.errors import KioskError
from kiosk.events import TurnCompleted
from kiosk.telemetry.redact import redact

FILE_NAME = "turns.sqlite3"
_PURGE_EVERY_S = 3600.0
_SCHEMA = """
CREATE TABLE IF NOT EXISTS turns (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    route TEXT NOT NULL,
    reason TEXT NOT NULL,
    intent TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT 'voice',
    transcript TEXT NOT NULL DEFAULT '',
    reply TEXT NOT NULL DEFAULT '',
    shelf TEXT,
    product TEXT,
    latency_ms REAL,
    timings TEXT NOT NULL DEFAULT '{}',
    tokens INTEGER NOT NULL DEFAULT 0,
    tokens_detail TEXT NOT NULL DEFAULT '{}',
    interrupted INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX IF NOT EXISTS turns_at ON turns(at);
"""


class TelemetryError(KioskError):
    """The turn log cannot be opened or written (a read-only or full disk): retrying may help."""

    retryable = True


@dataclass(frozen=True)
class TurnRow:
    at: float
    route: str
    reason: str
    intent: str
    source: str
    transcript: str
    reply: str
    shelf: str | None
    product: str | None
    latency_ms: float | None
    timings: dict[str, float]
    tokens: int
    interrupted: bool
    error: str | None


class TurnLog:
    """Thread-safe; the live loop writes, `kiosk stats` reads (SQLite WAL allows both)."""

    def __init__(
        self,
        path: Path,
        ttl_days: float = 7.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self.ttl_s = ttl_days * 86400.0
        self._clock = clock
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=5.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA secure_delete=ON")  # deleted rows are zeroed, not left
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise TelemetryError(f"{self.path}: cannot open the turn log: {exc}") from exc
        self._last_purge = 0.0
        self.purge()

    def now(self) -> float:
        """The log's clock (unix time)."""
        return self._clock()

    def record(self, turn: TurnCompleted, at: float | None = None) -> None:
        """Store one turn, redacted; `at` is when it happened (default: now)."""
        now = self._clock()
        row = (
            now if at is None else at,
            turn.route,
            redact(turn.reason),
            turn.intent,
            turn.source,
            redact(turn.transcript),
            redact(turn.reply_text),
            turn.shelf_id,
            turn.product_sku,
            _finite(turn.latency_ms),
            json.dumps({k: round(v, 1) for k, v in turn.timings_ms.items() if math.isfinite(v)}),
            turn.total_tokens,
            json.dumps(turn.tokens),
            int(turn.interrupted),
            redact(turn.error) if turn.error else None,
        )
        with self._writing():
            self._db.execute(
                "INSERT INTO turns (at, route, reason, intent, source, transcript, reply, shelf, "
                "product, latency_ms, timings, tokens, tokens_detail, interrupted, error) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
        if now - self._last_purge >= _PURGE_EVERY_S:
            self.purge()

    def purge(self) -> int:
        """Delete turns older than the TTL; returns how many."""
        now = self._clock()
        with self._writing():
            cursor = self._db.execute("DELETE FROM turns WHERE at < ?", (now - self.ttl_s,))
        self._last_purge = now
        if cursor.rowcount > 0:
            self._forget_wal()
        return cursor.rowcount

    def _forget_wal(self) -> None:
        """The write-ahead log still holds copies of the deleted rows' pages: fold it into the
        database (where they are zeroed) and truncate it."""
        with self._lock, contextlib.suppress(sqlite3.Error):  # busy: the next purge tries again
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def turns(self, since: float | None = None) -> list[TurnRow]:
        """Stored turns, oldest first, optionally only those at or after `since` (unix time)."""
        query = (
            "SELECT at, route, reason, intent, source, transcript, reply, shelf, product, "
            "latency_ms, timings, tokens, interrupted, error FROM turns WHERE at >= ? ORDER BY at"
        )
        with self._lock:
            rows = self._db.execute(query, (since or 0.0,)).fetchall()
        return [_row(r) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _writing(self) -> Iterator[None]:
        with self._lock:
            try:
                with self._db:
                    yield
            except sqlite3.Error as exc:
                raise TelemetryError(f"{self.path}: cannot write the turn log: {exc}") from exc


def day_of(at: float) -> str:
    """The local calendar day of a unix time, e.g. '2026-11-21'."""
    return datetime.fromtimestamp(at, tz=timezone.utc).astimezone().strftime("%Y-%m-%d")


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _row(r: tuple[Any, ...]) -> TurnRow:
    return TurnRow(
        at=float(r[0]),
        route=str(r[1]),
        reason=str(r[2]),
        intent=str(r[3]),
        source=str(r[4]),
        transcript=str(r[5]),
        reply=str(r[6]),
        shelf=r[7],
        product=r[8],
        latency_ms=None if r[9] is None else float(r[9]),
        timings={str(k): float(v) for k, v in json.loads(r[10]).items()},
        tokens=int(r[11]),
        interrupted=bool(r[12]),
        error=r[13],
    )
