"""Speech to text with faster-whisper (CTranslate2), biased toward the store's vocabulary."""

from __future__ import annotations

import hashlib
import logging
import math
import os
import sys
import threading
from collections import OrderedDict
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from edge.errors import ModelLoadError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SttOptions:
    beam_size: int = 1
    compute_type: str = "int8"
    cpu_threads: int = 2
    language: str = "en"
    window_s: float | None = 12.0
    """Encode a window this long (or the utterance plus `WINDOW_TAIL_S` when longer) instead of
    Whisper's fixed 30 s: the encoder is most of the decode and its time shrinks with the window
    (tiny.en on 2 cores: about 350 ms for 30 s, 80 ms for 12 s). Shorter windows decode worse
    (routing set: 94% of routes right at 30 s and 12 s, 88% at 8 s). None: always 30 s."""


WINDOW_TAIL_S = 1.5
"""Silence kept after the speech in a fitted window: Whisper ends a transcript better with it."""
MAX_WINDOW_S = 30.0
NO_SPEECH = 0.6
"""With an average log-probability below LOW_LOGPROB, a window whose no-speech probability is
above this is silence or noise: Whisper's own rule, applied as faster-whisper applies it."""
LOW_LOGPROB = -1.0
MAX_COMPRESSION = 2.4
"""A transcript that compresses better than this repeats itself: decode the 30 s way instead."""

OPENMP_WAIT = {"OMP_WAIT_POLICY": "ACTIVE", "GOMP_SPINCOUNT": "100000"}
"""How CTranslate2's OpenMP threads (its own libgomp) wait between the small parallel steps a
decoded token takes. When libgomp counts more of its threads than cores, its default spins 100
times and then sleeps, so each step pays a wake-up: on 2 cores about 10 ms a token, against
about 5 ms with ACTIVE (1,000 spins there), and Whisper's text probe 181-194 ms against 219-247
(p50 on the end-of-turn set). GOMP_SPINCOUNT bounds the spinning where cores are to spare (ACTIVE
alone spins for minutes after each step there). libgomp reads both once, when CTranslate2
loads."""


def prepare_openmp() -> bool:
    """Set `OPENMP_WAIT` for CTranslate2 unless the operator set either variable. False when
    CTranslate2 is loaded already: libgomp has read its settings, and these come too late."""
    if "ctranslate2" in sys.modules:
        return False
    if not any(name in os.environ for name in OPENMP_WAIT):
        os.environ.update(OPENMP_WAIT)
    return True


@dataclass(frozen=True)
class Transcript:
    text: str
    confidence: float
    """exp(mean token log-probability) over the segments, 0..1."""
    no_speech_prob: float


class WhisperStt:
    """faster-whisper over a local CTranslate2 model folder."""

    def __init__(self, model_dir: Path, options: SttOptions | None = None) -> None:
        if not prepare_openmp() and not any(name in os.environ for name in OPENMP_WAIT):
            log.warning(
                "CTranslate2 was loaded before its threads' wait was set: decoding is slower"
            )
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
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        self._tokenizer = Tokenizer(
            self._model.hf_tokenizer,
            self._model.model.is_multilingual,
            task="transcribe",
            language=self.options.language,
        )
        self._suppressed = list(get_suppressed_tokens(self._tokenizer, [-1]))
        self._prompts: dict[str | None, list[int]] = {}

    def transcribe(self, audio: np.ndarray, prompt: str | None = None) -> Transcript:
        """Transcribe float32 16 kHz mono audio. `prompt` biases the decoder toward its words."""
        samples = np.asarray(audio, dtype=np.float32)
        window = self.options.window_s
        if window is not None and len(samples) / 16000 + WINDOW_TAIL_S <= MAX_WINDOW_S:
            fitted = self._transcribe_window(samples, prompt, window)
            if fitted is not None:
                return fitted
        return self._transcribe_30s(samples, prompt)

    def _transcribe_window(
        self, samples: np.ndarray, prompt: str | None, window_s: float
    ) -> Transcript | None:
        """One greedy decode over a window fitted to the utterance; None when it repeats
        itself (the caller then decodes the usual way)."""
        from faster_whisper.audio import pad_or_trim
        from faster_whisper.transcribe import get_compression_ratio

        model = self._model
        seconds = min(max(len(samples) / 16000 + WINDOW_TAIL_S, window_s), MAX_WINDOW_S)
        frames = 2 * math.ceil(seconds * 50)  # 100 feature frames a second, an even count
        padded = np.zeros(int(seconds * 16000), np.float32)  # silence, as Whisper pads: it
        padded[: len(samples)] = samples  # decodes better than padding the features with zeros
        features = pad_or_trim(model.feature_extractor(padded), frames)
        tokens = self._prompt_tokens(prompt)
        result = model.model.generate(
            model.encode(features),
            [tokens],
            beam_size=self.options.beam_size,
            max_length=min(len(tokens) + 8 * math.ceil(seconds) + 8, model.max_length),
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=self._suppressed,
        )[0]
        tokenizer = self._tokenizer
        ids = [t for t in result.sequences_ids[0] if t < tokenizer.eot]
        text = tokenizer.decode(ids).strip()
        logprob = result.scores[0] * len(ids) / (len(ids) + 1)  # faster-whisper's average
        if result.no_speech_prob > NO_SPEECH and logprob < LOW_LOGPROB:
            return Transcript(text="", confidence=0.0, no_speech_prob=result.no_speech_prob)
        if text and get_compression_ratio(text) > MAX_COMPRESSION:
            return None
        return Transcript(text, math.exp(logprob), result.no_speech_prob)

    def _prompt_tokens(self, prompt: str | None) -> list[int]:
        cached = self._prompts.get(prompt)
        if cached is None:
            tokenizer = self._tokenizer
            previous = tokenizer.encode(" " + prompt.strip()) if prompt else []
            cached = self._model.get_prompt(tokenizer, previous, without_timestamps=True)
            self._prompts[prompt] = cached
        return cached

    def _transcribe_30s(self, samples: np.ndarray, prompt: str | None) -> Transcript:
        segments, _ = self._model.transcribe(
            samples,
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
            if future is None or future.cancelled():
                future = self._pool.submit(self.stt.transcribe, samples, prompt)
                self._futures[key] = future
                while len(self._futures) > self._keep:
                    _, old = self._futures.popitem(last=False)
                    old.cancel()
            return future

    def peek(self, audio: np.ndarray, prompt: str | None = None) -> Transcript:
        """The transcript of `audio`, left for the next `transcribe` of the same audio."""
        while True:
            try:
                return self.start(audio, prompt).result()
            except CancelledError:
                continue  # cancelled before it started (newer audio came): `start` decodes anew

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
