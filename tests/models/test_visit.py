"""A scripted visit, headless, through the real stages wired as `kiosk run --headless` wires
them: the vision service on a file camera; the full-duplex conversation loop with the
end-of-turn policy (Silero, Smart Turn and the store-aware judge) on a real-time microphone;
faster-whisper, the router and Piper, the reply playing on a real-time virtual speaker; the
local Gemini Live simulator for escalations; the visit tracker and telemetry. (The prewarmer
and the control socket are not started: every reply is synthesised when it is asked for.)

The camera shows an empty shop floor, then a shopper walks up (scikit-image's astronaut) and
the vision service reports her arrival. She asks where the AA batteries are, holds the pack
up to the camera with its barcode showing and asks what they cost, puts it down, asks an open
question that goes to the simulator with the visit's context and the redacted frame, asks the
price of milk and cuts in over the answer with another question, and walks away: the vision
service reports her gone and the visit tracker ends the visit, so its context is forgotten.
The turn log then holds every turn with its route, reason and timings.

The shopper waits for each answer before asking the next question, as a person would, and cuts
in once the answer she interrupts is made (on screen) and has played for a while; the visit
takes about a minute of real time, never more than two. The microphone does not hear the
speaker (as with a file microphone in `kiosk run`), so no echo canceller is in the loop.
Nothing here asserts a latency: the machine may be busy.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np
import pytest

from edge.audio_io import AudioBlock
from edge.playback import VirtualSpeaker
from edge.vad import SileroVad
from edge.vision.image import read_image
from edge.wav import resample
from kiosk.agent.observers import start_observers
from kiosk.agent.ports import CloudReply, CloudRequest
from kiosk.agent.states import TurnState
from kiosk.audio_setup import listening, loop_options
from kiosk.cloud.client import GeminiLiveClient
from kiosk.config import check_config_text
from kiosk.conversation import ConversationLoop
from kiosk.events import (
    DeviceStatus,
    Event,
    Presence,
    ReplyProgress,
    ReplyStarted,
    TurnCompleted,
)
from kiosk.models import ModelCache
from kiosk.runtime import Runtime, build_runtime
from kiosk.store.pack import StorePack
from kiosk.telemetry.turnlog import TurnLog
from kiosk.vision import VisionService, open_vision

pytestmark = pytest.mark.models

RATE = 16000
BLOCK = RATE * 32 // 1000
NS_PER_SAMPLE = 1_000_000_000 / RATE
AA_SKU = "0041333424019"
LOCATE = "Where can I find the AA batteries?"
HELD = "How much are these?"
OPEN = "Is this sunscreen safe for a three year old?"
MILK = "How much is the whole milk?"
CUT_IN = "Actually, where is the duct tape?"
CUT_IN_AFTER_S = 1.5
"""The shopper talks over the milk answer this long after it started playing (it is ~5 s)."""
ANSWER_WAIT_S = 30.0
"""Longest the shopper waits for an answer (or for the camera) before going on regardless."""
VISIT_LIMIT_S = 120.0
"""From the microphone's start to the visit's end, however slow the kiosk is."""
CAMERA_LINKS = 9
"""More links than the file camera caches, so it reads the picture from disk every time."""

E = TypeVar("E")


# ----- the camera's side ---------------------------------------------------------------------


def _pictures(folder: Path, store: StorePack) -> dict[str, Path]:
    """The shop floor, the shopper in front of it, and the shopper holding up the AA batteries
    with their barcode to the camera (the demo store's own product photo), as PNG files."""
    from skimage import data

    from kiosk.bench import vision_set

    astronaut = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)  # type: ignore[no-untyped-call]
    floor = vision_set.backdrop(np.random.default_rng(11))
    shopper = floor.copy()
    side = vision_set.HEIGHT
    left = (vision_set.WIDTH - side) // 2
    shopper[:, left : left + side] = cv2.resize(
        astronaut, (side, side), interpolation=cv2.INTER_AREA
    )
    holding = shopper.copy()
    product = next(p for p in store.products if p.sku == AA_SKU)
    cutout, mask = vision_set.product_cutout(read_image(product.images[0]))
    long_side = 270  # upright and close: the barcode reads
    centre = (vision_set.WIDTH // 2 + 60, vision_set.HEIGHT - long_side // 2 - 4)
    vision_set.place(holding, cutout, mask, centre, long_side, 0.0)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, image in (("floor", floor), ("shopper", shopper), ("holding", holding)):
        paths[name] = folder / f"{name}.png"
        cv2.imwrite(str(paths[name]), image)
    return paths


class CameraFolder:
    """The file camera's folder: every file in it is a link to the picture in front of the
    camera, swapped atomically when the scene changes."""

    def __init__(self, folder: Path, pictures: dict[str, Path]) -> None:
        self.folder = folder
        self.pictures = pictures
        folder.mkdir(parents=True, exist_ok=True)
        self.show("floor")

    def show(self, name: str) -> None:
        picture = self.pictures[name]
        for i in range(CAMERA_LINKS):
            link = self.folder / f"frame{i}.png"
            tmp = self.folder / f".frame{i}.png.tmp"
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(picture)
            os.replace(tmp, link)


# ----- the microphone's side -----------------------------------------------------------------


@dataclass
class Spoken:
    """One thing the shopper said, with the capture times of its first and last sample."""

    samples: np.ndarray = field(repr=False)
    onset_ns: int = 0
    end_ns: int = 0
    done: threading.Event = field(default_factory=threading.Event, repr=False)


class ShopperMic:
    """A real-time microphone in a shop: a low hum all the time, and the shopper's words when
    she speaks. Each 32 ms block is delivered once its last sample has been captured, stamped
    with the capture time of its first (time.monotonic_ns), as a sound card does."""

    realtime = True

    def __init__(self, seed: int = 7) -> None:
        self._said: queue.SimpleQueue[Spoken] = queue.SimpleQueue()
        self._closed = threading.Event()
        self._rng = np.random.default_rng(seed)
        self.started = threading.Event()

    def say(self, samples: np.ndarray) -> Spoken:
        spoken = Spoken(np.asarray(samples, np.float32))
        self._said.put(spoken)
        return spoken

    def blocks(self) -> Iterator[AudioBlock]:
        start = time.monotonic_ns()
        self.started.set()
        sent = 0
        speaking: Spoken | None = None
        at = 0
        while not self._closed.is_set():
            stamp = start + int(sent * NS_PER_SAMPLE)
            chunk = (self._rng.standard_normal(BLOCK) * 0.002).astype(np.float32)  # store hum
            filled, finished = 0, []
            while filled < BLOCK:
                if speaking is None:
                    try:
                        speaking, at = self._said.get_nowait(), 0
                    except queue.Empty:
                        break
                    speaking.onset_ns = stamp + int(filled * NS_PER_SAMPLE)
                take = min(BLOCK - filled, len(speaking.samples) - at)
                chunk[filled : filled + take] += speaking.samples[at : at + take]
                filled, at = filled + take, at + take
                if at >= len(speaking.samples):
                    speaking.end_ns = stamp + int(filled * NS_PER_SAMPLE)
                    finished.append(speaking)
                    speaking = None
            ready = stamp + int(BLOCK * NS_PER_SAMPLE)
            delay = (ready - time.monotonic_ns()) / 1e9
            if delay > 0 and self._closed.wait(delay):
                return
            sent += BLOCK
            yield AudioBlock(chunk, stamp)
            for spoken in finished:
                spoken.done.set()

    def drain(self) -> None:
        """The shopper does not hear the speaker: nothing to drop."""

    def close(self) -> None:
        self._closed.set()


# ----- what the kiosk did --------------------------------------------------------------------


class Observed:
    """Every event the kiosk emitted, in order; the shopper waits on them."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = threading.Condition()

    def __call__(self, event: Event) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def of(self, kind: type[E]) -> list[E]:
        with self._changed:
            return [e for e in self.events if isinstance(e, kind)]

    def wait(self, ready: Callable[[], bool], timeout_s: float = ANSWER_WAIT_S) -> bool:
        with self._changed:
            return self._changed.wait_for(ready, timeout_s)

    def answers(self) -> int:
        """Replies heard to the end (an interrupted one is not an answer)."""
        return sum(1 for e in self.of(TurnCompleted) if not e.interrupted)


class CloudTap:
    """The engine's real cloud client, with each escalated request noted on its way."""

    def __init__(self, client: GeminiLiveClient) -> None:
        self.client = client
        self.requests: list[CloudRequest] = []

    def available(self) -> bool:
        return self.client.available()

    def respond(self, request: CloudRequest) -> CloudReply:
        self.requests.append(request)
        return self.client.respond(request)

    def prepare(self) -> None:
        self.client.prepare()

    def shopper_left(self) -> None:
        self.client.shopper_left()

    def interrupt(self) -> None:
        self.client.interrupt()


# ----- the shopper ---------------------------------------------------------------------------


@dataclass
class Shopper:
    """Walks up, asks, holds up, cuts in and walks away; notes what she waited for in vain."""

    mic: ShopperMic
    camera: CameraFolder
    seen: Observed
    speaker: VirtualSpeaker
    vision: VisionService
    voices: dict[str, np.ndarray]
    missed: list[str] = field(default_factory=list)
    ends_at: float = field(default_factory=lambda: time.monotonic() + VISIT_LIMIT_S)
    """Past this she waits for nothing more: the visit never runs past its limit."""

    def patience(self) -> float:
        return max(0.1, min(ANSWER_WAIT_S, self.ends_at - time.monotonic()))

    def wait(self, what: str, ready: Callable[[], bool]) -> None:
        if not self.seen.wait(ready, self.patience()):
            self.missed.append(what)

    def wait_for_camera(self, what: str, ready: Callable[[], bool]) -> None:
        deadline = time.monotonic() + self.patience()
        while not ready():
            if time.monotonic() > deadline:
                self.missed.append(what)
                return
            time.sleep(0.05)

    def ask(self, text: str) -> Spoken:
        spoken = self.mic.say(self.voices[text])
        if not spoken.done.wait(self.patience()):
            self.missed.append(f"saying {text!r}")
        return spoken

    def ask_and_wait(self, text: str, gap_s: float = 1.5) -> None:
        answered = self.seen.answers()
        self.ask(text)
        self.wait(f"an answer to {text!r}", lambda: self.seen.answers() > answered)
        time.sleep(gap_s)

    def holds_up(self, held: bool) -> None:
        """The scene the kiosk will use for her next question shows the product, or not."""
        self.camera.show("holding" if held else "shopper")

        def in_view() -> bool:
            scene = self.vision.scene.latest()
            return scene is not None and (scene.held is not None) == held

        self.wait_for_camera(f"the camera seeing the product {'up' if held else 'down'}", in_view)
        time.sleep(0.5)

    def visit(self) -> None:
        self.ends_at = time.monotonic() + VISIT_LIMIT_S
        if not self.mic.started.wait(10.0):
            self.missed.append("the microphone starting")
        time.sleep(2.0)  # the empty shop floor
        self.camera.show("shopper")
        self.wait("the camera seeing her arrive", lambda: bool(self._presence(engaged=True)))
        time.sleep(0.5)
        self.ask_and_wait(LOCATE)
        self.holds_up(True)
        self.ask_and_wait(HELD)
        self.holds_up(False)
        self.ask_and_wait(OPEN)
        self.cut_in()
        self.camera.show("floor")  # she walks away
        self.wait("the camera seeing her leave", lambda: bool(self._presence(engaged=False)))

    def cut_in(self) -> None:
        """Ask about the milk and talk over its answer once it is made (the screen shows it)
        and has played for a while."""
        replies = len(self.seen.of(ReplyStarted))
        asked = self.ask(MILK)
        self.wait("the milk answer", lambda: len(self.seen.of(ReplyStarted)) > replies)
        started = self._playing_since(asked.end_ns)
        if started is None:
            self.missed.append("the milk answer playing")
        else:
            time.sleep(max(0.0, started / 1e9 + CUT_IN_AFTER_S - time.monotonic()))
        answered = self.seen.answers()
        self.ask(CUT_IN)
        self.wait("an answer to the cut-in", lambda: self.seen.answers() > answered)
        time.sleep(1.5)

    def _playing_since(self, after_ns: int) -> int | None:
        """When the speaker started playing the first reply after `after_ns`."""
        deadline = time.monotonic() + self.patience()
        while time.monotonic() < deadline:
            played = [ns for ns, _ in list(self.speaker.played) if ns > after_ns]
            if played:
                return played[0]
            time.sleep(0.02)
        return None

    def _presence(self, engaged: bool) -> list[Presence]:
        return [e for e in self.seen.of(Presence) if e.engaged is engaged]


# ----- the kiosk -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def runtime(model_cache: ModelCache, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    work = tmp_path_factory.mktemp("visit")
    # The simulator hears and speaks with the same models on the same (busy, 2-core) machine:
    # give it longer than a real cloud would get before the kiosk falls back.
    config = check_config_text(
        "[cloud]\nreply_timeout_s = 20.0\n\n"
        f'[vision]\ncamera = "{work / "camera"}"\nindex_cache_dir = "{work / "index"}"\n\n'
        f'[telemetry]\nstate_dir = "{work / "state"}"\n',
        source="visit test",
    )
    rt = build_runtime(config, cloud_mode="sim")
    yield rt
    if rt.cloud is not None:
        rt.cloud.close()


def _voices(runtime: Runtime) -> dict[str, np.ndarray]:
    tts = runtime.engine.tts
    voices = {}
    for text in (LOCATE, HELD, OPEN, MILK, CUT_IN):
        voice = np.concatenate([c.samples for c in tts.stream(text)]).astype(np.float32) / 32768
        voices[text] = resample(voice, tts.sample_rate, RATE) * 0.5
    return voices


def test_a_visit(runtime: Runtime, tmp_path: Path) -> None:
    config, engine = runtime.config, runtime.engine
    assert runtime.cloud is not None and runtime.cloud.client is not None
    assert isinstance(config.vision.camera, str)
    camera = CameraFolder(Path(config.vision.camera), _pictures(tmp_path, runtime.store))
    engine.end_visit()
    cloud = CloudTap(runtime.cloud.client)
    engine.cloud = cloud
    vision, vision_note = open_vision(runtime, windowed=False)
    assert isinstance(vision, VisionService), vision_note
    hearing = listening(config, runtime.models, engine)  # SmartEndpoint, Smart Turn, the judge
    observers = start_observers(engine, config)  # the visit tracker and telemetry
    seen = Observed()
    emit = observers.sink(seen)
    mic = ShopperMic()
    speaker = VirtualSpeaker()
    loop = ConversationLoop(
        engine,
        SileroVad(runtime.models.require_file("silero-vad")),
        hearing.endpointer,
        mic,
        speaker,
        emit,
        0,
        turn_model=hearing.turn_model,
        options=loop_options(config),
    )  # no echo canceller: this microphone does not hear the speaker
    assert loop.full_duplex
    shopper = Shopper(mic, camera, seen, speaker, vision, _voices(runtime))
    stop = threading.Event()
    agent = threading.Thread(target=loop.run, args=(stop,), name="agent", daemon=True)
    tracker = observers.tracker
    try:
        vision.start(emit)
        shopper.wait("the camera delivering frames", lambda: bool(seen.of(DeviceStatus)))
        shopper.wait_for_camera("the floor analysed", lambda: vision.analysed > 0)
        agent.start()
        shopper.visit()
        shopper.wait_for_camera(
            "the visit ending",
            lambda: tracker.state is TurnState.IDLE and engine.context.summary() == "",
        )
        mic.close()
        agent.join(timeout=10.0)
    finally:
        stop.set()
        mic.close()
        agent.join(timeout=5.0)
        vision.close()
        speaker.close()
        observers.close()
        engine.scene = None
        engine.cloud = runtime.cloud.client

    results = loop.results
    heard = [(r.transcript, r.decision.route, r.decision.reason) for r in results]
    assert not agent.is_alive()
    assert shopper.missed == [], (shopper.missed, heard)
    assert len(results) == 5, heard
    routes = [(r.decision.route, r.shelf.id if r.shelf else None) for r in results]
    assert routes[0] == ("local", "A5-L"), heard
    assert routes[1] == ("local", "A5-L") and results[1].decision.source == "held", heard
    assert "barcode" in results[1].decision.reason
    assert results[2].decision.route == "cloud", (heard[2], results[2].error)
    assert results[2].reply_audio.size > 0  # the simulator answered, in its own voice
    assert routes[3] == ("local", "D1"), heard
    assert routes[4] == ("local", "H2-R"), heard

    # the camera's presence came from the vision service: arrived before the first turn, left
    # after the last one
    events = seen.events
    presence = [e for e in events if isinstance(e, Presence)]
    assert [p.engaged for p in presence] == [True, False], presence
    completed = [e for e in events if isinstance(e, TurnCompleted)]
    assert events.index(presence[0]) < events.index(completed[0])
    assert events.index(presence[1]) > events.index(completed[-1])

    # the cut-in was a barge-in: the milk answer stopped part way, and the question was answered
    assert loop.stats.barge_ins >= 1
    assert [c.interrupted for c in completed] == [False, False, False, True, False]
    stopped = [e for e in events if isinstance(e, ReplyProgress) and e.done and e.interrupted]
    assert len(stopped) == 1 and 0.0 < stopped[0].played_s < stopped[0].total_s, stopped
    assert speaker.cleared_ns
    assert len([e for e in events if isinstance(e, ReplyStarted)]) == len(results)

    # the visit's context and the redacted frame reached the cloud with the open question (the
    # end-of-turn policy may take the cut-in's "Actually," for a question of its own and
    # escalate it too; that turn is cancelled as she goes on talking, and merged into hers);
    # the context is forgotten once the shopper left
    asked = cloud.requests[0]
    assert asked.transcript == results[2].transcript
    assert "Duracell AA batteries" in asked.context
    assert asked.frame_jpeg
    assert tracker.state is TurnState.IDLE and engine.context.summary() == ""

    # the turn log holds every turn with its route, reason and timings
    telemetry = observers.telemetry
    assert telemetry.turn_log is not None
    turn_log = TurnLog(telemetry.turn_log.path)
    try:
        rows = turn_log.turns()
    finally:
        turn_log.close()
    assert [row.route for row in rows] == [r.decision.route for r in results]
    assert [row.interrupted for row in rows] == [c.interrupted for c in completed]
    for row in rows:
        assert row.reason and row.latency_ms is not None and row.latency_ms > 0
        assert {"stt", "route"} <= set(row.timings)
    assert "cloud" in rows[2].timings and rows[2].tokens > 0
