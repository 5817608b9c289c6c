"""Cut a stream of audio into utterances from VAD probabilities: a pure state machine.

Speech starts when a window's probability crosses the threshold; the utterance ends after
`min_silence_ms` of windows below it, or when it reaches `max_turn_s`. A short pre-roll keeps
the first syllable that the VAD needed a window to notice.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from edge.vad import SAMPLE_RATE, WINDOW, WINDOW_MS, VadOptions


@dataclass(frozen=True)
class Utterance:
    audio: np.ndarray
    """float32 16 kHz mono, pre-roll included."""
    start_ns: int
    end_ns: int
    """Capture time of the last speech window (the end of speech, before the silence)."""
    cut: bool = False
    """True when the maximum turn length cut it, not silence."""


class UtteranceSegmenter:
    def __init__(self, options: VadOptions, max_turn_s: float = 15.0, preroll_ms: int = 200):
        self.options = options
        self._max_windows = int(max_turn_s * 1000 / WINDOW_MS)
        self._min_silence = max(1, round(options.min_silence_ms / WINDOW_MS))
        self._min_speech = max(1, round(options.min_speech_ms / WINDOW_MS))
        self._preroll: deque[tuple[np.ndarray, int]] = deque(
            maxlen=max(1, round(preroll_ms / WINDOW_MS))
        )
        self.reset()

    @property
    def in_speech(self) -> bool:
        return self._speech is not None

    def reset(self) -> None:
        self._speech: list[tuple[np.ndarray, int]] | None = None
        self._silent = 0
        self._voiced = 0
        self._last_voiced_ns = 0
        self._preroll.clear()

    def push(self, window: np.ndarray, probability: float, stamp_ns: int) -> Utterance | None:
        """Feed one 512-sample window and its speech probability; maybe finish an utterance."""
        if len(window) != WINDOW:
            raise ValueError(f"window must have {WINDOW} samples, got {len(window)}")
        voiced = probability >= self.options.threshold
        if self._speech is None:
            if voiced:
                self._speech = [*self._preroll, (window, stamp_ns)]
                self._voiced, self._silent, self._last_voiced_ns = 1, 0, stamp_ns
            else:
                self._preroll.append((window, stamp_ns))
            return None
        self._speech.append((window, stamp_ns))
        if voiced:
            self._voiced += 1
            self._silent = 0
            self._last_voiced_ns = stamp_ns
        else:
            self._silent += 1
        if len(self._speech) >= self._max_windows:
            return self._finish(cut=True)
        if self._silent >= self._min_silence:
            if self._voiced < self._min_speech:
                self.reset()
                return None
            return self._finish(cut=False)
        return None

    def _finish(self, cut: bool) -> Utterance:
        assert self._speech is not None
        audio = np.concatenate([w for w, _ in self._speech])
        window_ns = int(WINDOW / SAMPLE_RATE * 1e9)
        utterance = Utterance(
            audio=audio.astype(np.float32),
            start_ns=self._speech[0][1],
            end_ns=self._last_voiced_ns + window_ns,
            cut=cut,
        )
        self.reset()
        return utterance
