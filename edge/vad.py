"""Voice activity detection with the Silero VAD ONNX model, streaming, no torch.

The model takes 512 new samples at 16 kHz plus the 64 samples before them, and carries an LSTM
state between calls. `SileroVad` keeps that state, so blocks of any size can be fed in order.
`find_speech` turns per-window probabilities into speech segments with hysteresis.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.onnx import open_session

SAMPLE_RATE = 16000
WINDOW = 512
CONTEXT = 64
WINDOW_MS = WINDOW * 1000 / SAMPLE_RATE


@dataclass(frozen=True)
class VadOptions:
    threshold: float = 0.5
    min_speech_ms: int = 150
    min_silence_ms: int = 300
    speech_pad_ms: int = 120


@dataclass(frozen=True)
class SpeechSegment:
    start_s: float
    end_s: float


class SileroVad:
    """Streaming speech probability, one value per 32 ms window."""

    def __init__(self, model_path: Path) -> None:
        self._session = open_session(model_path, threads=1)
        self.reset()

    def twin(self) -> SileroVad:
        """Another stream with its own state on the same loaded model (one more signal to
        judge costs a state, not a second copy of the model)."""
        other = object.__new__(SileroVad)
        other._session = self._session
        other.reset()
        return other

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)

    def process(self, block: np.ndarray) -> np.ndarray:
        """Feed float32 16 kHz samples; return the probabilities of the windows now complete."""
        self._pending = np.concatenate([self._pending, np.asarray(block, dtype=np.float32)])
        count = len(self._pending) // WINDOW
        if count == 0:
            return np.zeros(0, dtype=np.float32)
        frames = self._pending[: count * WINDOW].reshape(count, WINDOW)
        self._pending = self._pending[count * WINDOW :]
        probs = np.empty(count, dtype=np.float32)
        for i, frame in enumerate(frames):
            window = np.concatenate([self._context, frame])[None, :]
            out, self._h, self._c = self._session.run(
                None, {"input": window, "h": self._h, "c": self._c}
            )
            probs[i] = float(np.asarray(out).reshape(-1)[0])
            self._context = frame[-CONTEXT:]
        return probs

    def probabilities(self, samples: np.ndarray) -> np.ndarray:
        """Probabilities for a whole clip, from a fresh state."""
        self.reset()
        probs = self.process(samples)
        tail = len(self._pending)
        if tail:
            probs = np.concatenate([probs, self.process(np.zeros(WINDOW - tail, np.float32))])
        return probs


def find_speech(probs: np.ndarray, options: VadOptions) -> list[SpeechSegment]:
    """Speech segments from window probabilities: enter above threshold, leave after silence."""
    enter, leave = options.threshold, max(options.threshold - 0.15, 0.01)
    min_silence = max(1, round(options.min_silence_ms / WINDOW_MS))
    min_speech = max(1, round(options.min_speech_ms / WINDOW_MS))
    pad_s = options.speech_pad_ms / 1000
    segments: list[SpeechSegment] = []
    start: int | None = None
    silent = 0
    for i, p in enumerate(probs):
        if start is None:
            if p >= enter:
                start, silent = i, 0
            continue
        silent = silent + 1 if p < leave else 0
        if silent >= min_silence:
            end = i - silent + 1
            if end - start >= min_speech:
                segments.append(_segment(start, end, pad_s))
            start = None
    if start is not None and len(probs) - start >= min_speech:
        segments.append(_segment(start, len(probs) - silent, pad_s))
    return segments


def _segment(start: int, end: int, pad_s: float) -> SpeechSegment:
    return SpeechSegment(
        start_s=max(0.0, start * WINDOW_MS / 1000 - pad_s),
        end_s=end * WINDOW_MS / 1000 + pad_s,
    )
