"""Typed and tapped questions: the touch fallback's way into the same answer path as speech.

A question typed on the screen skips the microphone, the VAD and STT; it is routed, answered
from the catalog (or escalated) and spoken exactly like a spoken one, and the same events tell
the screen what happened. `ask` returns at once: the turn runs on this module's own thread, so
the GUI thread never waits for a model.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Protocol

from edge.audio_io import AudioDeviceError
from edge.stt import Transcript
from kiosk.agent.turn import TurnResult
from kiosk.events import (
    DeviceStatus,
    EventSink,
    PointToShelf,
    ReplyStarted,
    StatusChanged,
    UserSaid,
)

log = logging.getLogger(__name__)

MAX_CHARS = 200
"""Longer text is cut: a search field, not an essay."""


class Answerer(Protocol):
    def answer(self, transcript: Transcript) -> TurnResult: ...


Play = Callable[[TurnResult], None]


class TextQuestions:
    """Answers typed questions one at a time on a worker thread; a newer question replaces
    any that is still waiting."""

    def __init__(self, engine: Answerer, play: Play | None, emit: EventSink) -> None:
        self._engine = engine
        self._play = play
        self._emit = emit
        self._inbox: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="text-questions", daemon=True)
        self._thread.start()

    def ask(self, text: str) -> bool:
        """Queue a question; False when it is empty after trimming. Never blocks."""
        question = " ".join(text.split())[:MAX_CHARS]
        if not question:
            return False
        while True:  # only the newest waiting question matters
            try:
                self._inbox.get_nowait()
            except queue.Empty:
                break
        self._inbox.put(question)
        return True

    def answer_now(self, question: str) -> TurnResult:
        """Run one typed turn on the calling thread and emit its events."""
        self._emit(StatusChanged("thinking"))
        self._emit(UserSaid(question, source="touch"))
        result = self._engine.answer(Transcript(question, 1.0, 0.0))
        shelf_id = result.shelf.id if result.shelf else None
        seconds = len(result.reply_audio) / result.reply_rate if result.reply_rate else 0.0
        self._emit(
            ReplyStarted(
                result.reply_text,
                result.decision.route,
                result.decision.reason,
                shelf_id,
                result.timings_ms,
                audio_s=seconds,
            )
        )
        if shelf_id:
            self._emit(PointToShelf(shelf_id))
        if self._play is not None and seconds > 0:
            self._emit(StatusChanged("speaking"))
            try:
                self._play(result)
            except AudioDeviceError as exc:
                log.warning("typed turn: reply not played: %s", exc)
                self._emit(DeviceStatus("speaker", ok=False, detail=str(exc)))
        self._emit(result.completed(source="touch"))  # telemetry counts typed turns too
        self._emit(StatusChanged("listening"))
        return result

    def close(self, timeout_s: float = 2.0) -> None:
        self._inbox.put(None)
        self._thread.join(timeout_s)

    def _run(self) -> None:
        while True:
            question = self._inbox.get()
            if question is None:
                return
            try:
                self.answer_now(question)
            except Exception:  # a failed typed turn must not end the touch path
                log.exception("typed turn failed")
                self._emit(StatusChanged("listening"))
