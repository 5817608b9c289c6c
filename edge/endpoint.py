"""Cut a stream of audio into utterances: pure state machines fed one VAD window at a time.

Every end-of-turn policy here takes 512-sample windows with their speech probability and
capture time (`step`) and answers with actions: `SpeechBegan` when a turn starts, `Probe` when it
wants a model's opinion (Smart Turn's probability that the turn is complete, or the transcript of
the utterance so far), and `Utterance` when the turn is over. The caller runs the probe wherever
it likes (an executor, or inline in an evaluation) and hands the answer back with `resolve`, so
the policies stay free of threads and clocks and are tested with scripted answers.

- `UtteranceSegmenter`: the plain silence rule (end after `min_silence_ms` below threshold).
- `SmartEndpoint` (edge.eot): VAD silence + Smart Turn + the transcript's last word, with an
  adaptive fallback; the kiosk's policy.
- `PipecatEndpoint` (edge.eot): Pipecat's default, the reference it is measured against.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np

from edge.vad import SAMPLE_RATE, WINDOW, WINDOW_MS, VadOptions

WINDOW_NS = WINDOW * 1_000_000_000 // SAMPLE_RATE


@dataclass(frozen=True)
class Utterance:
    audio: np.ndarray = field(repr=False)
    """float32 16 kHz mono, pre-roll included."""
    start_ns: int
    end_ns: int
    """Capture time of the end of the last speech window (the end of speech, before the silence)."""
    cut: bool = False
    """True when the maximum turn length cut it, not silence."""
    decided_ns: int = 0
    """Capture time of the window at which the end was decided (0: not recorded)."""
    reason: str = ""
    """Why the turn ended: 'silence', 'smart-turn', 'transcript', 'fallback', 'max-turn'."""


@dataclass(frozen=True)
class SpeechBegan:
    stamp_ns: int
    """Capture time of the first speech window (before the pre-roll)."""


@dataclass(frozen=True)
class Probe:
    id: int
    kind: Literal["turn", "text"]
    """'turn': P(turn complete) from the end-of-turn model; 'text': the transcript."""
    audio: np.ndarray = field(repr=False)


@dataclass(frozen=True)
class Heard:
    """A text probe's answer: the speculative transcript and how sure the recogniser was."""

    text: str
    confidence: float = 1.0
    """exp(mean token log-probability), 0..1."""


ProbeAnswer = float | str | Heard
"""A turn probe's probability, or a text probe's transcript (plain, or with confidence)."""

Action = SpeechBegan | Probe | Utterance


class Endpointer(Protocol):
    @property
    def in_speech(self) -> bool: ...

    def step(self, window: np.ndarray, probability: float, stamp_ns: int) -> list[Action]: ...

    def resolve(self, probe_id: int, value: ProbeAnswer) -> list[Action]: ...

    def reset(self) -> None: ...


class TurnAudio:
    """The windows of the turn in progress, with a pre-roll kept while nobody speaks."""

    def __init__(self, preroll_ms: int, max_turn_s: float) -> None:
        self.max_windows = int(max_turn_s * 1000 / WINDOW_MS)
        self._preroll: deque[tuple[np.ndarray, int]] = deque(
            maxlen=max(1, round(preroll_ms / WINDOW_MS))
        )
        self.windows: list[tuple[np.ndarray, int]] = []
        self.active = False

    def idle(self, window: np.ndarray, stamp_ns: int) -> None:
        self._preroll.append((window, stamp_ns))

    def begin(self, window: np.ndarray, stamp_ns: int) -> None:
        self.windows = [*self._preroll, (window, stamp_ns)]
        self._preroll.clear()
        self.active = True

    def add(self, window: np.ndarray, stamp_ns: int) -> None:
        self.windows.append((window, stamp_ns))

    @property
    def full(self) -> bool:
        return len(self.windows) >= self.max_windows

    def audio(self, upto: int | None = None) -> np.ndarray:
        """The turn's samples, through window index `upto` (exclusive) when given."""
        chosen = self.windows if upto is None else self.windows[:upto]
        if not chosen:
            return np.zeros(0, np.float32)
        return np.concatenate([w for w, _ in chosen]).astype(np.float32)

    def clear(self) -> None:
        self.windows = []
        self._preroll.clear()
        self.active = False

    def utterance(
        self, audio: np.ndarray, last_voiced_ns: int, last_ns: int, cut: bool, reason: str
    ) -> Utterance:
        """The finished turn: speech ends with the window stamped `last_voiced_ns`, the
        decision is made at the end of the window stamped `last_ns`."""
        return Utterance(
            audio=audio,
            start_ns=self.windows[0][1],
            end_ns=last_voiced_ns + WINDOW_NS,
            cut=cut,
            decided_ns=last_ns + WINDOW_NS,
            reason=reason,
        )


def check_window(window: np.ndarray) -> None:
    if len(window) != WINDOW:
        raise ValueError(f"window must have {WINDOW} samples, got {len(window)}")


class UtteranceSegmenter:
    """The plain silence rule: the turn ends after `min_silence_ms` of windows below threshold,
    or when it reaches `max_turn_s`. A short pre-roll keeps the first syllable."""

    def __init__(self, options: VadOptions, max_turn_s: float = 15.0, preroll_ms: int = 200):
        self.options = options
        self._turn = TurnAudio(preroll_ms, max_turn_s)
        self._min_silence = max(1, round(options.min_silence_ms / WINDOW_MS))
        self._min_speech = max(1, round(options.min_speech_ms / WINDOW_MS))
        self.reset()

    @property
    def in_speech(self) -> bool:
        return self._turn.active

    def reset(self) -> None:
        self._turn.clear()
        self._silent = 0
        self._voiced = 0
        self._last_voiced_ns = 0

    def push(self, window: np.ndarray, probability: float, stamp_ns: int) -> Utterance | None:
        """Feed one 512-sample window and its speech probability; maybe finish an utterance."""
        found = [a for a in self.step(window, probability, stamp_ns) if isinstance(a, Utterance)]
        return found[0] if found else None

    def step(self, window: np.ndarray, probability: float, stamp_ns: int) -> list[Action]:
        check_window(window)
        voiced = probability >= self.options.threshold
        if not self._turn.active:
            if not voiced:
                self._turn.idle(window, stamp_ns)
                return []
            self._turn.begin(window, stamp_ns)
            self._voiced, self._silent, self._last_voiced_ns = 1, 0, stamp_ns
            return [SpeechBegan(stamp_ns)]
        self._turn.add(window, stamp_ns)
        if voiced:
            self._voiced += 1
            self._silent = 0
            self._last_voiced_ns = stamp_ns
        else:
            self._silent += 1
        if self._turn.full:
            return [self._finish(stamp_ns, cut=True)]
        if self._silent >= self._min_silence:
            if self._voiced < self._min_speech:
                self.reset()
                return []
            return [self._finish(stamp_ns, cut=False)]
        return []

    def resolve(self, probe_id: int, value: ProbeAnswer) -> list[Action]:
        """The silence rule asks no model."""
        return []

    def _finish(self, stamp_ns: int, cut: bool) -> Utterance:
        reason = "max-turn" if cut else "silence"
        utterance = self._turn.utterance(
            self._turn.audio(), self._last_voiced_ns, stamp_ns, cut, reason
        )
        self.reset()
        return utterance
