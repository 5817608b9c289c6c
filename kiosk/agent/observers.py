"""The agent's own observers of the live loop's events: the visit tracker (turn state machine)
and telemetry. `kiosk run` subscribes them with one call, headless or windowed alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kiosk.agent.ports import VisitAwareCloud
from kiosk.agent.states import StateOptions
from kiosk.agent.tracker import EffectHandlers, VisitTracker
from kiosk.agent.turn import TurnEngine
from kiosk.config import KioskConfig
from kiosk.events import Event, EventSink
from kiosk.telemetry.recorder import Telemetry, open_telemetry


def fan_out(sinks: Sequence[EventSink]) -> EventSink:
    """One sink that hands each event to every sink, in order."""

    def emit(event: Event) -> None:
        for sink in sinks:
            sink(event)

    return emit


@dataclass
class AgentObservers:
    tracker: VisitTracker
    telemetry: Telemetry

    def sink(self, downstream: EventSink) -> EventSink:
        """`downstream` (the UI or the headless printer) first, then the tracker and telemetry."""
        return fan_out([downstream, self.tracker, self.telemetry])

    def note(self) -> str:
        return self.telemetry.note()

    def close(self) -> None:
        self.tracker.close()
        self.telemetry.close()


def start_observers(engine: TurnEngine, config: KioskConfig) -> AgentObservers:
    """The visit tracker, ticking, wired to the engine and the cloud; and telemetry."""
    cloud = engine.cloud if isinstance(engine.cloud, VisitAwareCloud) else None

    def visit_ended() -> None:
        engine.end_visit()
        if cloud is not None:
            cloud.shopper_left()

    handlers = EffectHandlers(visit_ended=visit_ended)
    if cloud is not None:
        handlers.visit_started = cloud.prepare
        handlers.stop_reply = cloud.interrupt
    visit = config.visit
    options = StateOptions(visit.leave_after_s, visit.idle_after_s, visit.think_timeout_s)
    tracker = VisitTracker(handlers, options).start()
    return AgentObservers(tracker, open_telemetry(config.telemetry))
