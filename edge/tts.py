"""Text to speech with Piper, one clause at a time so the first audio is ready early.

The first sentence of a reply is split at its first comma when what comes before it is long
enough to say on its own ("The Duracell AA batteries are in aisle 5," / "left side."): Piper
takes about as long per word, so the shopper hears the first clause while the rest is made.
A first clause still longer than FIRST_CHUNK_MAX_WORDS is split again before its first
preposition ("The Land O Lakes salted butter is" / "in the dairy cooler on the back wall."),
where a speaker would pause anyway. Each clause is then decoded in pieces of 0.1-0.7 s
(`edge.vits`), so its first piece plays after the encoder and one short decode.
`speech_tap` lets whoever runs a turn (the live loop) hand each chunk to the speaker the moment
it is made, while the turn engine still collects the whole reply.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np

from edge.errors import ModelLoadError
from edge.onnx import open_session
from edge.vits import SplitVits

log = logging.getLogger(__name__)

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
    stream_pieces: bool = True
    """Decode each clause in pieces (`SplitVits`); False: Piper's whole-clause synthesis."""
    threads: int = 2
    """onnxruntime threads for the voice (1 on this 2-core machine made it about 1.5x slower)."""


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


CALIBRATION = "The batteries are in aisle five, on the left."
"""Said once at load, without Piper's noise (so the same every time): its peak sets the gain of
every streamed clause. A streamed clause's own peak is not known when its first piece plays,
so Piper's per-clause normalisation cannot be done."""
CALIBRATION_PEAK = 0.85
"""Where the calibration's peak lands, of full scale. The demo store's 40 locate and price
replies peak at 0.81 of it at the median and 1.05 at most: hard clipping crackles, so none may
reach full scale."""


def speech_onset(samples: np.ndarray, rate: int) -> int | None:
    """Index ONSET_MARGIN_S before the first int16 sample above SILENCE_DBFS; None if none is."""
    floor = 32768 * 10 ** (SILENCE_DBFS / 20)
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > floor)
    if not loud.size:
        return None
    return max(0, int(loud[0]) - int(ONSET_MARGIN_S * rate))


class ReplyStopped(Exception):
    """Raised by a speech tap to stop the reply it is being handed: the shopper barged in."""


speech_tap: ContextVar[Callable[[SpeechChunk], None] | None] = ContextVar(
    "speech_tap", default=None
)
"""Set by a live loop around a turn: called with each chunk of the reply as soon as it is made.
It raises ReplyStopped to stop the reply (a barge-in): what was made so far is the reply."""


class PiperTts:
    """Piper's voice, streamed: each clause's audio is decoded in short pieces (`SplitVits`),
    so the first piece plays while the rest is made. A voice whose graph does not cut cleanly
    is synthesised a clause at a time, as Piper does it."""

    def __init__(
        self, model_path: Path, options: TtsOptions | None = None, split_cache: Path | None = None
    ) -> None:
        """`split_cache`: where the voice's graph is kept once cut in two (`SplitVits`)."""
        from piper import PiperConfig, PiperVoice, SynthesisConfig

        self.options = options or TtsOptions()
        config_path = Path(f"{model_path}.json")
        if not Path(model_path).is_file() or not config_path.is_file():
            raise ModelLoadError(
                f"{model_path}: Piper voice or its .json config is missing "
                "(run `kiosk models fetch`)"
            )
        self._synthesis = SynthesisConfig(length_scale=self.options.length_scale)
        self._split: SplitVits | None = None
        if self.options.stream_pieces:
            try:
                self._split = SplitVits(
                    Path(model_path), threads=self.options.threads, cache_dir=split_cache
                )
            except ModelLoadError as exc:
                log.warning("%s; synthesising whole clauses", exc)
        config = PiperConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")))
        # with the graph cut in two, only the voice's phonemizer and config are used
        threads = self.options.threads
        whole = open_session(Path(model_path), threads) if self._split is None else None
        self._voice = PiperVoice(session=cast(Any, whole), config=config)
        self.sample_rate: int = int(config.sample_rate)
        self._scales = (
            config.noise_scale,
            self.options.length_scale,  # replaces the voice's own, as Piper's option does
            config.noise_w_scale,
        )
        self._gain = 1.0
        if self._split is not None:
            ids = self._voice.phonemes_to_ids(self._voice.phonemize(CALIBRATION)[0])
            latents = self._split.latents(ids, (0.0, self.options.length_scale, 0.0))
            peak = float(np.max(np.abs(self._split.decode(latents))))
            self._gain = CALIBRATION_PEAK / max(peak, 1e-3)

    @property
    def streams_pieces(self) -> bool:
        """True when clauses are decoded in pieces, False when a clause is made whole."""
        return self._split is not None

    def stream(self, text: str) -> Iterator[SpeechChunk]:
        """Yield the reply clause by clause (see `split_for_speech`), each in pieces when the
        voice allows, with the silence Piper puts before the first word cut off: the shopper
        hears the answer that much sooner."""
        leading = True
        for sentence in split_for_speech(text):
            for audio in self._pieces(sentence):
                samples = np.clip(audio * (self._gain * 32767), -32767, 32767).astype(np.int16)
                if leading:
                    onset = speech_onset(samples, self.sample_rate)
                    if onset is None:
                        continue  # all silence so far: nothing to play yet
                    samples, leading = samples[onset:], False
                yield SpeechChunk(samples=samples, sample_rate=self.sample_rate, text=sentence)

    def _pieces(self, sentence: str) -> Iterator[np.ndarray]:
        """Float audio of one clause: pieces ending at quiet points, or Piper's whole clause
        (peak-normalised, as Piper does)."""
        if self._split is None:
            for chunk in self._voice.synthesize(sentence, syn_config=self._synthesis):
                yield chunk.audio_float_array
            return
        for phonemes in self._voice.phonemize(sentence):
            if phonemes:
                ids = self._voice.phonemes_to_ids(phonemes)
                latents = self._split.latents(ids, self._scales)
                floor = 10 ** (SILENCE_DBFS / 20) / self._gain
                yield from self._split.pieces(latents, onset_floor=floor)

    def synthesize(self, text: str) -> np.ndarray:
        parts = [c.samples for c in self.stream(text)]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
