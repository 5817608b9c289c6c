"""Microphones and speakers behind two small interfaces.

A microphone is an iterator of `AudioBlock`s: float32 16 kHz mono with the capture time of the
first sample. A speaker has `play`, `clear` and `close`. PortAudio callbacks only copy samples
and stamp the time; resampling happens on the consuming thread.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import soxr

from edge.errors import EdgeError
from edge.wav import read_wav, to_int16, write_wav

RATE = 16000


class AudioDeviceError(EdgeError):
    """A sound device that is missing or failed. Plugging it in and retrying can help."""

    retryable = True


@dataclass(frozen=True)
class AudioBlock:
    samples: np.ndarray
    captured_ns: int


class Microphone(Protocol):
    def blocks(self) -> Iterator[AudioBlock]: ...

    def drain(self) -> None:
        """Drop audio captured but not yet read."""

    def close(self) -> None: ...


class Speaker(Protocol):
    def play(self, samples: np.ndarray, rate: int) -> None: ...

    def clear(self) -> None: ...

    def close(self) -> None: ...


def describe_devices() -> str:
    import sounddevice as sd

    try:
        devices = sd.query_devices()
    except Exception as exc:  # PortAudio errors are plain Exceptions
        return f"(cannot list devices: {exc})"
    lines = [
        f"  [{i}] {d['name']} (in {d['max_input_channels']}, out {d['max_output_channels']}, "
        f"{int(d['default_samplerate'])} Hz)"
        for i, d in enumerate(devices)
    ]
    return "\n".join(lines) or "  (no devices)"


def resolve_device(spec: str | int | None, kind: str) -> int | None:
    """A device index from a name substring or index; None means the system default."""
    import sounddevice as sd

    channels = "max_input_channels" if kind == "input" else "max_output_channels"
    try:
        devices = list(sd.query_devices())
    except Exception as exc:
        raise AudioDeviceError(f"{kind} device: PortAudio is unusable: {exc}") from exc
    if spec is None:
        index = sd.default.device[0 if kind == "input" else 1]
        if index is None or index < 0 or devices[index][channels] < 1:
            candidates = [i for i, d in enumerate(devices) if d[channels] > 0]
            if not candidates:
                raise AudioDeviceError(f"no {kind} device found\nDevices:\n{describe_devices()}")
            return candidates[0]
        return int(index)
    if isinstance(spec, int) or str(spec).isdigit():
        index = int(spec)
        if 0 <= index < len(devices) and devices[index][channels] > 0:
            return index
    else:
        for i, d in enumerate(devices):
            if str(spec).lower() in str(d["name"]).lower() and d[channels] > 0:
                return i
    raise AudioDeviceError(f"{kind} device {spec!r} not found\nDevices:\n{describe_devices()}")


class SoundDeviceMic:
    """A PortAudio input at the device's native rate, resampled to 16 kHz mono."""

    def __init__(self, device: str | int | None = None, block_ms: int = 32) -> None:
        import sounddevice as sd

        self._index = resolve_device(device, "input")
        info: Any = sd.query_devices(self._index)
        self.name = str(info["name"])
        self.native_rate = int(info["default_samplerate"])
        self._queue: queue.SimpleQueue[tuple[np.ndarray, int]] = queue.SimpleQueue()
        self._resampler = soxr.ResampleStream(self.native_rate, RATE, 1, dtype="float32")
        self._stream = sd.InputStream(
            device=self._index,
            channels=1,
            samplerate=self.native_rate,
            blocksize=int(self.native_rate * block_ms / 1000),
            dtype="float32",
            callback=self._callback,
        )
        self._stream.start()

    def _callback(self, data: np.ndarray, frames: int, when: Any, status: Any) -> None:
        # Runs on PortAudio's thread: copy and stamp only.
        self._queue.put((data[:, 0].copy(), time.monotonic_ns()))

    def blocks(self) -> Iterator[AudioBlock]:
        while self._stream.active:
            try:
                samples, stamp = self._queue.get(timeout=1.0)
            except queue.Empty:
                continue
            resampled = self._resampler.resample_chunk(samples)
            if len(resampled):
                yield AudioBlock(np.asarray(resampled, dtype=np.float32), stamp)
        raise AudioDeviceError(f"input device {self.name!r} stopped")

    def drain(self) -> None:
        """Drop what was captured so far (the kiosk's own voice, while it spoke)."""
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return

    def close(self) -> None:
        self._stream.stop()
        self._stream.close()


class FileMic:
    """A WAV file played as a microphone, in real time or as fast as it is read."""

    def __init__(self, path: Path, realtime: bool = True, block_ms: int = 32, loop: bool = False):
        self._audio = read_wav(path, RATE)
        self._block = int(RATE * block_ms / 1000)
        self._realtime = realtime
        self._loop = loop
        self._closed = threading.Event()

    @classmethod
    def from_samples(cls, samples: np.ndarray, realtime: bool = True) -> FileMic:
        mic = cls.__new__(cls)
        mic._audio = np.asarray(samples, dtype=np.float32)
        mic._block = int(RATE * 0.032)
        mic._realtime, mic._loop, mic._closed = realtime, False, threading.Event()
        return mic

    def blocks(self) -> Iterator[AudioBlock]:
        start = time.monotonic_ns()
        sent = 0
        while not self._closed.is_set():
            for offset in range(0, len(self._audio), self._block):
                if self._closed.is_set():
                    return
                stamp = start + sent * 1_000_000_000 // RATE
                if self._realtime:
                    delay = (stamp - time.monotonic_ns()) / 1e9
                    if delay > 0:
                        time.sleep(delay)
                block = self._audio[offset : offset + self._block]
                sent += len(block)
                yield AudioBlock(block, stamp)
            if not self._loop:
                return

    def drain(self) -> None:
        """Nothing to drop: a file does not hear the speaker."""

    def close(self) -> None:
        self._closed.set()


class SoundDeviceSpeaker:
    """A PortAudio output; replies are resampled to the device's native rate."""

    def __init__(self, device: str | int | None = None) -> None:
        import sounddevice as sd

        self._sd = sd
        self._index = resolve_device(device, "output")
        info: Any = sd.query_devices(self._index)
        self.name = str(info["name"])
        self.rate = int(info["default_samplerate"])
        self.output_latency_s = float(info["default_low_output_latency"])

    def play(self, samples: np.ndarray, rate: int) -> None:
        audio = np.asarray(samples, dtype=np.float32) / 32768.0
        if rate != self.rate:
            audio = np.asarray(soxr.resample(audio, rate, self.rate), dtype=np.float32)
        try:
            self._sd.play(audio, self.rate, device=self._index, blocking=True)
        except Exception as exc:
            raise AudioDeviceError(f"output device {self.name!r}: {exc}") from exc

    def clear(self) -> None:
        self._sd.stop()

    def close(self) -> None:
        self._sd.stop()


class RecordingSpeaker:
    """A virtual speaker: keeps what it is asked to play, with the time it was handed over."""

    def __init__(self, path: Path | None = None, realtime: bool = False) -> None:
        self.path = path
        self.realtime = realtime
        self.played: list[tuple[int, np.ndarray, int]] = []

    def play(self, samples: np.ndarray, rate: int) -> None:
        self.played.append((time.monotonic_ns(), np.asarray(samples, dtype=np.int16), rate))
        if self.path is not None:
            write_wav(self.path, np.asarray(samples, dtype=np.int16), rate)
        if self.realtime and rate:
            time.sleep(len(samples) / rate)

    def clear(self) -> None:
        """Nothing queued to drop: `play` hands over whole replies."""

    def close(self) -> None:
        """Nothing to release."""


__all__ = [
    "AudioBlock",
    "AudioDeviceError",
    "FileMic",
    "Microphone",
    "RecordingSpeaker",
    "SoundDeviceMic",
    "SoundDeviceSpeaker",
    "Speaker",
    "describe_devices",
    "resolve_device",
    "to_int16",
]
