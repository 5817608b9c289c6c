"""One turn: an utterance's audio in; transcript, route, reply text and reply audio out.

The same engine serves `kiosk ask` and the live loop of `kiosk run`. Its stages are injected
behind small protocols, so unit tests drive it with hand-written fakes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

import numpy as np

from edge.stt import Transcript
from edge.tts import ReplyStopped, SpeechChunk, speech_tap
from edge.vad import SAMPLE_RATE, VadOptions, find_speech
from kiosk.agent.answers import fallback_reply, local_reply
from kiosk.agent.context import VisitContext
from kiosk.agent.intent import classify
from kiosk.agent.ports import (
    CloudError,
    CloudReply,
    CloudRequest,
    CloudResponder,
    Scene,
    SceneProvider,
)
from kiosk.agent.prewarm import Prewarmer
from kiosk.agent.recheck import listen_again
from kiosk.agent.router import HeldItem, RouteDecision, RouterOptions, decide
from kiosk.agent.speech_cache import SentenceCache
from kiosk.events import TurnCompleted
from kiosk.store.catalog import Catalog
from kiosk.store.pack import Shelf
from kiosk.store.text import words

log = logging.getLogger(__name__)


def _chunks_to(
    tap: Callable[[SpeechChunk], None], stopped: threading.Event
) -> Callable[[np.ndarray, int], None]:
    """Cloud reply audio, as it arrives, to a live loop's speech tap. Once the tap stops the
    reply (a barge-in: `stopped` is set) or fails, the rest of it is not handed over."""
    given_up = False

    def play(samples: np.ndarray, rate: int) -> None:
        nonlocal given_up
        if given_up or stopped.is_set():
            return
        try:
            tap(SpeechChunk(np.asarray(samples, dtype=np.int16), rate, ""))
        except ReplyStopped:
            stopped.set()
        except Exception:  # on the cloud client's thread: the turn must still finish
            given_up = True
            log.warning("cloud reply audio could not be played as it arrived", exc_info=True)

    return play


def mono_float32(audio: np.ndarray) -> np.ndarray:
    """An utterance of any kind as float32 mono in [-1, 1]: integer PCM scaled, the channels
    of a 2-D array averaged (the shorter axis), NaN silent and infinities at full scale."""
    raw = np.asarray(audio)
    if raw.dtype.kind in "iu":
        low, high = int(np.iinfo(raw.dtype).min), int(np.iinfo(raw.dtype).max)
        raw = (raw.astype(np.float64) - (high + low + 1) / 2) / ((high - low + 1) / 2)
    if raw.ndim == 2:
        raw = raw.mean(axis=1 if raw.shape[1] <= raw.shape[0] else 0)
    mono = np.asarray(raw, dtype=np.float32).reshape(-1)
    if not np.isfinite(mono).all():
        mono = np.nan_to_num(mono, nan=0.0, posinf=1.0, neginf=-1.0)
    return np.clip(mono, -1.0, 1.0)


class SpeechDetector(Protocol):
    def probabilities(self, samples: np.ndarray) -> np.ndarray: ...


class SpeechRecognizer(Protocol):
    def transcribe(self, audio: np.ndarray, prompt: str | None = None) -> Transcript: ...


class SpeechSynthesizer(Protocol):
    sample_rate: int

    def stream(self, text: str) -> Iterator[SpeechChunk]: ...


@dataclass(frozen=True)
class TurnResult:
    transcript: str
    decision: RouteDecision
    reply_text: str
    shelf: Shelf | None
    timings_ms: dict[str, float]
    reply_audio: np.ndarray = field(repr=False)
    reply_rate: int
    tokens: dict[str, int] = field(default_factory=dict)
    interrupted: bool = False
    """The cloud reported the reply cut off (the speaker's own barge-in is the loop's)."""
    error: str | None = None
    """Why the cloud failed, when this turn fell back because of it."""
    stt_confidence: float = 1.0

    @property
    def first_audio_ms(self) -> float:
        """Processing time from the end of the utterance to the first reply audio: recognition,
        routing and the first sentence of speech (or the cloud's first audio)."""
        t = self.timings_ms
        reply = t.get("cloud_first_audio", t.get("cloud", 0.0)) if "cloud" in t else 0.0
        if not reply:
            reply = t.get("tts_first_audio", t.get("tts", 0.0))
        return t.get("stt", 0.0) + t.get("stt_recheck", 0.0) + t.get("route", 0.0) + reply

    def completed(
        self,
        latency_ms: float | None = None,
        interrupted: bool = False,
        source: Literal["voice", "touch"] = "voice",
    ) -> TurnCompleted:
        """The event telling observers (telemetry, the state machine) this turn is done.
        `latency_ms` is end of speech to first audio as the loop measured it; without it, the
        processing time `first_audio_ms` stands in."""
        product = self.decision.product if self.decision.route == "local" else None
        return TurnCompleted(
            transcript=self.transcript,
            route=self.decision.route,
            reason=self.decision.reason,
            intent=self.decision.intent.value,
            shelf_id=self.shelf.id if self.shelf else None,
            product_sku=product.sku if product else None,
            reply_text=self.reply_text,
            timings_ms=dict(self.timings_ms),
            latency_ms=self.first_audio_ms if latency_ms is None else latency_ms,
            tokens=dict(self.tokens),
            interrupted=interrupted or self.interrupted,
            error=self.error,
            source=source,
        )

    def to_json(self) -> dict[str, Any]:
        product = self.decision.product if self.decision.route == "local" else None
        return {
            "transcript": self.transcript,
            "route": self.decision.route,
            "reason": self.decision.reason,
            "product": {"sku": product.sku, "name": product.name} if product else None,
            "shelf": self.shelf.id if self.shelf else None,
            "reply_text": self.reply_text,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
        }


@dataclass
class TurnEngine:
    catalog: Catalog
    vad: SpeechDetector
    stt: SpeechRecognizer
    tts: SpeechSynthesizer
    vad_options: VadOptions = field(default_factory=VadOptions)
    router_options: RouterOptions = field(default_factory=RouterOptions)
    bias_stt: bool = True
    cloud: CloudResponder | None = None
    clock: Callable[[], float] = time.perf_counter
    scene: SceneProvider | None = None
    """The camera's view: what the shopper holds up, and the redacted frame for the cloud."""
    context: VisitContext = field(default_factory=VisitContext)

    def __post_init__(self) -> None:
        vocabulary = self.catalog.vocabulary() if self.bias_stt else []
        self._prompt = (
            ("Shopper asking about " + ", ".join(vocabulary) + ".") if vocabulary else None
        )
        self._voice = SentenceCache(self.tts)
        self.idle = threading.Event()
        """Set while no turn is running and no shopper is speaking: background work waits
        for it."""
        self.idle.set()
        self._busy = 0
        self._busy_lock = threading.Lock()
        self._shopper_speaking = False

    def prewarm(self) -> Prewarmer:
        """Synthesise the store's common answers in the background while no turn runs, so a
        shopper hears them at once. Stop it before shutting down."""
        return Prewarmer(self._voice, self.catalog.store, self.idle)

    def shopper_speaking(self, speaking: bool) -> None:
        """A live loop says when a shopper starts and stops speaking: the speculative
        transcript of what they say needs the CPU as much as the turn after it, so background
        work waits meanwhile."""
        if speaking != self._shopper_speaking:
            self._shopper_speaking = speaking
            (self._hold_background if speaking else self._release_background)()

    @contextmanager
    def _turn(self) -> Iterator[None]:
        self._hold_background()
        try:
            yield
        finally:
            self._release_background()

    def _hold_background(self) -> None:
        with self._busy_lock:
            self._busy += 1
            self.idle.clear()

    def _release_background(self) -> None:
        with self._busy_lock:
            self._busy -= 1
            if not self._busy:
                self.idle.set()

    @property
    def stt_prompt(self) -> str | None:
        """The prompt given to the recogniser: a speculative decode must use the same."""
        return self._prompt

    def end_visit(self) -> None:
        """The shopper left: forget what they asked and were shown."""
        self.context.clear()

    def run(self, audio: np.ndarray, trim: bool = True, ended_ns: int | None = None) -> TurnResult:
        """Audio of one utterance (float32, 16 kHz mono) to a spoken answer. With `trim`, the
        VAD first cuts the audio to its speech; a live loop has already done that. `ended_ns`
        is the utterance's end (monotonic ns): the scene used is never newer."""
        with self._turn():
            return self._run(audio, trim, ended_ns)

    def _run(self, audio: np.ndarray, trim: bool, ended_ns: int | None) -> TurnResult:
        timings: dict[str, float] = {}
        speech = mono_float32(audio)
        if trim:
            start = self.clock()
            speech = self._trim_to_speech(speech)
            timings["vad"] = self._elapsed(start)
        transcript = Transcript("", 0.0, 1.0)
        if speech.size:
            start = self.clock()
            transcript = self.stt.transcribe(speech, prompt=self._prompt)
            timings["stt"] = self._elapsed(start)
            start = self.clock()
            options = self.router_options
            second, tried = listen_again(self.catalog, self.stt, speech, transcript, options)
            if tried:
                timings["stt_recheck"] = self._elapsed(start)
            if second is not None:
                again = "; heard on a second listen with a catalog hint"
                return self.answer(second, timings, speech, ended_ns, again)
        return self.answer(transcript, timings, audio=speech, ended_ns=ended_ns)

    def warm_up(self) -> float:
        """Run each model once on a throwaway input, so the first shopper doesn't pay for
        lazy initialisation. Returns the milliseconds it took."""
        start = self.clock()
        quiet = np.zeros(SAMPLE_RATE // 2, dtype=np.float32)
        self.vad.probabilities(quiet)
        self.stt.transcribe(quiet, prompt=self._prompt)
        for _ in self.tts.stream("Hello."):
            pass
        return self._elapsed(start)

    def answer(
        self,
        transcript: Transcript,
        timings: dict[str, float] | None = None,
        audio: np.ndarray | None = None,
        ended_ns: int | None = None,
        note: str = "",
    ) -> TurnResult:
        """Route a transcript and speak the reply; escalated turns go to the cloud with the
        utterance's audio, the latest redacted frame and the visit's context, and fall back
        honestly when the cloud fails."""
        with self._turn():
            return self._answer(transcript, dict(timings or {}), audio, ended_ns, note)

    def _answer(
        self,
        transcript: Transcript,
        timings: dict[str, float],
        audio: np.ndarray | None,
        ended_ns: int | None,
        note: str,
    ) -> TurnResult:
        start = self.clock()
        scene = self.scene.latest(ended_ns) if self.scene is not None else None
        decision = self.route(transcript, scene)
        if note:
            decision = replace(decision, reason=decision.reason + note)
        store = self.catalog.store
        timings["route"] = self._elapsed(start)
        result = None
        error = None
        if decision.route == "cloud" and self.cloud is not None:
            reply, error = self._ask_cloud(decision, transcript, audio, timings, scene, ended_ns)
            if reply is not None:
                result = TurnResult(
                    transcript.text,
                    decision,
                    reply.text,
                    store.shelves.get(reply.shelf_id or ""),
                    timings,
                    reply.audio,
                    reply.sample_rate,
                    tokens=dict(reply.tokens),
                    interrupted=reply.interrupted,
                    stt_confidence=transcript.confidence,
                )
            else:
                decision = RouteDecision(
                    "fallback", f"{decision.reason}; cloud failed", decision.intent
                )
        if result is None:
            reply_text = (
                local_reply(decision, store)
                if decision.route == "local"
                else fallback_reply(decision, store)
            )
            audio_out, rate, stopped = self._speak(reply_text, timings)
            local = decision.product is not None and decision.route == "local"
            shelf = store.shelf_of(decision.product) if local and decision.product else None
            result = TurnResult(
                transcript.text,
                decision,
                reply_text,
                shelf,
                timings,
                audio_out,
                rate,
                error=error,
                stt_confidence=transcript.confidence,
                interrupted=stopped,
            )
        self.context.add_turn(
            result.transcript,
            decision,
            result.reply_text,
            result.shelf.label if result.shelf else None,
        )
        return result

    def _ask_cloud(
        self,
        decision: RouteDecision,
        transcript: Transcript,
        audio: np.ndarray | None,
        timings: dict[str, float],
        scene: Scene | None,
        ended_ns: int | None,
    ) -> tuple[CloudReply | None, str | None]:
        assert self.cloud is not None
        start = self.clock()
        tap = speech_tap.get()  # a live loop plays the reply as it streams in
        stopped = threading.Event()
        request = CloudRequest(
            transcript=transcript.text,
            audio=audio if audio is not None else np.zeros(0, dtype=np.float32),
            reason=decision.reason,
            context=self.context.summary(),
            frame_jpeg=scene.frame_jpeg if scene is not None else None,
            speech_ended_ns=ended_ns,
            on_audio=_chunks_to(tap, stopped) if tap is not None else None,
        )
        try:
            reply = self.cloud.respond(request)
        except CloudError as exc:
            timings["cloud"] = self._elapsed(start)
            return None, str(exc) or type(exc).__name__
        timings["cloud"] = self._elapsed(start)
        for stage, ms in reply.timings_ms.items():
            timings[f"cloud_{stage}"] = ms
        return (replace(reply, interrupted=True) if stopped.is_set() else reply), None

    def route(self, transcript: Transcript, scene: Scene | None = None) -> RouteDecision:
        """The routing decision for a transcript, given what the camera sees."""
        matches = self.catalog.search(transcript.text) if transcript.text else []
        product_words = words(matches[0].phrase) if matches else []
        held = self._held(scene)
        if held is not None:
            self.context.note_held(held.product.name if held.product else None)
        return decide(
            transcript.text,
            classify(transcript.text, product_words),
            matches,
            self.router_options,
            cloud_available=self.cloud is not None and self.cloud.available(),
            stt_confidence=transcript.confidence,
            held=held,
            pending=self.context.pending,
        )

    def _held(self, scene: Scene | None) -> HeldItem | None:
        if scene is None:
            return None
        if scene.held is not None:
            product = self.catalog.by_sku(scene.held.sku)
            return HeldItem(product, scene.held.how, scene.held.score)
        if scene.unknown_item_held:
            return HeldItem(None)
        return None

    def _trim_to_speech(self, audio: np.ndarray) -> np.ndarray:
        probs = self.vad.probabilities(audio)
        segments = find_speech(probs, self.vad_options)
        if not segments:
            return np.zeros(0, dtype=np.float32)
        first = int(segments[0].start_s * SAMPLE_RATE)
        last = int(segments[-1].end_s * SAMPLE_RATE)
        return np.asarray(audio[first:last], dtype=np.float32)

    def _speak(self, text: str, timings: dict[str, float]) -> tuple[np.ndarray, int, bool]:
        """The reply's audio, its rate, and whether the live loop stopped it part way."""
        start = self.clock()
        parts: list[np.ndarray] = []
        rate = self.tts.sample_rate
        tap = speech_tap.get()  # a live loop plays each chunk as soon as it is made
        stopped = False
        for chunk in self._voice.stream(text):
            if not parts:
                timings["tts_first_audio"] = self._elapsed(start)
            parts.append(chunk.samples)
            rate = chunk.sample_rate
            if tap is not None:
                try:
                    tap(chunk)
                except ReplyStopped:
                    stopped = True
                    break
        timings["tts"] = self._elapsed(start)
        audio = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
        return audio, rate, stopped

    def _elapsed(self, start: float) -> float:
        return (self.clock() - start) * 1000.0
