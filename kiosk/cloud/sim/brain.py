"""The simulator's scripted, deterministic brain: hear with the local STT, use the tools the
client declared, answer in a fixed phrasing, speak with Piper at 24 kHz.

The same words always give the same tool calls and the same reply, so tests and benchmarks
can compare runs. What it heard and what it said are remembered (a small LRU keyed by the audio's
digest and by the sentence), so a repeated question costs no model time: with `--ttfb-ms 0` the
simulator then answers as fast as the protocol allows.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import numpy as np
import soxr

from edge.stt import Transcript
from edge.tts import SpeechChunk
from kiosk.cloud.wire import REPLY_RATE

AUDIO_TOKENS_PER_S = 32
CACHE_SIZE = 64
T = TypeVar("T")
IMAGE_TOKENS = 258


class Recognizer(Protocol):
    def transcribe(self, audio: np.ndarray, prompt: str | None = None) -> Transcript: ...


class Synthesizer(Protocol):
    sample_rate: int

    def stream(self, text: str) -> Iterator[SpeechChunk]: ...


@dataclass(frozen=True)
class Place:
    name: str
    shelf_id: str
    shelf_label: str


class Brain:
    def __init__(self, stt: Recognizer, tts: Synthesizer) -> None:
        self._stt = stt
        self._tts = tts
        self._lock = threading.Lock()
        self._heard: OrderedDict[str, str] = OrderedDict()
        self._voiced: OrderedDict[str, np.ndarray] = OrderedDict()

    def hear(self, audio: np.ndarray) -> str:
        """Float32 16 kHz mono to text (blocking: run it in an executor)."""
        if audio.size < 1600:
            return ""
        samples = np.asarray(audio, dtype=np.float32)
        key = hashlib.sha256(samples.tobytes()).hexdigest()
        with self._lock:
            if key not in self._heard:
                self._heard[key] = self._stt.transcribe(samples).text.strip()
            return _recent(self._heard, key)

    def render(self, sentence: str) -> np.ndarray:
        """One sentence as int16 24 kHz mono (blocking: run it in an executor)."""
        with self._lock:
            if sentence in self._voiced:
                return _recent(self._voiced, sentence)
            chunks = list(self._tts.stream(sentence))
        parts = []
        for chunk in chunks:
            voice = chunk.samples.astype(np.float32) / 32768.0
            if chunk.sample_rate != REPLY_RATE:
                voice = np.asarray(soxr.resample(voice, chunk.sample_rate, REPLY_RATE, "HQ"))
            parts.append(np.clip(voice * 32768.0, -32768, 32767).astype(np.int16))
        pcm = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
        with self._lock:
            self._voiced[sentence] = pcm
            return _recent(self._voiced, sentence)


def _recent(cache: OrderedDict[str, T], key: str) -> T:
    cache.move_to_end(key)
    while len(cache) > CACHE_SIZE:
        cache.popitem(last=False)
    return cache[key]


def find_place(response: Any) -> Place | None:
    """The first product with a shelf in a lookup_product response, wherever it is nested."""
    if isinstance(response, dict):
        shelf = response.get("shelf_id") or response.get("shelfId")
        if isinstance(shelf, str) and shelf:
            label = response.get("shelf") or response.get("shelf_label") or shelf
            return Place(str(response.get("name", "that")), shelf, str(label))
        for value in response.values():
            found = find_place(value)
            if found is not None:
                return found
    elif isinstance(response, list):
        for value in response:
            found = find_place(value)
            if found is not None:
                return found
    return None


def compose(heard: str, place: Place | None) -> str:
    """The scripted reply."""
    if not heard:
        return "Sorry, I didn't catch that. Could you say it again?"
    if place is None:
        return "I'm not sure about that one. Please ask a member of staff, they'll know."
    name = place.name.split(",")[0].strip()
    label = place.shelf_label[:1].lower() + place.shelf_label[1:]
    return f"You'll find the {name} in {label}. I've marked it on the map."


def usage(
    heard_s: float, text_chars: int, images: int, reply_s: float, reply_chars: int
) -> dict[str, Any]:
    """usageMetadata in Gemini's shape, counted the way Gemini counts."""
    prompt = {
        "AUDIO": round(heard_s * AUDIO_TOKENS_PER_S),
        "TEXT": max(text_chars // 4, 1),
        "IMAGE": images * IMAGE_TOKENS,
    }
    response = {"AUDIO": round(reply_s * AUDIO_TOKENS_PER_S), "TEXT": reply_chars // 4}
    prompt_total, response_total = sum(prompt.values()), sum(response.values())
    return {
        "promptTokenCount": prompt_total,
        "responseTokenCount": response_total,
        "totalTokenCount": prompt_total + response_total,
        "promptTokensDetails": [{"modality": m, "tokenCount": n} for m, n in prompt.items() if n],
        "responseTokensDetails": [
            {"modality": m, "tokenCount": n} for m, n in response.items() if n
        ],
    }
