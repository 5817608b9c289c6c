"""Echo cancellation: the kiosk must not hear its own voice as a question.

The reference (what the speaker played, by time) is `edge.timeline.PlaybackTimeline`.

- `WebRtcEchoCanceller`: WebRTC's audio processing module (AEC3, with its high-pass filter),
  through PyPI `livekit` (`rtc.AudioProcessingModule`). Chosen by measurement on a simulated
  echo path: 31-36 dB ERLE, against 30-35 dB for `aec-audio-processing` (same WebRTC code, but
  an sdist that builds WebRTC with meson on install) and 13-18 dB for `speexdsp` (an sdist
  needing libspeexdsp-dev and swig); only livekit ships wheels, for x86_64 and aarch64.
- `ResidualGate`: silences what the canceller leaves of the echo. In a 10 ms frame where the
  speaker was playing and the canceller removed most of the microphone's energy, what is left
  is echo residue, not a shopper: the frame is attenuated. A shopper talking over the kiosk
  keeps the frame loud after cancellation, so double talk passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from edge.errors import EdgeError

RATE = 16000
FRAME = RATE // 100  # the APM works in 10 ms frames


class EchoCancellerError(EdgeError):
    """The echo canceller could not be created or failed on a frame."""


class EchoCanceller(Protocol):
    def process(self, mic: np.ndarray, reference: np.ndarray) -> np.ndarray:
        """Both float32 16 kHz, the same length (a multiple of 160 samples)."""
        ...


class WebRtcEchoCanceller:
    """WebRTC AEC3 via livekit's AudioProcessingModule, on 10 ms int16 frames."""

    def __init__(self, noise_suppression: bool = False, stream_delay_ms: int = 0) -> None:
        try:
            from livekit import rtc
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise EchoCancellerError(f"livekit is not installed: {exc}") from exc
        self._rtc: Any = rtc
        try:
            self._apm = rtc.AudioProcessingModule(
                echo_cancellation=True,
                noise_suppression=noise_suppression,
                high_pass_filter=True,
                auto_gain_control=False,
            )
        except Exception as exc:  # the FFI library raises plain exceptions
            raise EchoCancellerError(f"cannot start WebRTC audio processing: {exc}") from exc
        self._delay_ms = stream_delay_ms

    def process(self, mic: np.ndarray, reference: np.ndarray) -> np.ndarray:
        if len(mic) != len(reference) or len(mic) % FRAME:
            raise ValueError(f"mic and reference must be equal multiples of {FRAME} samples")
        mic16 = _to_int16(mic)
        ref16 = _to_int16(reference)
        out = np.empty(len(mic16), np.int16)
        rtc = self._rtc
        for at in range(0, len(mic16), FRAME):
            far = rtc.AudioFrame(ref16[at : at + FRAME].tobytes(), RATE, 1, FRAME)
            near = rtc.AudioFrame(mic16[at : at + FRAME].tobytes(), RATE, 1, FRAME)
            try:
                self._apm.process_reverse_stream(far)
                self._apm.set_stream_delay_ms(self._delay_ms)
                self._apm.process_stream(near)
            except RuntimeError as exc:
                raise EchoCancellerError(f"echo canceller failed on a frame: {exc}") from exc
            out[at : at + FRAME] = np.frombuffer(bytes(near.data), np.int16)
        return out.astype(np.float32) / 32768.0


def _to_int16(samples: np.ndarray) -> np.ndarray:
    return np.asarray(np.clip(samples, -1.0, 1.0) * 32767.0, dtype=np.int16)


@dataclass(frozen=True)
class GateOptions:
    removed_db: float = 12.0
    """A frame the canceller made this much quieter is echo residue."""
    reference_floor_dbfs: float = -55.0
    """Below this the speaker is silent and the gate stays open."""
    attenuation_db: float = 40.0
    hangover_frames: int = 5
    """Stay open this many frames after a frame that passed (the tails of words)."""


class ResidualGate:
    """Per 10 ms frame: while the speaker plays, attenuate frames that are mostly echo."""

    def __init__(self, options: GateOptions | None = None) -> None:
        self.options = options or GateOptions()
        self._open_for = 0
        self.closed_frames = 0

    def process(self, mic: np.ndarray, cleaned: np.ndarray, reference: np.ndarray) -> np.ndarray:
        o = self.options
        out = np.array(cleaned, dtype=np.float32, copy=True)
        gain = np.float32(10 ** (-o.attenuation_db / 20))
        for at in range(0, len(out) - FRAME + 1, FRAME):
            ref = _db(reference[at : at + FRAME])
            if ref < o.reference_floor_dbfs:
                self._open_for = o.hangover_frames
                continue
            removed = _db(mic[at : at + FRAME]) - _db(cleaned[at : at + FRAME])
            if removed < o.removed_db:
                self._open_for = o.hangover_frames
                continue
            if self._open_for > 0:
                self._open_for -= 1
                continue
            out[at : at + FRAME] *= gain
            self.closed_frames += 1
        return out


def _db(x: np.ndarray) -> float:
    return 10 * float(np.log10(float(np.mean(np.square(x, dtype=np.float64))) + 1e-12))


def erle_db(mic: np.ndarray, cleaned: np.ndarray) -> float:
    """Echo return loss enhancement: how much quieter the echo is after cancellation."""
    return _db(np.asarray(mic)) - _db(np.asarray(cleaned))


__all__ = [
    "EchoCanceller",
    "EchoCancellerError",
    "GateOptions",
    "ResidualGate",
    "WebRtcEchoCanceller",
    "erle_db",
]
