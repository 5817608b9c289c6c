"""One turn: an utterance's audio in; transcript, route, reply text and reply audio out.

The same engine serves `kiosk ask` and the live loop of `kiosk run`. Its stages are injected
behind small protocols, so unit tests drive it with hand-written fakes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from edge.stt import Transcript
from edge.tts import SpeechChunk
from edge.vad import SAMPLE_RATE, VadOptions, find_speech
from kiosk.agent.answers import fallback_reply, local_reply
from kiosk.agent.intent import classify
from kiosk.agent.ports import CloudError, CloudReply, CloudRequest, CloudResponder
from kiosk.agent.router import RouteDecision, RouterOptions, decide
from kiosk.store.catalog import Catalog
from kiosk.store.pack import Shelf


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

    def __post_init__(self) -> None:
        words = self.catalog.vocabulary() if self.bias_stt else []
        self._prompt = ("Shopper asking about " + ", ".join(words) + ".") if words else None

    def run(self, audio: np.ndarray, trim: bool = True) -> TurnResult:
        """Audio of one utterance (float32, 16 kHz mono) to a spoken answer. With `trim`, the
        VAD first cuts the audio to its speech; a live loop has already done that."""
        timings: dict[str, float] = {}
        speech = np.asarray(audio, dtype=np.float32)
        if trim:
            start = self.clock()
            speech = self._trim_to_speech(speech)
            timings["vad"] = self._elapsed(start)
        transcript = Transcript("", 0.0, 1.0)
        if speech.size:
            start = self.clock()
            transcript = self.stt.transcribe(speech, prompt=self._prompt)
            timings["stt"] = self._elapsed(start)
        return self.answer(transcript, timings, audio=speech)

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
    ) -> TurnResult:
        """Route a transcript and speak the reply; escalated turns go to the cloud with the
        utterance's audio, and fall back honestly when the cloud fails."""
        timings = dict(timings or {})
        start = self.clock()
        decision = self.route(transcript)
        store = self.catalog.store
        timings["route"] = self._elapsed(start)
        if decision.route == "cloud" and self.cloud is not None:
            reply = self._ask_cloud(decision, transcript, audio, timings)
            if reply is not None:
                shelf = store.shelves.get(reply.shelf_id or "")
                return TurnResult(
                    transcript.text,
                    decision,
                    reply.text,
                    shelf,
                    timings,
                    reply.audio,
                    reply.sample_rate,
                )
            decision = RouteDecision(
                "fallback", f"{decision.reason}; cloud failed", decision.intent
            )
        reply_text = (
            local_reply(decision, store)
            if decision.route == "local"
            else fallback_reply(decision, store)
        )
        audio_out, rate = self._speak(reply_text, timings)
        local = decision.product is not None and decision.route == "local"
        shelf = store.shelf_of(decision.product) if local and decision.product else None
        return TurnResult(transcript.text, decision, reply_text, shelf, timings, audio_out, rate)

    def _ask_cloud(
        self,
        decision: RouteDecision,
        transcript: Transcript,
        audio: np.ndarray | None,
        timings: dict[str, float],
    ) -> CloudReply | None:
        assert self.cloud is not None
        start = self.clock()
        request = CloudRequest(
            transcript=transcript.text,
            audio=audio if audio is not None else np.zeros(0, dtype=np.float32),
            reason=decision.reason,
        )
        try:
            reply = self.cloud.respond(request)
        except CloudError:
            timings["cloud"] = self._elapsed(start)
            return None
        timings["cloud"] = self._elapsed(start)
        for stage, ms in reply.timings_ms.items():
            timings[f"cloud_{stage}"] = ms
        return reply

    def route(self, transcript: Transcript) -> RouteDecision:
        intent = classify(transcript.text)
        matches = self.catalog.search(transcript.text) if transcript.text else []
        return decide(
            transcript.text,
            intent,
            matches,
            self.router_options,
            cloud_available=self.cloud is not None and self.cloud.available(),
            stt_confidence=transcript.confidence,
        )

    def _trim_to_speech(self, audio: np.ndarray) -> np.ndarray:
        probs = self.vad.probabilities(audio)
        segments = find_speech(probs, self.vad_options)
        if not segments:
            return np.zeros(0, dtype=np.float32)
        first = int(segments[0].start_s * SAMPLE_RATE)
        last = int(segments[-1].end_s * SAMPLE_RATE)
        return np.asarray(audio[first:last], dtype=np.float32)

    def _speak(self, text: str, timings: dict[str, float]) -> tuple[np.ndarray, int]:
        start = self.clock()
        parts: list[np.ndarray] = []
        rate = self.tts.sample_rate
        for chunk in self.tts.stream(text):
            if not parts:
                timings["tts_first_audio"] = self._elapsed(start)
            parts.append(chunk.samples)
            rate = chunk.sample_rate
        timings["tts"] = self._elapsed(start)
        audio = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
        return audio, rate

    def _elapsed(self, start: float) -> float:
        return (self.clock() - start) * 1000.0
