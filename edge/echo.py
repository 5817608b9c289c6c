"""Echo cancellation: the kiosk must not hear its own voice as a question.

- `PlaybackTimeline`: what the speaker played, at 16 kHz, by monotonic time. The speaker writes
  it as it plays; the canceller reads the stretch that was playing while each mic block was
  captured, so the reference lines up with the echo to within the device latencies (which the
  canceller's own delay estimator absorbs).
- `WebRtcEchoCanceller`: WebRTC's audio processing module (AEC3, with its high-pass filter),
  through PyPI `pywebrtc-audio` (wheels for x86_64 and aarch64). Chosen by measurement on
  simulated echo paths with the kiosk's voice (`kiosk bench audio`): 39.3 dB ERLE on the room
  path and 23.5 dB on a loud reverberant one, where it also lets none of the kiosk's own voice
  reach the VAD, against 36.6 / 19.8 dB and 9 windows for `livekit`'s `AudioProcessingModule`
  (an older build of the same code), 30-35 dB for `aec-audio-processing` (an sdist that builds
  WebRTC with meson on install) and 13-18 dB for `speexdsp` (an sdist needing libspeexdsp-dev
  and swig).
- `ResidualGate`: silences what the canceller leaves of the echo. In a 10 ms frame where the
  speaker was playing and the canceller removed most of the microphone's energy, what is left
  is echo residue, not a shopper: the frame is attenuated. A shopper talking over the kiosk
  keeps the frame loud after cancellation, so double talk passes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from edge.errors import EdgeError

RATE = 16000
FRAME = RATE // 100  # the APM works in 10 ms frames


class EchoCancellerError(EdgeError):
    """The echo canceller could not be created or failed on a frame."""


class PlaybackTimeline:
    """A ring of the last `seconds` of played audio (16 kHz float32), addressed by time."""

    def __init__(self, seconds: float = 8.0) -> None:
        self._size = int(seconds * RATE)
        self._ring = np.zeros(self._size, np.float32)
        self._end: int | None = None  # absolute sample index one past the newest written
        self._lock = threading.Lock()

    @staticmethod
    def index(stamp_ns: int) -> int:
        return stamp_ns * RATE // 1_000_000_000

    def write(self, samples: np.ndarray, start_ns: int) -> None:
        """Record that `samples` (16 kHz) started playing at `start_ns`."""
        data = np.asarray(samples, np.float32)[-self._size :]
        start = self.index(start_ns)
        with self._lock:
            if self._end is not None and start > self._end:
                self._put(self._end, np.zeros(min(start - self._end, self._size), np.float32))
            self._put(start, data)
            end = start + len(data)
            self._end = end if self._end is None else max(self._end, end)

    def _put(self, start: int, data: np.ndarray) -> None:
        at = start % self._size
        first = min(len(data), self._size - at)
        self._ring[at : at + first] = data[:first]
        self._ring[: len(data) - first] = data[first:]

    def read(self, start_ns: int, n: int) -> np.ndarray:
        """`n` samples from `start_ns`; zeros where nothing was (or is no longer) recorded."""
        out = np.zeros(n, np.float32)
        start = self.index(start_ns)
        with self._lock:
            if self._end is None:
                return out
            lo, hi = max(start, self._end - self._size), min(start + n, self._end)
            i = lo
            while i < hi:  # at most two slices: before and after the ring wraps
                at = i % self._size
                count = min(hi - i, self._size - at)
                out[i - start : i - start + count] = self._ring[at : at + count]
                i += count
        return out

    def level_dbfs(self, start_ns: int, n: int) -> float:
        played = self.read(start_ns, n)
        return 10 * float(np.log10(float(np.mean(played**2)) + 1e-12))


class EchoCanceller(Protocol):
    def process(self, mic: np.ndarray, reference: np.ndarray) -> np.ndarray:
        """Both float32 16 kHz, the same length (a multiple of 160 samples)."""
        ...


class WebRtcEchoCanceller:
    """WebRTC AEC3 (with its high-pass filter) via PyPI `pywebrtc-audio`, on 10 ms frames."""

    def __init__(self, stream_delay_ms: int = 0) -> None:
        try:
            from pywebrtc_audio import EchoCanceller as Aec3
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise EchoCancellerError(f"pywebrtc-audio is not installed: {exc}") from exc
        try:
            self._aec = Aec3(sample_rate=RATE, num_channels=1, stream_delay_ms=stream_delay_ms)
        except Exception as exc:  # the extension raises plain exceptions
            raise EchoCancellerError(f"cannot start WebRTC echo cancellation: {exc}") from exc

    def process(self, mic: np.ndarray, reference: np.ndarray) -> np.ndarray:
        if len(mic) != len(reference) or len(mic) % FRAME:
            raise ValueError(f"mic and reference must be equal multiples of {FRAME} samples")
        near = np.ascontiguousarray(np.clip(mic, -1.0, 1.0), dtype=np.float32)
        far = np.ascontiguousarray(np.clip(reference, -1.0, 1.0), dtype=np.float32)
        try:
            cleaned: np.ndarray = self._aec.process(near, far)
        except (RuntimeError, ValueError) as exc:
            raise EchoCancellerError(f"echo canceller failed on a frame: {exc}") from exc
        return cleaned


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
    "PlaybackTimeline",
    "ResidualGate",
    "WebRtcEchoCanceller",
    "erle_db",
]
