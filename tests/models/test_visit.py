"""A scripted two-minute visit, headless, through the real stages: Silero VAD and the utterance
segmenter on a file microphone, faster-whisper, the router and Piper, the local Gemini Live
simulator for escalations, the visit state machine and telemetry.

The shopper arrives, asks where something is, holds up a product and asks about it, asks an
open question, asks again and cuts in over the answer, and leaves. The turn log then holds
every turn with its route, reason and timings, and the visit's context is gone.

Not yet real here: the camera's side comes from `CameraScript`, a hand-written scene provider
keyed to the microphone's clock, until the vision stage has a file camera and a scene provider
to put in its place; and the live loop is still half duplex, so the shopper's cut-in is heard
after the answer it interrupts rather than stopping it (barge-in is covered by the state
machine's scenario tests until the full-duplex loop lands).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from edge.audio_io import AudioBlock, FileMic, RecordingSpeaker
from edge.endpoint import UtteranceSegmenter
from edge.vad import SileroVad, VadOptions
from edge.wav import resample
from kiosk.agent.observers import fan_out
from kiosk.agent.ports import HeldProduct, Scene
from kiosk.agent.states import StateOptions, TurnState
from kiosk.agent.tracker import EffectHandlers, VisitTracker
from kiosk.config import TelemetrySettings, check_config_text
from kiosk.conversation import ConversationLoop
from kiosk.events import Event, Presence, ReplyStarted, TurnCompleted
from kiosk.models import ModelCache
from kiosk.runtime import Runtime, build_runtime
from kiosk.telemetry.recorder import open_telemetry
from tests.scenario import FakeClock

pytestmark = pytest.mark.models
RATE = 16000
AA_SKU = "0041333424019"

# (start second on the mic's timeline, what the shopper says)
SCRIPT = (
    (6.0, "Where can I find the AA batteries?"),
    (24.0, "How much are these?"),  # holding up the batteries, barcode visible
    (44.0, "Is this sunscreen safe for a three year old?"),
    (70.0, "How much is the whole milk?"),
    (73.5, "Actually, where is the duct tape?"),  # cuts in as the milk answer starts
)
ARRIVE_S, HOLD_S, PUT_DOWN_S, LEAVE_S, END_S = 3.0, 20.0, 34.0, 100.0, 120.0


@dataclass
class CameraScript:
    """What a file camera would report, by second of the microphone's timeline."""

    t0_ns: int = 0

    def latest(self, not_after_ns: int | None = None) -> Scene | None:
        at_ns = not_after_ns if not_after_ns is not None else self.t0_ns
        t = (at_ns - self.t0_ns) / 1e9
        if not ARRIVE_S <= t < LEAVE_S:
            return Scene(at_ns, people=0)
        held = HeldProduct(AA_SKU, "barcode", 0.97) if HOLD_S <= t < PUT_DOWN_S else None
        return Scene(at_ns, people=1, held=held, frame_jpeg=b"\xff\xd8redacted\xff\xd9")


class StampedMic:
    """A file mic that tells the camera script when its timeline starts."""

    def __init__(self, mic: FileMic, camera: CameraScript) -> None:
        self._mic, self._camera = mic, camera

    def blocks(self) -> Iterator[AudioBlock]:
        for i, block in enumerate(self._mic.blocks()):
            if i == 0:
                self._camera.t0_ns = block.captured_ns
            yield block

    def drain(self) -> None:
        self._mic.drain()

    def close(self) -> None:
        self._mic.close()


@pytest.fixture(scope="module")
def runtime(model_cache: ModelCache) -> Runtime:
    # The simulator hears and speaks with the same models on the same (busy, 2-core) machine:
    # give it longer than a real cloud would get before the kiosk falls back.
    config = check_config_text("[cloud]\nreply_timeout_s = 20.0\n", source="visit test")
    rt = build_runtime(config, cloud_mode="sim")
    yield rt  # type: ignore[misc]
    if rt.cloud is not None:
        rt.cloud.close()


def _visit_audio(runtime: Runtime) -> np.ndarray:
    rng = np.random.default_rng(7)
    audio = (rng.standard_normal(int(END_S * RATE)) * 0.002).astype(np.float32)  # store hum
    tts = runtime.engine.tts
    for start, text in SCRIPT:
        voice = np.concatenate([c.samples for c in tts.stream(text)]).astype(np.float32) / 32768
        voice = resample(voice, tts.sample_rate, RATE) * 0.5
        a = int(start * RATE)
        audio[a : a + voice.size] += voice
    return audio


def test_a_two_minute_visit(runtime: Runtime, tmp_path: Path) -> None:
    engine = runtime.engine
    engine.end_visit()
    camera = CameraScript()
    engine.scene = camera
    clock = FakeClock()
    tracker = VisitTracker(
        EffectHandlers(visit_ended=engine.end_visit), StateOptions(leave_after_s=5.0), clock
    )
    telemetry = open_telemetry(TelemetrySettings(state_dir=tmp_path))
    events: list[Event] = []
    emit = fan_out([events.append, tracker, telemetry])
    emit(Presence(engaged=True, people=1))  # the camera sees the shopper arrive
    assert tracker.state is TurnState.ATTENDING
    mic = StampedMic(FileMic.from_samples(_visit_audio(runtime), realtime=False), camera)
    loop = ConversationLoop(
        engine,
        SileroVad(runtime.models.require_file("silero-vad")),
        UtteranceSegmenter(VadOptions(min_silence_ms=500)),
        mic,  # type: ignore[arg-type]
        RecordingSpeaker(),
        emit,
    )
    try:
        results = loop.run(threading.Event())
        context_before_leaving = engine.context.summary()
        emit(Presence(engaged=False))  # the shopper walks away
        clock.now += 5.0
        tracker.tick()
    finally:
        engine.scene = None
        telemetry.close()

    routes = [(r.decision.route, r.shelf.id if r.shelf else None) for r in results]
    assert len(results) == len(SCRIPT), [r.transcript for r in results]
    assert routes[0] == ("local", "A5-L")
    assert routes[1] == ("local", "A5-L") and results[1].decision.source == "held"
    assert results[2].decision.route == "cloud", (results[2].decision.reason, results[2].error)
    assert results[2].reply_audio.size > 0  # the simulator answered, in its own voice
    assert routes[3] == ("local", "D1"), [(r.transcript, r.decision.reason) for r in results]
    assert routes[4] == ("local", "H2-R")
    # the visit's context reached the cloud, and is forgotten once the shopper left
    assert "Duracell AA batteries" in context_before_leaving
    assert tracker.state is TurnState.IDLE and engine.context.summary() == ""
    # the turn log holds every turn with its route, reason and timings
    assert telemetry.turn_log is not None
    from kiosk.telemetry.turnlog import TurnLog

    rows = TurnLog(telemetry.turn_log.path).turns()
    assert [row.route for row in rows] == [r.decision.route for r in results]
    for row in rows:
        assert row.reason and row.latency_ms is not None and row.latency_ms > 0
        assert {"stt", "route"} <= set(row.timings)
    assert "cloud" in rows[2].timings and rows[2].tokens > 0
    completed = [e for e in events if isinstance(e, TurnCompleted)]
    replies = [e for e in events if isinstance(e, ReplyStarted)]
    assert len(completed) == len(replies) == len(SCRIPT)
