"""Text to speech with Piper, one sentence at a time so the first audio is ready early."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.errors import ModelLoadError

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


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
        """Yield the reply sentence by sentence."""
        for sentence in split_sentences(text):
            for chunk in self._voice.synthesize(sentence, syn_config=self._synthesis):
                yield SpeechChunk(
                    samples=np.asarray(chunk.audio_int16_array, dtype=np.int16),
                    sample_rate=int(chunk.sample_rate),
                    text=sentence,
                )

    def synthesize(self, text: str) -> np.ndarray:
        parts = [c.samples for c in self.stream(text)]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
