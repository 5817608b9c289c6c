"""The thin shell around the turn state machine: it listens to the agent's typed events, feeds
the machine, ticks it, and carries out its effects.

It is an `EventSink`, so it joins the live loop by subscription: presence from the camera,
speech starts from the VAD, replies starting and ending from the audio stage, finished turns
from the loop. Its effects reach the rest of the kiosk through callbacks: when a visit ends the
turn engine forgets the visit's context and the cloud closes its session; a barge-in stops the
reply.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from kiosk.agent.states import (
    CancelTurn,
    Effect,
    EndVisit,
    Input,
    PersonArrived,
    PersonLeft,
    ReplyBegan,
    ReplyEnded,
    SpeechBegan,
    SpeechEnded,
    StartVisit,
    StateOptions,
    StopReply,
    TurnState,
    TurnStateMachine,
)
from kiosk.events import (
    Event,
    Presence,
    ReplyProgress,
    ReplyStarted,
    SpeechStarted,
    StatusChanged,
    TurnCompleted,
)

log = logging.getLogger(__name__)


def _nothing() -> None:
    """No-op effect handler."""


@dataclass
class EffectHandlers:
    visit_started: Callable[[], None] = _nothing
    visit_ended: Callable[[], None] = _nothing
    stop_reply: Callable[[], None] = _nothing
    cancel_turn: Callable[[], None] = _nothing


def inputs_for(event: Event, state: TurnState) -> list[Input]:
    """The machine inputs one of the loop's events stands for (pure)."""
    if isinstance(event, Presence):
        return [PersonArrived() if event.engaged else PersonLeft()]
    if isinstance(event, SpeechStarted):
        return [SpeechBegan()]
    if isinstance(event, StatusChanged):
        if event.state == "thinking":
            return [SpeechEnded()]
        if event.state == "listening" and state is TurnState.SPEAKING:
            return [ReplyEnded()]  # a half-duplex loop says 'listening' once the reply played
        return []
    if isinstance(event, ReplyStarted):
        return [ReplyBegan()]
    if isinstance(event, ReplyProgress) and event.done:
        return [SpeechBegan()] if event.interrupted else [ReplyEnded()]
    if isinstance(event, TurnCompleted) and state in (TurnState.SPEAKING, TurnState.THINKING):
        return [SpeechBegan()] if event.interrupted else [ReplyEnded()]
    return []


@dataclass
class VisitTracker:
    """Feed it every event (it is an EventSink); `start` ticks it on a daemon thread."""

    handlers: EffectHandlers = field(default_factory=EffectHandlers)
    options: StateOptions = field(default_factory=StateOptions)
    clock: Callable[[], float] = time.monotonic
    tick_s: float = 0.25

    def __post_init__(self) -> None:
        self.machine = TurnStateMachine(self.clock, self.options)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> TurnState:
        return self.machine.state

    def __call__(self, event: Event) -> None:
        with self._lock:
            effects = [
                e for i in inputs_for(event, self.machine.state) for e in self.machine.handle(i)
            ]
        self._apply(effects)

    def tick(self) -> None:
        with self._lock:
            effects = self.machine.tick()
        self._apply(effects)

    def start(self) -> VisitTracker:
        def run() -> None:
            while not self._stop.wait(self.tick_s):
                self.tick()

        self._thread = threading.Thread(target=run, name="visit-tracker", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def _apply(self, effects: list[Effect]) -> None:
        for effect in effects:
            handler = {
                StartVisit: self.handlers.visit_started,
                EndVisit: self.handlers.visit_ended,
                StopReply: self.handlers.stop_reply,
                CancelTurn: self.handlers.cancel_turn,
            }.get(type(effect))
            if handler is None:
                continue
            try:
                handler()
            except Exception:  # an effect handler must not take the event stream down
                log.exception("visit tracker: %s failed", type(effect).__name__)
