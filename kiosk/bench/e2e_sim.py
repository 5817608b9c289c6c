"""The simulated cloud of `kiosk bench e2e`, and the catalog the Pipecat peer's tools call.

The local Gemini Live simulator runs on its own thread in the benchmark's own process, so the
CPU of its models (it really transcribes and speaks) is charged neither to the kiosk nor to
the peer, which run in processes of their own. `LoggedSimServer` keeps a log of each turn as
the server saw it: when it took the end of the shopper's turn (an `activityEnd`, or its own
activity detection), when it sent the first reply audio, how long its speech recognition took,
and the tokens and frames it counted. With that the benchmark splits a cloud turn into what
the client did before the server had the turn, the server's own time to first byte (the
configured delay plus the simulator's real recognition and speech), and what the client did
with the reply.

`CatalogService` answers the store's tools (`lookup_product`, `point_to_shelf`) over loopback
HTTP with the kiosk's own `ToolHandler`, so the Pipecat peer, which runs in its own virtual
environment, answers from the same catalog with the same results.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

from edge.stt import WhisperStt
from edge.tts import PiperTts, split_sentences
from kiosk.cloud.factory import vad_model_factory
from kiosk.cloud.sim.brain import IMAGE_TOKENS, Brain, compose, find_place
from kiosk.cloud.sim.options import SimOptions
from kiosk.cloud.sim.server import SimServer, SimThread
from kiosk.cloud.tools import ToolHandler
from kiosk.config import KioskConfig
from kiosk.models import ModelCache
from kiosk.runtime import open_voice
from kiosk.store.catalog import Catalog

log = logging.getLogger(__name__)


@dataclass
class ServerTurn:
    started_ns: int
    """The server took the end of the shopper's turn."""
    first_audio_ns: int | None = None
    hear_ms: float = 0.0
    """The simulator's own speech recognition (a real Whisper run)."""
    tokens: dict[str, int] = field(default_factory=dict)
    images: int = 0

    def to_json(self) -> dict[str, Any]:
        ttfb = (
            round((self.first_audio_ns - self.started_ns) / 1e6, 1)
            if self.first_audio_ns is not None
            else None
        )
        return {
            "started_ns": self.started_ns,
            "first_audio_ns": self.first_audio_ns,
            "ttfb_ms": ttfb,
            "hear_ms": round(self.hear_ms, 1),
            "tokens": self.tokens,
            "images": self.images,
        }


class TimedBrain(Brain):
    """The simulator's brain, timing its recognition.

    With `scripted` it hears what the shopper is asking (the benchmark tells it when each
    question starts) instead of running Whisper: the real service's understanding is part of
    its time to first byte, which is the configured delay. Running Whisper here, on the same
    two cores as the system under test, would add a second or more to every cloud turn that
    no real service adds."""

    def __init__(self, stt: WhisperStt, tts: PiperTts, scripted: bool = True) -> None:
        super().__init__(stt, tts)
        self.scripted = scripted
        self.asking = ""
        """The question being asked now (set by the benchmark)."""
        self.on_heard: list[float] = []

    def hear(self, audio: np.ndarray) -> str:
        start = time.perf_counter()
        try:
            if self.scripted and audio.size >= 1600:
                return self.asking
            return super().hear(audio)
        finally:
            self.on_heard.append((time.perf_counter() - start) * 1000)

    def rehearse(self, catalog: Catalog, questions: list[str]) -> int:
        """Speak once every reply these questions will get, so no turn waits for Piper:
        the reply follows from the catalog's answer to the question. Returns how many."""
        tools = ToolHandler(catalog)
        sentences: list[str] = []
        for reply in FIXED_REPLIES:
            sentences += split_sentences(reply)
        for question in questions:
            found = tools.call("", "lookup_product", {"query": question}).response
            sentences += split_sentences(compose(question, find_place(found)))
        unique = list(dict.fromkeys(sentences))
        for sentence in unique:
            self.render(sentence)
        return len(unique)


class LoggedSimServer(SimServer):
    """The simulator, keeping one `ServerTurn` per turn it answers."""

    def __init__(self, brain: TimedBrain, options: SimOptions, vad: Any) -> None:
        super().__init__(brain, options, vad_factory=vad)
        self.timed_brain = brain
        self.turn_log: list[ServerTurn] = []
        self._heard_seen = 0

    def next_turn(self) -> int:
        self.turn_log.append(ServerTurn(time.monotonic_ns()))
        return super().next_turn()

    def record(self, text: str) -> None:
        super().record(text)
        if not self.turn_log:
            return
        turn = self.turn_log[-1]
        heard = self.timed_brain.on_heard
        if len(heard) > self._heard_seen:
            turn.hear_ms += sum(heard[self._heard_seen :])
            self._heard_seen = len(heard)
        if turn.first_audio_ns is None and '"inlineData"' in text:
            turn.first_audio_ns = time.monotonic_ns()
        elif '"usageMetadata"' in text:
            turn.tokens, turn.images = _usage(json.loads(text).get("usageMetadata", {}))

    def turns_between(self, start_ns: int, end_ns: int) -> list[ServerTurn]:
        return [t for t in self.turn_log if start_ns <= t.started_ns < end_ns]


def _usage(meta: dict[str, Any]) -> tuple[dict[str, int], int]:
    tokens = {
        "prompt": int(meta.get("promptTokenCount", 0)),
        "response": int(meta.get("responseTokenCount", 0)),
        "total": int(meta.get("totalTokenCount", 0)),
    }
    images = 0
    for detail in meta.get("promptTokensDetails", []):
        modality = str(detail.get("modality", "")).lower()
        count = int(detail.get("tokenCount", 0))
        tokens[f"prompt_{modality}"] = count
        if modality == "image":
            images = count // IMAGE_TOKENS
    return tokens, images


FIXED_REPLIES = (compose("", None), compose("something", None))


def start_sim(
    config: KioskConfig,
    models: ModelCache,
    ttfb_ms: float,
    catalog: Catalog,
    questions: list[str],
    scripted: bool = True,
    pace: float = 0.0,
) -> SimThread:
    """The simulator with Piper (and Whisper unless `scripted`), its replies rehearsed.
    `pace` 0 sends reply audio as fast as it is made, 1 in real time."""
    stt = WhisperStt(models.require(config.stt.model), config.stt.options())
    tts = open_voice(config, models)
    brain = TimedBrain(stt, tts, scripted)
    brain.rehearse(catalog, questions)
    if not scripted:
        brain.hear(np.zeros(16000, dtype=np.float32))  # load the model before the first turn
    options = SimOptions(ttfb_ms=ttfb_ms, pace=pace, record_messages=False)
    server = LoggedSimServer(brain, options, vad_model_factory(models.require_file("silero-vad")))
    return SimThread(server)


class CatalogService:
    """The store's tools over loopback HTTP: POST {"id", "name", "args"} -> the response."""

    def __init__(self, catalog: Catalog) -> None:
        self.tools = ToolHandler(catalog)
        lock = threading.Lock()
        tools = self.tools

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                try:
                    call = json.loads(self.rfile.read(length))
                    with lock:
                        outcome = tools.call(
                            str(call.get("id", "")), str(call["name"]), dict(call.get("args", {}))
                        )
                    body = json.dumps(outcome.response).encode()
                    self.send_response(200)
                except (ValueError, KeyError, TypeError) as exc:
                    body = json.dumps({"error": f"bad tool call: {exc}"}).encode()
                    self.send_response(400)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: one line per tool call is noise."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="catalog-service", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"

    def start(self) -> CatalogService:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
