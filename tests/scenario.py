"""A scenario builder for the turn state machine: a visit scripted on a timeline, run against
the real turn engine (catalog, router, answers, context) on a fake clock, so a minute of
conversation runs in milliseconds.

    log = (
        Scenario(60)
        .person_arrives(1.0)
        .add_user_speech(2.0, 3.5, "where are the batteries")
        .person_leaves(40.0)
        .run(engine)
    )
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from typing import Any

from edge.stt import Transcript
from kiosk.agent.states import (
    CancelTurn,
    EndVisit,
    Input,
    PersonArrived,
    PersonLeft,
    ReplyBegan,
    ReplyEnded,
    SpeechBegan,
    SpeechEnded,
    StartTurn,
    StartVisit,
    StateOptions,
    StopReply,
    TurnState,
    TurnStateMachine,
)
from kiosk.agent.turn import TurnEngine, TurnResult


@dataclass
class FakeClock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class ScenarioTurn:
    asked_at: float
    text: str
    result: TurnResult
    interrupted: bool = False
    cancelled: bool = False


@dataclass
class ScenarioLog:
    machine: TurnStateMachine
    turns: list[ScenarioTurn] = field(default_factory=list)
    visits_started: list[float] = field(default_factory=list)
    visits_ended: list[float] = field(default_factory=list)
    states: list[tuple[float, TurnState]] = field(default_factory=list)

    def state_at(self, t: float) -> TurnState:
        """The state the machine was in at time `t`."""
        current = TurnState.IDLE
        for at, state in self.states:
            if at > t:
                break
            current = state
        return current


class Scenario:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._script: list[tuple[float, str, Any]] = []

    def person_arrives(self, at: float) -> Scenario:
        self._script.append((at, "arrive", None))
        return self

    def person_leaves(self, at: float) -> Scenario:
        self._script.append((at, "leave", None))
        return self

    def add_user_speech(self, start: float, end: float, text: str) -> Scenario:
        if not 0 <= start < end <= self.seconds:
            raise ValueError(f"speech {start}-{end} s lies outside the {self.seconds} s scenario")
        self._script += [(start, "speech_start", None), (end, "speech_end", text)]
        return self

    def run(
        self,
        engine: TurnEngine,
        options: StateOptions | None = None,
        local_think_s: float = 0.3,
        cloud_think_s: float = 1.2,
        tick_s: float = 0.1,
    ) -> ScenarioLog:
        """Play the script: each utterance goes through `engine.answer`; its reply starts after
        the route's think time and lasts as long as its audio, unless the shopper barges in."""
        clock = FakeClock()
        machine = TurnStateMachine(clock, options or StateOptions())
        log = ScenarioLog(machine)
        order = itertools.count()
        queue: list[tuple[float, int, str, Any]] = [
            (at, next(order), kind, payload) for at, kind, payload in self._script
        ]
        ticks = int(self.seconds / tick_s)
        queue += [(i * tick_s, next(order), "tick", None) for i in range(1, ticks + 1)]
        heapq.heapify(queue)
        current: ScenarioTurn | None = None
        pending_text = ""

        def feed(event: Input | None) -> None:
            nonlocal current
            effects = machine.tick() if event is None else machine.handle(event)
            for effect in effects:
                if isinstance(effect, StartVisit):
                    log.visits_started.append(clock.now)
                elif isinstance(effect, EndVisit):
                    engine.end_visit()
                    log.visits_ended.append(clock.now)
                elif isinstance(effect, StartTurn):
                    current = self._start_turn(
                        engine,
                        clock.now,
                        pending_text,
                        log,
                        queue,
                        order,
                        local_think_s,
                        cloud_think_s,
                    )
                elif isinstance(effect, StopReply | CancelTurn) and current is not None:
                    current.interrupted = isinstance(effect, StopReply)
                    current.cancelled = True
                    current = None
            if not log.states or log.states[-1][1] is not machine.state:
                log.states.append((clock.now, machine.state))

        while queue:
            at, _, kind, payload = heapq.heappop(queue)
            clock.now = at
            if kind == "tick":
                feed(None)
            elif kind == "arrive":
                feed(PersonArrived())
            elif kind == "leave":
                feed(PersonLeft())
            elif kind == "speech_start":
                feed(SpeechBegan())
            elif kind == "speech_end":
                pending_text = str(payload)
                feed(SpeechEnded())
            elif kind in ("reply_begin", "reply_end") and current is payload:
                feed(ReplyBegan() if kind == "reply_begin" else ReplyEnded())
                if kind == "reply_end":
                    current = None
        return log

    @staticmethod
    def _start_turn(
        engine: TurnEngine,
        now: float,
        text: str,
        log: ScenarioLog,
        queue: list[tuple[float, int, str, Any]],
        order: itertools.count[int],
        local_think_s: float,
        cloud_think_s: float,
    ) -> ScenarioTurn:
        result = engine.answer(Transcript(text, 0.9, 0.01))
        turn = ScenarioTurn(now, text, result)
        log.turns.append(turn)
        think = local_think_s if result.decision.route != "cloud" else cloud_think_s
        length = len(result.reply_audio) / result.reply_rate if result.reply_rate else 0.0
        heapq.heappush(queue, (now + think, next(order), "reply_begin", turn))
        heapq.heappush(queue, (now + think + length, next(order), "reply_end", turn))
        return turn
