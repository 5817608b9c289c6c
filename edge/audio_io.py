"""Microphones behind one small interface, and the device helpers shared with the speakers.

A microphone is an iterator of `AudioBlock`s: float32 16 kHz mono with the capture time
(time.monotonic_ns) of the first sample. `SoundDeviceMic` opens a PortAudio input at its native
rate; its callback only copies into a bounded ring and stamps the capture time, and the
consuming thread resamples with soxr. `ResilientMic` reopens a mic that is missing or unplugged,
with backoff, reporting each change; it never raises. `FileMic` plays a WAV (optionally looped)
as a microphone, in real time or as fast as it is read. Speakers live in `edge.playback`.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import soxr

from edge.clock import SampleClock
from edge.errors import EdgeError
from edge.wav import read_wav, to_int16, write_wav

RATE = 16000
BLOCK_MS = 20
"""Microphone block length. Two of the echo canceller's 10 ms frames: a 32 ms window's last
samples reach Silero at most one block after they were captured. A 32 ms block (not a whole
number of frames) left the window's last frame for the next block: 36-68 ms from the start
of the window to the decision, against 34-50 ms now, for about 1% of a core more."""
FALLBACK_RATES = (48000, 44100, 32000, 16000)


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
    def play(self, samples: np.ndarray, rate: int) -> object:
        """Queue (or play) int16 or float32 mono audio at `rate`. Streaming speakers return
        an `edge.playback.PlayHandle`."""

    def clear(self) -> object:
        """Drop what is queued and stop at once."""

    def close(self) -> None: ...


StatusCallback = Callable[[bool, str], None]
"""(ok, detail): a device went away (False) or came back (True)."""


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


def resolve_device(spec: str | int | None, kind: str) -> int:
    """A device index from a name substring or index; None means the system default."""
    import sounddevice as sd

    channels = "max_input_channels" if kind == "input" else "max_output_channels"
    try:
        devices = list(sd.query_devices())
    except Exception as exc:
        raise AudioDeviceError(f"{kind} device: PortAudio is unusable: {exc}") from exc
    if spec is None:
        index = sd.default.device[0 if kind == "input" else 1]
        if index is None or index < 0 or index >= len(devices) or devices[index][channels] < 1:
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


def open_stream(
    factory: Callable[..., Any], index: int, info: Any, kind: str, channels: int, **kw: Any
) -> tuple[Any, int, int]:
    """Open a PortAudio stream at the device's native rate, falling back to common rates and
    to stereo (USB mics often refuse 16 kHz or mono). Returns (stream, rate, channels)."""
    native = int(info["default_samplerate"])
    rates = [native, *(r for r in FALLBACK_RATES if r != native)]
    most = int(info["max_input_channels" if kind == "input" else "max_output_channels"])
    layouts = [channels] + ([2] if most >= 2 and channels != 2 else [])
    problems = []
    for rate in rates:
        for count in layouts:
            try:
                stream = factory(device=index, samplerate=rate, channels=count, **kw)
                return stream, rate, count
            except Exception as exc:
                problems.append(f"{rate} Hz x{count}: {exc}")
    raise AudioDeviceError(f"{kind} device {info['name']!r} would not open: {problems[0]}")


class SoundDeviceMic:
    """A PortAudio input at the device's native rate, resampled to 16 kHz mono float32."""

    realtime = True

    def __init__(
        self, device: str | int | None = None, block_ms: int = BLOCK_MS, stall_s: float = 2.0
    ) -> None:
        import sounddevice as sd

        self._index = resolve_device(device, "input")
        info: Any = sd.query_devices(self._index)
        self.name = str(info["name"])
        self._ring: deque[tuple[np.ndarray, int]] = deque(maxlen=max(8, 4000 // block_ms))
        self._ready = threading.Condition()
        self._stall_s = stall_s
        self.overruns = 0
        self._stream, self.native_rate, self.channels = open_stream(
            sd.InputStream,
            self._index,
            info,
            "input",
            1,
            blocksize=0,
            dtype="float32",
            latency="low",
            callback=self._callback,
        )
        self._block = int(self.native_rate * block_ms / 1000)
        self._clock = SampleClock(self.native_rate)
        self._captured = 0
        self._resampler = soxr.ResampleStream(self.native_rate, RATE, 1, dtype="float32")
        self._closed = False
        try:
            self._stream.start()
        except Exception as exc:
            raise AudioDeviceError(f"input device {self.name!r} would not start: {exc}") from exc

    def _callback(self, data: np.ndarray, frames: int, when: Any, status: Any) -> None:
        # PortAudio's thread: copy and stamp only. The first sample was captured no later than
        # the buffer's length before now; the sample clock smooths out the callbacks' jitter.
        now = time.monotonic_ns()
        self._clock.stamp(now - int(frames / self.native_rate * 1e9), frames)
        if status:
            self.overruns += 1
        with self._ready:
            self._ring.append((data.copy(), self._captured))
            self._ready.notify()
        self._captured += frames

    def blocks(self) -> Iterator[AudioBlock]:
        pending = np.zeros(0, np.float32)
        origin = emitted = following = 0  # input sample numbers, and output samples since
        while not self._closed:
            with self._ready:
                if not self._ring and not self._ready.wait(timeout=self._stall_s):
                    if self._closed:
                        return
                    raise AudioDeviceError(
                        f"input device {self.name!r} delivered no audio for {self._stall_s:.0f} s"
                    )
                if not self._ring:
                    continue
                data, first = self._ring.popleft()
            if not self._stream.active and not self._closed:
                raise AudioDeviceError(f"input device {self.name!r} stopped")
            if first != following:  # drained or overrun: start again from this buffer
                pending = np.zeros(0, np.float32)
                self._resampler.clear()
                origin, emitted = first, 0
            following = first + len(data)
            mono = data.mean(axis=1) if data.ndim > 1 else data
            pending = np.concatenate([pending, mono.astype(np.float32)])
            while len(pending) >= self._block:
                chunk, pending = pending[: self._block], pending[self._block :]
                out = self._resampler.resample_chunk(chunk)
                if len(out):
                    # soxr hands back a varying count per chunk, aligned with its input: the
                    # block's first sample lies here in the input, which the clock maps to time
                    at = origin + emitted * self.native_rate / RATE
                    emitted += len(out)
                    yield AudioBlock(np.asarray(out, dtype=np.float32), self._clock.time_of(at))

    @property
    def clock_ppm(self) -> float:
        """How much faster than its nominal rate the device captures, against the system
        clock."""
        return self._clock.ppm

    def drain(self) -> None:
        """Drop what was captured so far."""
        with self._ready:
            self._ring.clear()

    def close(self) -> None:
        self._closed = True
        with self._ready:
            self._ready.notify_all()
        try:
            self._stream.stop()
            self._stream.close()
        except Exception:  # closing a vanished device: nothing left to release
            pass


class ResilientMic:
    """A microphone that survives its device: opened lazily, reopened with exponential backoff
    when it is missing, unplugged or stalls. `on_status` hears each loss and each return."""

    realtime = True

    def __init__(
        self,
        open_mic: Callable[[], Microphone],
        on_status: StatusCallback | None = None,
        backoff_s: tuple[float, float] = (0.5, 8.0),
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._open = open_mic
        self._on_status = on_status or (lambda ok, detail: None)
        self._backoff = backoff_s
        self._sleep = sleep
        self._mic: Microphone | None = None
        self._closed = threading.Event()
        self.name = ""
        self.failures = 0

    def blocks(self) -> Iterator[AudioBlock]:
        delay = self._backoff[0]
        lost = False
        while not self._closed.is_set():
            try:
                self._mic = self._open()
                self.name = str(getattr(self._mic, "name", ""))
                for block in self._mic.blocks():
                    if lost:  # back only once it delivers audio again
                        self._on_status(True, f"microphone {self.name!r} is back")
                        lost, delay = False, self._backoff[0]
                    yield block
                if self._closed.is_set():
                    return
                raise AudioDeviceError(f"microphone {self.name!r} ended")
            except AudioDeviceError as exc:
                self.failures += 1
                if not lost:
                    self._on_status(False, str(exc).splitlines()[0])
                    lost = True
                self._release()
                if self._closed.is_set():
                    return
                if self._sleep is not None:
                    self._sleep(delay)
                elif self._closed.wait(delay):
                    return
                delay = min(delay * 2, self._backoff[1])

    def _release(self) -> None:
        if self._mic is not None:
            self._mic.close()
            self._mic = None

    def drain(self) -> None:
        if self._mic is not None:
            self._mic.drain()

    def close(self) -> None:
        self._closed.set()
        self._release()


class FileMic:
    """A WAV file played as a microphone, in real time or as fast as it is read."""

    def __init__(
        self, path: Path, realtime: bool = True, block_ms: int = BLOCK_MS, loop: bool = False
    ):
        self._audio = read_wav(path, RATE)
        self._block = int(RATE * block_ms / 1000)
        self.realtime = realtime
        self._loop = loop
        self._closed = threading.Event()
        self.name = str(path)

    @classmethod
    def from_samples(
        cls,
        samples: np.ndarray,
        realtime: bool = True,
        loop: bool = False,
        block_ms: int = BLOCK_MS,
    ) -> FileMic:
        mic = cls.__new__(cls)
        mic._audio = np.asarray(samples, dtype=np.float32)
        mic._block = int(RATE * block_ms / 1000)
        mic.realtime, mic._loop, mic._closed = realtime, loop, threading.Event()
        mic.name = "samples"
        return mic

    def blocks(self) -> Iterator[AudioBlock]:
        start = time.monotonic_ns()
        sent = 0
        while not self._closed.is_set():
            for offset in range(0, len(self._audio), self._block):
                if self._closed.is_set():
                    return
                stamp = start + sent * 1_000_000_000 // RATE
                block = self._audio[offset : offset + self._block]
                if self.realtime:
                    # a block is available once its last sample has been "captured"
                    ready = stamp + len(block) * 1_000_000_000 // RATE
                    delay = (ready - time.monotonic_ns()) / 1e9
                    if delay > 0 and self._closed.wait(delay):
                        return
                sent += len(block)
                yield AudioBlock(block, stamp)
            if not self._loop:
                return

    def drain(self) -> None:
        """Nothing to drop: a file does not hear the speaker."""

    def close(self) -> None:
        self._closed.set()


class RecordingSpeaker:
    """A speaker that keeps what it is asked to play, with the time it was handed over. `play`
    returns at once (or after the audio's length, with `realtime`): for unit tests and the
    lock-step loop. `edge.playback.VirtualSpeaker` is the streaming, clearable one."""

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
    "ResilientMic",
    "SampleClock",
    "SoundDeviceMic",
    "Speaker",
    "StatusCallback",
    "describe_devices",
    "open_stream",
    "resolve_device",
    "to_int16",
]
