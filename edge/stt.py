"""Speech to text with faster-whisper (CTranslate2), biased toward the store's vocabulary."""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from edge.errors import ModelLoadError


@dataclass(frozen=True)
class SttOptions:
    beam_size: int = 1
    compute_type: str = "int8"
    cpu_threads: int = 2
    language: str = "en"


@dataclass(frozen=True)
class Transcript:
    text: str
    confidence: float
    """exp(mean token log-probability) over the segments, 0..1."""
    no_speech_prob: float


class WhisperStt:
    """faster-whisper over a local CTranslate2 model folder."""

    def __init__(self, model_dir: Path, options: SttOptions | None = None) -> None:
        from faster_whisper import WhisperModel

        self.options = options or SttOptions()
        if not (Path(model_dir) / "model.bin").is_file():
            raise ModelLoadError(f"{model_dir}: no model.bin (run `kiosk models fetch`)")
        self._model = WhisperModel(
            str(model_dir),
            device="cpu",
            compute_type=self.options.compute_type,
            cpu_threads=self.options.cpu_threads,
            local_files_only=True,
        )

    def transcribe(self, audio: np.ndarray, prompt: str | None = None) -> Transcript:
        """Transcribe float32 16 kHz mono audio. `prompt` biases the decoder toward its words."""
        segments, _ = self._model.transcribe(
            np.asarray(audio, dtype=np.float32),
            language=self.options.language,
            beam_size=self.options.beam_size,
            initial_prompt=prompt,
            condition_on_previous_text=False,
            without_timestamps=True,
            vad_filter=False,
        )
        parts = list(segments)
        text = " ".join(s.text.strip() for s in parts).strip()
        if not parts:
            return Transcript(text="", confidence=0.0, no_speech_prob=1.0)
        logprob = sum(s.avg_logprob for s in parts) / len(parts)
        no_speech = max(s.no_speech_prob for s in parts)
        return Transcript(text=text, confidence=math.exp(logprob), no_speech_prob=no_speech)


class Recognizer(Protocol):
    def transcribe(self, audio: np.ndarray, prompt: str | None = None) -> Transcript: ...


class SpeculativeStt:
    """Transcribes an utterance before its turn has ended, so the transcript is ready when it
    does. `start` begins decoding audio on a worker thread (during the end-of-turn silence);
    `transcribe` with the same audio and prompt then returns that result, waiting for it if it
    is still running. Anything else is decoded as usual."""

    def __init__(self, stt: Recognizer, keep: int = 4) -> None:
        self.stt = stt
        self._keep = keep
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stt")
        self._futures: OrderedDict[tuple[bytes, str | None], Future[Transcript]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def _key(audio: np.ndarray, prompt: str | None) -> tuple[bytes, str | None]:
        data = np.ascontiguousarray(audio, dtype=np.float32).tobytes()
        return hashlib.blake2b(data, digest_size=16).digest(), prompt

    def start(self, audio: np.ndarray, prompt: str | None = None) -> Future[Transcript]:
        samples = np.array(audio, dtype=np.float32)
        key = self._key(samples, prompt)
        with self._lock:
            future = self._futures.get(key)
            if future is None:
                future = self._pool.submit(self.stt.transcribe, samples, prompt)
                self._futures[key] = future
                while len(self._futures) > self._keep:
                    _, old = self._futures.popitem(last=False)
                    old.cancel()
            return future

    def transcribe(self, audio: np.ndarray, prompt: str | None = None) -> Transcript:
        key = self._key(audio, prompt)
        with self._lock:
            future = self._futures.pop(key, None)
        if future is not None and not future.cancelled():
            self.hits += 1
            return future.result()
        self.misses += 1
        return self.stt.transcribe(audio, prompt)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
