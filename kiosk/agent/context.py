"""What happened so far in this visit, as a short summary for the cloud.

Each answered turn adds one line (what was asked, what the kiosk answered or showed); what the
shopper held up is noted once. The summary goes with every escalation, so the shopper never
repeats themselves; it is cleared when the shopper leaves. Transcripts in it are redacted.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from kiosk.agent.router import Clarification, RouteDecision
from kiosk.telemetry.redact import redact

_MAX_ASKED_CHARS = 90


@dataclass(frozen=True)
class ContextOptions:
    max_turns: int = 6
    """Lines kept; older turns are dropped first."""
    max_chars: int = 900


class VisitContext:
    """Thread-safe: the live loop adds turns while the presence tracker may end the visit."""

    def __init__(self, options: ContextOptions | None = None) -> None:
        self.options = options or ContextOptions()
        self._lock = threading.Lock()
        self._lines: deque[str] = deque(maxlen=self.options.max_turns)
        self._held: list[str] = []
        self._pending: Clarification | None = None
        self.turns = 0
        self.visits = 0

    def add_turn(
        self, transcript: str, decision: RouteDecision, reply_text: str, shelf_label: str | None
    ) -> None:
        asked = redact(transcript.strip())
        if len(asked) > _MAX_ASKED_CHARS:
            asked = asked[: _MAX_ASKED_CHARS - 1] + "…"
        if decision.choices:
            told = "kiosk asked which one: " + ", ".join(p.name for p in decision.choices)
        elif decision.route == "local" and decision.product is not None:
            told = f"kiosk answered {decision.product.name}"
            told += f", shown at {shelf_label}" if shelf_label else ""
        elif decision.route == "cloud":
            told = "answered by the assistant: " + _clip(redact(reply_text), 120)
        else:
            told = "kiosk could not answer"
        with self._lock:
            self.turns += 1
            self._lines.append(f'Shopper asked "{asked}"; {told}.')
            self._pending = (
                Clarification(decision.intent, decision.choices) if decision.clarifying else None
            )

    def note_held(self, product_name: str | None) -> None:
        label = product_name or "an item the kiosk did not recognise"
        with self._lock:
            if label not in self._held:
                self._held.append(label)

    @property
    def pending(self) -> Clarification | None:
        """The clarifying question just asked, if the last turn asked one."""
        with self._lock:
            return self._pending

    def summary(self) -> str:
        """A few sentences, newest last, at most `max_chars` long; empty at the visit's start."""
        with self._lock:
            lines = list(self._lines)
            held = list(self._held)
        parts = []
        if held:
            parts.append("Shopper held up: " + "; ".join(held) + ".")
        parts.extend(lines)
        while parts and sum(len(p) + 1 for p in parts) > self.options.max_chars:
            parts.pop(1 if held and len(parts) > 1 else 0)
        return " ".join(parts)

    def clear(self) -> None:
        """The shopper left: forget the visit."""
        with self._lock:
            if self.turns or self._held:
                self.visits += 1
            self._lines.clear()
            self._held.clear()
            self._pending = None
            self.turns = 0


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
