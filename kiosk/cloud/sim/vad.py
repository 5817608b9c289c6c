"""Server-side activity detection: speech probabilities in, activity start and end out.

It honours what the client sent in `automaticActivityDetection` (prefixPaddingMs,
silenceDurationMs, the start and end sensitivities), falling back to the simulator's defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from kiosk.cloud.sim.options import END_THRESHOLD, START_THRESHOLD, VadDefaults
from kiosk.cloud.wire import pick

WINDOW_MS = 32.0
Activity = Literal["start", "end"]


@dataclass(frozen=True)
class VadConfig:
    disabled: bool
    start_threshold: float
    end_threshold: float
    prefix_padding_ms: int
    silence_duration_ms: int

    @classmethod
    def from_setup(cls, realtime_input_config: Any, defaults: VadDefaults) -> VadConfig:
        auto = pick(realtime_input_config, "automaticActivityDetection") or {}
        start = str(pick(auto, "startOfSpeechSensitivity") or defaults.start_sensitivity)
        end = str(pick(auto, "endOfSpeechSensitivity") or defaults.end_sensitivity)
        prefix = pick(auto, "prefixPaddingMs")
        silence = pick(auto, "silenceDurationMs")
        return cls(
            disabled=bool(pick(auto, "disabled", False)),
            start_threshold=START_THRESHOLD.get(start, START_THRESHOLD[defaults.start_sensitivity]),
            end_threshold=END_THRESHOLD.get(end, END_THRESHOLD[defaults.end_sensitivity]),
            prefix_padding_ms=int(prefix) if prefix is not None else defaults.prefix_padding_ms,
            silence_duration_ms=(
                int(silence) if silence is not None else defaults.silence_duration_ms
            ),
        )


class TurnDetector:
    """Feed one probability per 32 ms window; get 'start' and 'end' as they are committed."""

    def __init__(self, config: VadConfig) -> None:
        self.config = config
        self._need_speech = max(1, round(config.prefix_padding_ms / WINDOW_MS))
        self._need_silence = max(1, round(config.silence_duration_ms / WINDOW_MS))
        self.reset()

    def reset(self) -> None:
        self.in_speech = False
        self._speech_run = 0
        self._silence_run = 0

    @property
    def speech_run_windows(self) -> int:
        return self._speech_run

    def push(self, probability: float) -> Activity | None:
        if not self.in_speech:
            self._speech_run = (
                self._speech_run + 1 if probability >= self.config.start_threshold else 0
            )
            if self._speech_run >= self._need_speech:
                self.in_speech, self._silence_run = True, 0
                return "start"
            return None
        self._silence_run = self._silence_run + 1 if probability < self.config.end_threshold else 0
        if self._silence_run >= self._need_silence:
            self.in_speech, self._speech_run = False, 0
            return "end"
        return None
