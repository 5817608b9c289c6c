from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.agent.ports import CloudRequest
from kiosk.agent.states import (
    CancelTurn,
    EndVisit,
    PersonArrived,
    PersonLeft,
    ReplyBegan,
    ReplyEnded,
    SpeechBegan,
    SpeechDropped,
    SpeechEnded,
    StartTurn,
    StartVisit,
    StateOptions,
    StopReply,
    TurnState,
    TurnStateMachine,
)
from kiosk.agent.tracker import EffectHandlers, VisitTracker
from kiosk.agent.turn import TurnEngine
from kiosk.events import (
    Presence,
    ReplyProgress,
    ReplyStarted,
    SpeechStarted,
    StatusChanged,
    TurnCompleted,
)
from kiosk.store.catalog import Catalog
from kiosk.store.pack import load_store
from tests.fakes import LoudnessVad, ScriptedCloud, ScriptedStt, ToneTts
from tests.scenario import FakeClock, Scenario

pytestmark = pytest.mark.unit
S = TurnState


def _machine(**options: float) -> tuple[TurnStateMachine, FakeClock]:
    clock = FakeClock()
    return TurnStateMachine(clock, StateOptions(**options)), clock


def test_one_turn_walks_every_state() -> None:
    machine, clock = _machine()
    assert machine.handle(PersonArrived()) == [StartVisit()]
    assert machine.state is S.ATTENDING
    clock.now = 1.0
    assert machine.handle(SpeechBegan()) == []
    assert machine.state is S.LISTENING
    clock.now = 2.5
    assert machine.handle(SpeechEnded()) == [StartTurn()]
    assert machine.state is S.THINKING
    machine.handle(ReplyBegan())
    assert machine.state is S.SPEAKING
    clock.now = 4.0
    machine.handle(ReplyEnded())
    assert machine.state is S.ATTENDING
    assert [(t.before, t.after) for t in machine.history] == [
        (S.IDLE, S.ATTENDING),
        (S.ATTENDING, S.LISTENING),
        (S.LISTENING, S.THINKING),
        (S.THINKING, S.SPEAKING),
        (S.SPEAKING, S.ATTENDING),
    ]
    assert [t.at for t in machine.history] == [0.0, 1.0, 2.5, 2.5, 4.0]


def test_speech_while_speaking_is_a_barge_in() -> None:
    machine, _ = _machine()
    for event in (SpeechBegan(), SpeechEnded(), ReplyBegan()):
        machine.handle(event)
    assert machine.handle(SpeechBegan()) == [StopReply()]
    assert machine.state is S.LISTENING and machine.barge_ins == 1
    assert machine.history[-1].cause == "barge-in"
    machine.handle(ReplyEnded())  # the cut-off reply's late end changes nothing
    assert machine.state is S.LISTENING


def test_speech_while_thinking_replaces_the_turn() -> None:
    machine, _ = _machine()
    machine.handle(SpeechEnded())
    assert machine.handle(SpeechBegan()) == [CancelTurn()]
    assert machine.state is S.LISTENING


def test_a_noise_blip_goes_back_to_attending() -> None:
    machine, _ = _machine()
    machine.handle(PersonArrived())
    machine.handle(SpeechBegan())
    machine.handle(SpeechDropped())
    assert machine.state is S.ATTENDING


def test_visit_ends_only_after_the_shopper_stays_away() -> None:
    machine, clock = _machine(leave_after_s=5.0)
    machine.handle(PersonArrived())
    clock.now = 10.0
    machine.handle(PersonLeft())
    clock.now = 12.0
    machine.handle(PersonArrived())  # the camera lost them for a moment
    clock.now = 20.0
    assert machine.tick() == [] and machine.state is S.ATTENDING
    machine.handle(PersonLeft())
    clock.now = 24.9
    assert machine.tick() == []
    clock.now = 25.0
    assert machine.tick() == [EndVisit()]
    assert machine.state is S.IDLE and machine.history[-1].cause == "shopper left"


def test_leaving_mid_reply_stops_it_and_ends_the_visit() -> None:
    machine, clock = _machine(leave_after_s=3.0)
    for event in (PersonArrived(), SpeechBegan(), SpeechEnded(), ReplyBegan(), PersonLeft()):
        machine.handle(event)
    clock.now = 3.0
    assert machine.tick() == [StopReply(), EndVisit()]
    assert machine.state is S.IDLE


def test_without_a_camera_a_quiet_kiosk_ends_the_visit() -> None:
    machine, clock = _machine(idle_after_s=30.0)
    assert machine.handle(SpeechBegan()) == [StartVisit()]
    for event in (SpeechEnded(), ReplyBegan(), ReplyEnded()):
        machine.handle(event)
    clock.now = 29.0
    assert machine.tick() == []
    clock.now = 30.0
    assert machine.tick() == [EndVisit()]
    assert machine.history[-1].cause == "nobody spoke for a while"


def test_speech_that_never_ends_an_utterance_times_out() -> None:
    machine, clock = _machine(listen_timeout_s=20.0, leave_after_s=5.0)
    machine.handle(PersonArrived())
    machine.handle(SpeechBegan())  # the segmenter dropped it as too short: no SpeechEnded
    machine.handle(PersonLeft())
    clock.now = 19.0
    assert machine.tick() == [] and machine.state is S.LISTENING
    clock.now = 20.0
    assert machine.tick() == [EndVisit()]  # back to attending, and the shopper is long gone
    assert [t.cause for t in machine.history[-2:]] == [
        "speech never became an utterance",
        "shopper left",
    ]


def test_a_turn_that_never_replies_is_given_up() -> None:
    machine, clock = _machine(think_timeout_s=8.0)
    machine.handle(PersonArrived())
    machine.handle(SpeechEnded())
    clock.now = 8.0
    assert machine.tick() == [CancelTurn()]
    assert machine.state is S.ATTENDING


@pytest.fixture
def engine(mini_store_dir: Path) -> TurnEngine:
    clock = FakeClock()
    return TurnEngine(
        Catalog(load_store(mini_store_dir)), LoudnessVad(), ScriptedStt(), ToneTts(), clock=clock
    )


def test_a_sixty_second_conversation(engine: TurnEngine) -> None:
    cloud = ScriptedCloud(
        ("A crisp white wine, like a Sauvignon Blanc.", None),
        ("Ask the pharmacist about children's doses, please.", "P2"),
    )
    engine.cloud = cloud  # type: ignore[assignment]
    log = (
        Scenario(60)
        .person_arrives(1.0)
        .add_user_speech(2.0, 3.5, "where are the AA batteries")
        .add_user_speech(8.0, 9.5, "how much is the whole milk")
        .add_user_speech(15.0, 17.0, "what wine goes well with salmon")
        .add_user_speech(24.0, 25.5, "do you have ibuprofen")
        .add_user_speech(26.0, 27.0, "sorry, the duct tape")  # over the ibuprofen reply
        .person_leaves(35.0)
        .person_arrives(45.0)
        .add_user_speech(47.0, 49.0, "is ibuprofen safe for kids")
        .run(engine, StateOptions(leave_after_s=6.0))
    )
    routes = [(t.text, t.result.decision.route, t.result.shelf) for t in log.turns]
    assert [(text, route) for text, route, _ in routes] == [
        ("where are the AA batteries", "local"),
        ("how much is the whole milk", "local"),
        ("what wine goes well with salmon", "cloud"),
        ("do you have ibuprofen", "local"),
        ("sorry, the duct tape", "local"),
        ("is ibuprofen safe for kids", "cloud"),
    ]
    assert [shelf.id if shelf else None for _, _, shelf in routes] == [
        "A5-L",
        "D1",
        None,
        "P2",
        "H2-R",
        "P2",
    ]
    assert [t.interrupted for t in log.turns] == [False, False, False, True, False, False]
    assert log.machine.barge_ins == 1
    # states along the way
    assert log.state_at(0.5) is S.IDLE
    assert log.state_at(1.5) is S.ATTENDING
    assert log.state_at(3.0) is S.LISTENING
    assert log.state_at(3.9) is S.SPEAKING
    assert log.state_at(6.0) is S.ATTENDING
    assert log.state_at(16.5) is S.LISTENING and log.state_at(17.5) is S.THINKING
    assert log.state_at(26.5) is S.LISTENING  # barged in
    # the shopper left at 35 s: the visit ends after the grace period, then a new one starts
    assert log.visits_started == [1.0, 45.0]
    assert log.visits_ended == [pytest.approx(41.0)]
    assert log.state_at(42.0) is S.IDLE
    # the wine question carried the visit so far; the second shopper starts afresh
    first, second = cloud.requests
    assert isinstance(first, CloudRequest) and isinstance(second, CloudRequest)
    assert "Duracell AA batteries" in first.context and "Whole milk" in first.context
    assert "batteries" not in second.context and second.context == ""


def test_tracker_follows_the_loops_events() -> None:
    clock = FakeClock()
    done: list[str] = []
    handlers = EffectHandlers(
        visit_started=lambda: done.append("start"),
        visit_ended=lambda: done.append("end"),
        stop_reply=lambda: done.append("stop"),
    )
    tracker = VisitTracker(handlers, StateOptions(leave_after_s=2.0), clock)
    tracker(Presence(engaged=True, people=1))
    tracker(SpeechStarted(0))
    tracker(StatusChanged("thinking"))
    tracker(ReplyStarted("The milk is in the dairy cooler.", "local", "r", "D1"))
    assert tracker.state is S.SPEAKING
    tracker(SpeechStarted(0))
    assert tracker.state is S.LISTENING
    tracker(ReplyProgress(1.0, 2.0, done=True, interrupted=True))
    tracker(StatusChanged("thinking"))
    tracker(ReplyStarted("Yes.", "local", "r", None))
    tracker(TurnCompleted("do you have milk", "local", "r"))
    assert tracker.state is S.ATTENDING
    tracker(Presence(engaged=False))
    clock.now = 2.0
    tracker.tick()
    assert tracker.state is S.IDLE
    assert done == ["start", "stop", "end"]
