"""Speech to text with faster-whisper (CTranslate2), biased toward the store's vocabulary."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

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
