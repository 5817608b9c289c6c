"""The kiosk under test in `kiosk bench e2e`: the real agent, headless, as `kiosk run` wires it
(the turn engine and its models, the live conversation loop with its end-of-turn policy and
echo canceller, the vision service, the visit tracker, telemetry, prewarming, the Gemini Live
client), with the benchmark's virtual microphone, speaker and camera in place of devices.

The benchmark runs it in a process of its own, so its CPU time and peak memory are the
kiosk's alone:

    python -m kiosk.bench.e2e_kiosk PLAN.json CAMERA_DIR

The camera is a folder of images that the kiosk's own file camera reads (`vision.camera`,
set by the benchmark through the environment): every file in it is a link to the picture the
director wants in front of the camera, swapped atomically when it changes.

It prints one JSON object per line on stdout: `mark` lines (ready, each phase of the session,
with this process's CPU seconds and memory) and finally one `result` line with the director's
record of every question and the events the kiosk emitted. Logs go to stderr. After `ready` it
waits for a line on stdin (the benchmark sends it once the simulator has the kiosk's session).
"""

from __future__ import annotations

import json
import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edge.audio_io import AudioBlock
from edge.playback import PlayHandle
from edge.timeline import PlaybackTimeline
from kiosk.bench.virtual_audio import (
    RATE,
    Director,
    MicFeed,
    Plan,
    Queued,
    VirtualOutput,
    mark,
)
from kiosk.events import (
    Event,
    Presence,
    ReplyStarted,
    SpeechStarted,
    StatusChanged,
    TurnCompleted,
)

log = logging.getLogger("kiosk.bench.e2e")
CAMERA_LINKS = 9
"""More than the file camera caches, so it reads the pictures from disk every time."""


class VirtualMic:
    """The director's signal as a microphone: blocks come from a capture thread, queued."""

    realtime = True

    def __init__(self, director: Director, block_ms: int) -> None:
        self.director = director
        self._queue: queue.SimpleQueue[AudioBlock] = queue.SimpleQueue()
        self._closed = threading.Event()
        self._feed = MicFeed(director, RATE * block_ms // 1000, self._put)

    def start(self) -> None:
        self._feed.start()

    def _put(self, samples: np.ndarray, stamp_ns: int) -> None:
        self._queue.put(AudioBlock(samples, stamp_ns))

    def blocks(self) -> Iterator[AudioBlock]:
        while not self._closed.is_set():
            try:
                yield self._queue.get(timeout=0.2)
            except queue.Empty:
                if self.director.finished.is_set():
                    return

    def drain(self) -> None:
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return

    def close(self) -> None:
        self._closed.set()
        self._feed.stop()


class BenchSpeaker:
    """The virtual output device as a streaming speaker (edge.playback's protocol)."""

    def __init__(self, director: Director, plan: Plan) -> None:
        self.name = "virtual speaker"
        self.rate = RATE
        self.timeline = PlaybackTimeline()
        self._out = VirtualOutput(
            director, plan.speaker_speed, plan.output_latency_ms, on_play=self.timeline.write
        )
        self.output_latency_s = self._out.output_latency_s

    def play(self, samples: np.ndarray, rate: int) -> PlayHandle:
        handle = PlayHandle(seconds=len(samples) / rate if rate else 0.0)

        def update(item: Queued) -> None:
            handle.started_ns = item.started_ns
            handle.played_s = item.played_s
            handle.cut = item.cut
            if item.done and not handle.done:
                handle.done = True
                handle.finished.set()

        item = self._out.put(samples, rate, update)
        if item.done:
            update(item)
        return handle

    def clear(self) -> float:
        return self._out.clear()

    def hold(self, seconds: float) -> None:
        self._out.hold(seconds)

    def release(self) -> None:
        self._out.release()

    def pending_s(self) -> float:
        return self._out.pending_s()

    def close(self) -> None:
        self._out.close()


class CameraFolder:
    """The picture in front of the file camera: links swapped whenever the director's changes."""

    def __init__(self, folder: Path, director: Director) -> None:
        self.folder = folder
        self.director = director
        folder.mkdir(parents=True, exist_ok=True)
        self._shown = ""
        self._show(director.frame())
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="virtual-camera", daemon=True)

    def start(self) -> CameraFolder:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1.0)

    def _show(self, picture: str) -> None:
        if picture == self._shown:
            return
        suffix = Path(picture).suffix
        for i in range(CAMERA_LINKS):
            link = self.folder / f"frame{i}{suffix}"
            tmp = self.folder / f".frame{i}{suffix}.tmp"
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(picture)
            os.replace(tmp, link)
        self._shown = picture

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self._show(self.director.frame())


@dataclass
class EventLog:
    """What the kiosk said it did, with the time it said it."""

    director: Director
    rows: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, event: Event) -> None:
        now = time.monotonic_ns()
        if isinstance(event, StatusChanged):
            self.rows.append({"t_ns": now, "event": "status", "state": event.state})
            if event.state == "listening":
                self.director.system_done()
        elif isinstance(event, SpeechStarted):
            self.rows.append({"t_ns": now, "event": "speech_started", "at_ns": event.captured_ns})
        elif isinstance(event, ReplyStarted):
            self.rows.append({"t_ns": now, "event": "reply_started", "route": event.route})
        elif isinstance(event, Presence):
            self.rows.append({"t_ns": now, "event": "presence", "engaged": event.engaged})
        elif isinstance(event, TurnCompleted):
            self.rows.append(
                {
                    "t_ns": now,
                    "event": "turn",
                    "route": event.route,
                    "reason": event.reason,
                    "intent": event.intent,
                    "heard": event.transcript,
                    "product_sku": event.product_sku,
                    "shelf": event.shelf_id,
                    "timings_ms": {k: round(v, 1) for k, v in event.timings_ms.items()},
                    "latency_ms": event.latency_ms,
                    "tokens": dict(event.tokens),
                    "interrupted": event.interrupted,
                    "error": event.error,
                }
            )


class PrewarmWatch(logging.Handler):
    """Notes when prewarming finished (its log line is the only public sign)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.done_ns = 0
        self.done = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("prewarmed"):
            self.done_ns = time.monotonic_ns()
            self.done.set()


def say(line: dict[str, Any]) -> None:
    print(json.dumps(line), flush=True)


def run(plan_path: Path, camera_dir: Path) -> int:
    from edge.vad import SileroVad
    from kiosk.agent.observers import start_observers
    from kiosk.audio_setup import listening, loop_options
    from kiosk.config import load_config
    from kiosk.conversation import ConversationLoop
    from kiosk.runtime import build_runtime
    from kiosk.vision import open_vision

    level = os.environ.get("KIOSK_BENCH_LOG", "WARNING").upper()
    logging.basicConfig(level=level, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    watch = PrewarmWatch()
    logging.getLogger("kiosk.agent.prewarm").addHandler(watch)
    logging.getLogger("kiosk.agent.prewarm").setLevel(logging.INFO)
    plan = Plan.load(plan_path)
    director = Director(plan, on_ask=lambda q, t_ns: say({"asked": q.id, "t_ns": t_ns}))
    camera = CameraFolder(camera_dir, director).start()
    config = load_config(None)  # the benchmark sets the cloud and the camera in the environment
    say(mark("loading"))
    runtime = build_runtime(config)
    if runtime.cloud is not None and runtime.cloud.client is not None:
        runtime.cloud.client.prepare()
    vision, vision_note = open_vision(runtime, windowed=False)
    events = EventLog(director)
    observers = start_observers(runtime.engine, config)
    prewarmer = runtime.engine.prewarm()
    emit = observers.sink(events)
    vision.start(emit)
    listen = listening(config, runtime.models, runtime.engine)
    mic = VirtualMic(director, config.audio.block_ms)
    speaker = BenchSpeaker(director, plan)
    loop = ConversationLoop(
        runtime.engine,
        SileroVad(runtime.models.require_file("silero-vad")),
        listen.endpointer,
        mic,
        speaker,
        emit,
        0,
        turn_model=listen.turn_model,
        echo=listen.echo,
        gate=listen.gate,
        options=loop_options(config),
    )
    stop = threading.Event()
    say(mark("loaded"))
    # A kiosk that has been on for a while has its common answers synthesised: give the
    # prewarmer its time (up to the plan's limit) so the questions meet the steady state.
    watch.done.wait(plan.prewarm_wait_s)
    say(mark("ready", camera=vision_note, full_duplex=loop.full_duplex, prewarmed=watch.done_ns))
    sys.stdin.readline()  # the benchmark says go once the simulator has our session
    say(mark("go"))
    mic.start()
    agent = threading.Thread(target=loop.run, args=(stop,), name="agent", daemon=True)
    agent.start()
    seen = ""
    while not director.finished.wait(0.05):
        if director.phase != seen:
            seen = director.phase
            say(mark(seen))
        if not agent.is_alive():
            log.error("the agent loop ended before the session did")
            break
    say(mark("done"))
    stop.set()
    mic.close()
    agent.join(timeout=5.0)
    camera.stop()
    stats = loop.stats
    say(
        {
            "result": director.results(),
            "events": events.rows,
            "loop": {
                "barge_ins": stats.barge_ins,
                "merged": stats.merged,
                "echo_utterances_dropped": stats.echo_utterances_dropped,
                "full_duplex": loop.full_duplex,
            },
            "prewarm_done_ns": watch.done_ns,
            "camera": vision_note,
        }
    )
    for close in (vision.close, prewarmer.stop, observers.close, speaker.close):
        try:
            close()
        except Exception:  # a benchmark run that is over must still print its result
            log.exception("closing failed")
    if runtime.cloud is not None:
        runtime.cloud.close()
    return 0


if __name__ == "__main__":
    code = run(Path(sys.argv[1]), Path(sys.argv[2]))
    # As `kiosk run` does: native thread pools can abort interpreter teardown, and everything
    # is closed and printed by now.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
