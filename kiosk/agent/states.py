"""The turn state machine: idle → attending → listening → thinking → speaking, and back.

Pure: it reads time only from the injected clock and changes only when it is handed an input
or ticked. Each call returns the effects the shell must carry out (start a turn, stop the
reply, end the visit). The live loop's shell maps its typed events onto these inputs
(`kiosk.agent.tracker`); tests drive it with a scripted timeline (`tests/scenario.py`).

- idle: nobody there. Someone appearing makes it attending; speech makes it listening.
- attending: someone is there and nobody is speaking.
- listening: the shopper is speaking.
- thinking: the utterance ended; the agent is working on the reply.
- speaking: the reply is playing. Speech now is a barge-in: the reply stops, back to listening.

A visit ends when the shopper has been gone `leave_after_s` (camera), or, with no camera
report, after `idle_after_s` without speech; the effect `EndVisit` clears the visit's context.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum


class TurnState(str, Enum):
    IDLE = "idle"
    ATTENDING = "attending"
    LISTENING = "listening"
    THINKING = "thinking"
    SPEAKING = "speaking"


# Inputs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonArrived:
    pass


@dataclass(frozen=True)
class PersonLeft:
    pass


@dataclass(frozen=True)
class SpeechBegan:
    pass


@dataclass(frozen=True)
class SpeechEnded:
    """The end of an utterance: the agent should answer it."""


@dataclass(frozen=True)
class SpeechDropped:
    """What sounded like speech was too short to be an utterance."""


@dataclass(frozen=True)
class ReplyBegan:
    pass


@dataclass(frozen=True)
class ReplyEnded:
    pass


Input = (
    PersonArrived | PersonLeft | SpeechBegan | SpeechEnded | SpeechDropped | ReplyBegan | ReplyEnded
)

# Effects ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StartVisit:
    pass


@dataclass(frozen=True)
class StartTurn:
    pass


@dataclass(frozen=True)
class CancelTurn:
    """Drop the turn being worked on (the shopper spoke again, or left)."""


@dataclass(frozen=True)
class StopReply:
    """Barge-in: stop the speaker now."""


@dataclass(frozen=True)
class EndVisit:
    """The shopper left: clear the visit's context."""


Effect = StartVisit | StartTurn | CancelTurn | StopReply | EndVisit


@dataclass(frozen=True)
class StateOptions:
    leave_after_s: float = 6.0
    """The camera has seen nobody this long: the visit is over."""
    idle_after_s: float = 45.0
    """Without a camera report: no speech this long after the last reply ends the visit."""
    think_timeout_s: float = 20.0
    """No reply this long after the utterance: give the turn up."""
    listen_timeout_s: float = 20.0
    """Speech began this long ago and never became an utterance (a dropped blip)."""


@dataclass(frozen=True)
class Transition:
    at: float
    before: TurnState
    after: TurnState
    cause: str


@dataclass
class TurnStateMachine:
    clock: Callable[[], float]
    options: StateOptions = field(default_factory=StateOptions)
    state: TurnState = TurnState.IDLE
    history: list[Transition] = field(default_factory=list)
    barge_ins: int = 0
    _present: bool | None = None
    """True: the camera sees someone; False: it sees nobody; None: no report."""
    _absent_since: float | None = None
    _since: float = 0.0
    _last_activity: float = 0.0

    def __post_init__(self) -> None:
        self._since = self._last_activity = self.clock()

    @property
    def in_visit(self) -> bool:
        return self.state is not TurnState.IDLE

    def handle(self, event: Input) -> list[Effect]:
        """Apply one input; returns the effects to carry out, in order."""
        now = self.clock()
        effects: list[Effect] = []
        S = TurnState
        if isinstance(event, PersonArrived):
            self._present, self._absent_since = True, None
            if self.state is S.IDLE:
                effects.append(StartVisit())
                self._go(S.ATTENDING, "person arrived", now)
        elif isinstance(event, PersonLeft):
            self._present = False
            if self._absent_since is None:
                self._absent_since = now
        elif isinstance(event, SpeechBegan):
            self._last_activity = now
            if self._present is False:
                self._present, self._absent_since = None, None  # heard, so still here
            if self.state is S.IDLE:
                effects.append(StartVisit())
            elif self.state is S.SPEAKING:
                self.barge_ins += 1
                effects.append(StopReply())
            elif self.state is S.THINKING:
                effects.append(CancelTurn())
            if self.state is not S.LISTENING:
                cause = "barge-in" if self.state is S.SPEAKING else "speech began"
                self._go(S.LISTENING, cause, now)
        elif isinstance(event, SpeechEnded):
            self._last_activity = now
            if self.state in (S.IDLE, S.ATTENDING, S.LISTENING):
                if self.state is S.IDLE:
                    effects.append(StartVisit())
                effects.append(StartTurn())
                self._go(S.THINKING, "utterance ended", now)
        elif isinstance(event, SpeechDropped):
            if self.state is S.LISTENING:
                self._go(S.ATTENDING, "too short to be speech", now)
        elif isinstance(event, ReplyBegan):
            if self.state is S.THINKING:
                self._go(S.SPEAKING, "reply began", now)
        elif isinstance(event, ReplyEnded):
            self._last_activity = now
            if self.state in (S.SPEAKING, S.THINKING):
                self._go(S.ATTENDING, "reply ended", now)
        return effects + self.tick()

    def tick(self) -> list[Effect]:
        """Apply the timeouts; call it every few hundred milliseconds."""
        now = self.clock()
        S = TurnState
        if self.state is S.THINKING and now - self._since >= self.options.think_timeout_s:
            self._go(S.ATTENDING, "no reply in time", now)
            return [CancelTurn(), *self.tick()]
        if self.state is S.LISTENING and now - self._since >= self.options.listen_timeout_s:
            self._go(S.ATTENDING, "speech never became an utterance", now)
        if self.state is S.IDLE:
            return []
        gone = self._absent_since is not None and (
            now - self._absent_since >= self.options.leave_after_s
        )
        quiet = (
            self._present is None
            and self.state is S.ATTENDING
            and now - self._last_activity >= self.options.idle_after_s
        )
        if not (gone or quiet) or self.state is S.LISTENING:
            return []
        effects: list[Effect] = []
        if self.state is S.SPEAKING:
            effects.append(StopReply())
        elif self.state is S.THINKING:
            effects.append(CancelTurn())
        effects.append(EndVisit())
        self._absent_since = None
        self._present = False if gone else None
        self._go(S.IDLE, "shopper left" if gone else "nobody spoke for a while", now)
        return effects

    def _go(self, state: TurnState, cause: str, now: float) -> None:
        if state is not self.state:
            self.history.append(Transition(now, self.state, state, cause))
            self.state, self._since = state, now
