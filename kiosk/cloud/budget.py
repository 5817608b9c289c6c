"""The daily token budget: tokens spent today, kept in a small JSON file in the state dir.

Once today's budget is spent the cloud reports itself unavailable and the kiosk answers
locally only. The file survives restarts; a new day starts from zero.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

log = logging.getLogger(__name__)
FILE_NAME = "cloud-usage.json"


class TokenBudget:
    def __init__(
        self,
        daily_tokens: int,
        path: Path | None = None,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.daily_tokens = daily_tokens
        self.path = path
        self._today = today
        self._lock = threading.Lock()
        self._day, self._spent = self._load()

    def spent(self) -> int:
        with self._lock:
            self._roll()
            return self._spent

    def remaining(self) -> int:
        return max(self.daily_tokens - self.spent(), 0)

    def exhausted(self) -> bool:
        return self.remaining() <= 0

    def record(self, tokens: int) -> None:
        if tokens <= 0:
            return
        with self._lock:
            self._roll()
            self._spent += tokens
            self._save()

    def _roll(self) -> None:
        day = self._today().isoformat()
        if day != self._day:
            self._day, self._spent = day, 0

    def _load(self) -> tuple[str, int]:
        day = self._today().isoformat()
        if self.path is None or not self.path.is_file():
            return day, 0
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("day") == day:
                return day, int(data.get("tokens", 0))
        except (OSError, ValueError, AttributeError) as exc:
            log.warning("%s: unreadable, starting today's count at 0 (%s)", self.path, exc)
        return day, 0

    def _save(self) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"day": self._day, "tokens": self._spent}), "utf-8")
            tmp.replace(self.path)
        except OSError as exc:
            log.warning("%s: cannot save the token count (%s)", self.path, exc)
