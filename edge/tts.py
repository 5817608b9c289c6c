"""Text to speech with Piper, one clause at a time so the first audio is ready early.

The first sentence of a reply is split at its first comma when what comes before it is long
enough to say on its own ("The Duracell AA batteries are in aisle 5," / "left side."): Piper
takes about as long per word, so the shopper hears the first clause while the rest is made.
A first clause still longer than FIRST_CHUNK_MAX_WORDS is split again before its first
preposition ("The Land O Lakes salted butter is" / "in the dairy cooler on the back wall."),
where a speaker would pause anyway.
`speech_tap` lets whoever runs a turn (the live loop) hand each chunk to the speaker the moment
it is made, while the turn engine still collects the whole reply.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.errors import ModelLoadError

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_CLAUSE_END = re.compile(r"(?<=[,;:])\s+")
FIRST_CLAUSE_MIN_WORDS = 4
FIRST_CHUNK_MAX_WORDS = 6
PHRASE_STARTS = frozenset(
    {"in", "on", "at", "by", "near", "next", "behind", "beside", "under", "above", "between"}
)


@dataclass(frozen=True)
class TtsOptions:
    length_scale: float = 1.0
    """Above 1 speaks slower."""


@dataclass(frozen=True)
class SpeechChunk:
    samples: np.ndarray
    """int16 mono."""
    sample_rate: int
    text: str


def split_sentences(text: str) -> list[str]:
    return [s for s in (p.strip() for p in _SENTENCE_END.split(text)) if s]


def split_for_speech(text: str) -> list[str]:
    """Sentences, with the first one cut after its first clause when that clause has at least
    FIRST_CLAUSE_MIN_WORDS words and something follows it, and a long first clause cut again
    before a preposition (see `_phrase_split`)."""
    sentences = split_sentences(text)
    if not sentences:
        return []
    clauses = _CLAUSE_END.split(sentences[0], maxsplit=1)
    if len(clauses) == 2 and len(clauses[0].split()) >= FIRST_CLAUSE_MIN_WORDS and clauses[1]:
        return [*_phrase_split(clauses[0]), clauses[1], *sentences[1:]]
    return [*_phrase_split(sentences[0]), *sentences[1:]]


def _phrase_split(clause: str) -> list[str]:
    """A clause of more than FIRST_CHUNK_MAX_WORDS words, cut before its first preposition
    that leaves at least FIRST_CLAUSE_MIN_WORDS - 1 words before it and two after."""
    words = clause.split()
    if len(words) <= FIRST_CHUNK_MAX_WORDS:
        return [clause]
    for at in range(FIRST_CLAUSE_MIN_WORDS - 1, len(words) - 1):
        if words[at].lower() in PHRASE_STARTS:
            return [" ".join(words[:at]), " ".join(words[at:])]
    return [clause]


SILENCE_DBFS = -50.0
"""Quieter than this, before the first word, is silence (soft onsets like 'f' stay above it)."""
ONSET_MARGIN_S = 0.01


def trim_leading_silence(samples: np.ndarray, rate: int) -> np.ndarray:
    """`samples` (int16) from ONSET_MARGIN_S before the first sample above SILENCE_DBFS."""
    floor = 32768 * 10 ** (SILENCE_DBFS / 20)
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > floor)
    if not loud.size:
        return samples
    return samples[max(0, int(loud[0]) - int(ONSET_MARGIN_S * rate)) :]


class ReplyStopped(Exception):
    """Raised by a speech tap to stop the reply it is being handed: the shopper barged in."""


speech_tap: ContextVar[Callable[[SpeechChunk], None] | None] = ContextVar(
    "speech_tap", default=None
)
"""Set by a live loop around a turn: called with each chunk of the reply as soon as it is made.
It raises ReplyStopped to stop the reply (a barge-in): what was made so far is the reply."""


class PiperTts:
    def __init__(self, model_path: Path, options: TtsOptions | None = None) -> None:
        from piper import PiperVoice, SynthesisConfig

        self.options = options or TtsOptions()
        config_path = Path(f"{model_path}.json")
        if not Path(model_path).is_file() or not config_path.is_file():
            raise ModelLoadError(
                f"{model_path}: Piper voice or its .json config is missing "
                "(run `kiosk models fetch`)"
            )
        self._voice = PiperVoice.load(str(model_path), config_path=str(config_path))
        self._synthesis = SynthesisConfig(length_scale=self.options.length_scale)
        self.sample_rate: int = int(self._voice.config.sample_rate)

    def stream(self, text: str) -> Iterator[SpeechChunk]:
        """Yield the reply clause by clause (see `split_for_speech`), the silence Piper puts
        before the first word cut off: the shopper hears the answer that much sooner."""
        first = True
        for sentence in split_for_speech(text):
            for chunk in self._voice.synthesize(sentence, syn_config=self._synthesis):
                samples = np.asarray(chunk.audio_int16_array, dtype=np.int16)
                rate = int(chunk.sample_rate)
                if first:
                    samples, first = trim_leading_silence(samples, rate), False
                yield SpeechChunk(samples=samples, sample_rate=rate, text=sentence)

    def synthesize(self, text: str) -> np.ndarray:
        parts = [c.samples for c in self.stream(text)]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
