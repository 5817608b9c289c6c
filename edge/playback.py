"""Speakers that stream: replies are queued, played block by block, and can be cut off at once.

A barge-in must silence the kiosk within 150 ms, so a reply is never handed to the device whole:
`PlayQueue` holds queued replies (already resampled to the device's rate) and the audio thread
pulls one short block at a time; `clear()` empties it, and the next block is silence.
`hold(seconds)` plays silence for a while without dropping anything: speech over the kiosk
silences it at once, and the reply goes on if that speech was not the shopper's. Every
block that plays is also written, at 16 kHz, to a `PlaybackTimeline` with the time it reaches
the device: the echo canceller's reference.

- `SoundDeviceSpeaker`: a PortAudio output stream at the device's native rate.
- `VirtualSpeaker`: a clock thread that "plays" in real time and keeps what it played with
  timestamps (dev mode, tests, benchmarks).
- `ResilientSpeaker`: reopens a speaker that is missing or unplugged, with backoff; replies
  while it is away are dropped and reported, never raised.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import soxr

from edge.audio_io import (
    AudioDeviceError,
    SampleClock,
    StatusCallback,
    open_stream,
    resolve_device,
)
from edge.timeline import PlaybackTimeline
from edge.wav import write_wav

REF_RATE = 16000


@dataclass
class PlayHandle:
    """One queued reply. The audio thread fills in when it started and how it ended."""

    seconds: float
    started_ns: int = 0
    """When its first sample was handed to the device (0: not yet)."""
    played_s: float = 0.0
    done: bool = False
    cut: bool = False
    """Dropped by `clear()` before it finished."""
    finished: threading.Event = field(default_factory=threading.Event, repr=False)


@dataclass
class _Item:
    out: np.ndarray
    ref: np.ndarray
    handle: PlayHandle
    pos: int = 0


class PlayQueue:
    """Queued replies at the device's rate, pulled in blocks by the audio thread."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._items: deque[_Item] = deque()
        self._lock = threading.Lock()
        self.cleared = 0
        self._held_until_ns = 0

    def hold(self, seconds: float) -> None:
        """Play silence for `seconds` from now, keeping the queue; `release()` ends it early."""
        until = time.monotonic_ns() + int(seconds * 1e9)
        with self._lock:
            self._held_until_ns = max(self._held_until_ns, until)

    def release(self) -> None:
        with self._lock:
            self._held_until_ns = 0

    def put(self, samples: np.ndarray, rate: int) -> PlayHandle:
        audio = np.asarray(samples)
        if audio.dtype == np.int16:
            audio = audio.astype(np.float32) / 32768.0
        audio = np.asarray(audio, np.float32).reshape(-1)
        out = _resample(audio, rate, self.rate)
        ref = out if self.rate == REF_RATE else _resample(audio, rate, REF_RATE)
        handle = PlayHandle(seconds=len(audio) / rate if rate else 0.0)
        if not len(out):
            handle.done = True
            handle.finished.set()
            return handle
        with self._lock:
            self._items.append(_Item(out, ref, handle))
        return handle

    def pull(self, n: int, now_ns: int, ref_n: int) -> tuple[np.ndarray, np.ndarray]:
        """The next `n` device samples (silence when nothing is queued), and the same stretch
        as `ref_n` samples at 16 kHz for the timeline."""
        out = np.zeros(n, np.float32)
        refs: list[np.ndarray] = []
        filled = 0
        with self._lock:
            if time.monotonic_ns() < self._held_until_ns:
                return out, np.zeros(ref_n, np.float32)
            while filled < n and self._items:
                item = self._items[0]
                take = min(n - filled, len(item.out) - item.pos)
                out[filled : filled + take] = item.out[item.pos : item.pos + take]
                a = round(item.pos * REF_RATE / self.rate)
                item.pos += take
                b = round(item.pos * REF_RATE / self.rate)
                refs.append(item.ref[a:b])
                if not item.handle.started_ns:
                    item.handle.started_ns = now_ns + int(filled / self.rate * 1e9)
                item.handle.played_s = item.pos / self.rate
                filled += take
                if item.pos >= len(item.out):
                    self._items.popleft()
                    item.handle.done = True
                    item.handle.finished.set()
        ref = np.zeros(ref_n, np.float32)
        if refs:
            played = np.concatenate(refs)[:ref_n]
            ref[: len(played)] = played
        return out, ref

    def clear(self) -> float:
        """Drop everything queued and end a hold; returns the seconds of audio dropped."""
        with self._lock:
            dropped = sum(len(i.out) - i.pos for i in self._items) / self.rate
            items, self._items = list(self._items), deque()
            self._held_until_ns = 0
        for item in items:
            item.handle.cut = item.handle.done = True
            item.handle.finished.set()
        if items:
            self.cleared += 1
        return dropped

    def pending_s(self) -> float:
        with self._lock:
            return sum(len(i.out) - i.pos for i in self._items) / self.rate


def _resample(audio: np.ndarray, rate: int, target: int) -> np.ndarray:
    if rate == target or not len(audio):
        return audio
    return np.asarray(soxr.resample(audio, rate, target, quality="HQ"), dtype=np.float32)


class StreamingSpeaker(Protocol):
    timeline: PlaybackTimeline
    output_latency_s: float

    def play(self, samples: np.ndarray, rate: int) -> PlayHandle: ...

    def clear(self) -> float: ...

    def hold(self, seconds: float) -> None: ...

    def release(self) -> None: ...

    def pending_s(self) -> float: ...

    def close(self) -> None: ...


class SoundDeviceSpeaker:
    """A PortAudio output at the device's native rate, fed 20 ms at a time from a queue."""

    def __init__(
        self,
        device: str | int | None = None,
        timeline: PlaybackTimeline | None = None,
        block_ms: int = 20,
    ) -> None:
        import sounddevice as sd

        self.timeline = timeline or PlaybackTimeline()
        self._index = resolve_device(device, "output")
        info: Any = sd.query_devices(self._index)
        self.name = str(info["name"])
        self._queue: PlayQueue | None = None
        self._stream, self.rate, self.channels = open_stream(
            sd.OutputStream,
            self._index,
            info,
            "output",
            1,
            blocksize=int(int(info["default_samplerate"]) * block_ms / 1000),
            dtype="float32",
            latency="low",
            callback=self._callback,
        )
        self._queue = PlayQueue(self.rate)
        self.output_latency_s = float(self._stream.latency)
        self._clock = SampleClock(self.rate)
        self._played = 0
        try:
            self._stream.start()
        except Exception as exc:
            raise AudioDeviceError(f"output device {self.name!r} would not start: {exc}") from exc

    def _callback(self, outdata: np.ndarray, frames: int, when: Any, status: Any) -> None:
        # PortAudio's thread: copy from the queue, stamp the time it reaches the speaker.
        if self._queue is None:
            outdata.fill(0)
            return
        # The buffer plays once what the device already holds has played: about the stream's
        # latency from now (PortAudio's own DAC time, through PulseAudio, jumped by ms). The
        # sample clock smooths out the callbacks' jitter and learns the device's true rate.
        observed = time.monotonic_ns() + int(self.output_latency_s * 1e9)
        if status.output_underflow:
            # the device ran dry: what follows plays later than the learned line says
            self._clock.restart()
        dac_ns = self._clock.stamp(observed, frames)
        first = self._played
        self._played += frames
        ref_from = first * REF_RATE // self.rate
        ref_to = self._played * REF_RATE // self.rate
        out, ref = self._queue.pull(frames, dac_ns, ref_to - ref_from)
        outdata[:] = out[:, None]
        # silence too: the timeline is one unbroken record of what this device played
        self.timeline.write(ref, self._clock.time_of(ref_from * self.rate / REF_RATE))

    @property
    def clock_ppm(self) -> float:
        """How much faster than its nominal rate the device plays, against the system clock."""
        return self._clock.ppm

    @property
    def alive(self) -> bool:
        return bool(self._stream.active)

    def play(self, samples: np.ndarray, rate: int) -> PlayHandle:
        if not self._stream.active:
            raise AudioDeviceError(f"output device {self.name!r} stopped")
        assert self._queue is not None
        return self._queue.put(samples, rate)

    def clear(self) -> float:
        return self._queue.clear() if self._queue is not None else 0.0

    def hold(self, seconds: float) -> None:
        if self._queue is not None:
            self._queue.hold(seconds)

    def release(self) -> None:
        if self._queue is not None:
            self._queue.release()

    def pending_s(self) -> float:
        return self._queue.pending_s() if self._queue is not None else 0.0

    def close(self) -> None:
        self.clear()
        try:
            self._stream.stop()
            self._stream.close()
        except Exception:  # a vanished device: nothing left to release
            pass


class VirtualSpeaker:
    """Plays in real time on a clock thread, into the timeline and its own recording."""

    def __init__(
        self,
        timeline: PlaybackTimeline | None = None,
        tick_ms: int = 10,
        output_latency_s: float = 0.0,
    ) -> None:
        self.timeline = timeline or PlaybackTimeline()
        self.rate = REF_RATE
        self.output_latency_s = output_latency_s
        self.name = "virtual speaker"
        self._queue = PlayQueue(REF_RATE)
        self._tick = REF_RATE * tick_ms // 1000
        self._stop = threading.Event()
        self.played: list[tuple[int, np.ndarray]] = []
        """(time the block reached the 'device', 16 kHz samples) for every non-silent block."""
        self.handles: list[PlayHandle] = []
        self.cleared_ns: list[int] = []
        self.held_ns: list[int] = []
        self._thread = threading.Thread(target=self._run, name="virtual-speaker", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        step_ns = self._tick * 1_000_000_000 // REF_RATE
        deadline = time.monotonic_ns()
        while not self._stop.is_set():
            now = time.monotonic_ns()
            if now < deadline:
                self._stop.wait((deadline - now) / 1e9)
                continue
            play_ns = deadline + int(self.output_latency_s * 1e9)
            out, _ = self._queue.pull(self._tick, play_ns, 0)
            self.timeline.write(out, play_ns)
            if out.any():
                self.played.append((play_ns, out))
            deadline += step_ns

    def play(self, samples: np.ndarray, rate: int) -> PlayHandle:
        handle = self._queue.put(samples, rate)
        self.handles.append(handle)
        return handle

    def clear(self) -> float:
        dropped = self._queue.clear()
        self.cleared_ns.append(time.monotonic_ns())
        return dropped

    def hold(self, seconds: float) -> None:
        self._queue.hold(seconds)
        self.held_ns.append(time.monotonic_ns())

    def release(self) -> None:
        self._queue.release()

    def pending_s(self) -> float:
        return self._queue.pending_s()

    def recording(self) -> tuple[int, np.ndarray]:
        """Everything played, on one time axis: (time of the first sample, 16 kHz samples)."""
        if not self.played:
            return 0, np.zeros(0, np.float32)
        first = self.played[0][0]
        last_ns, last = self.played[-1]
        total = PlaybackTimeline.index(last_ns) - PlaybackTimeline.index(first) + len(last)
        out = np.zeros(total, np.float32)
        for ns, block in self.played:
            at = PlaybackTimeline.index(ns) - PlaybackTimeline.index(first)
            out[at : at + len(block)] = block
        return first, out

    def save(self, path: Any) -> None:
        _, audio = self.recording()
        write_wav(path, np.asarray(np.clip(audio, -1, 1) * 32767, np.int16), REF_RATE)

    def close(self) -> None:
        self._queue.clear()
        self._stop.set()
        self._thread.join(timeout=1.0)


class ResilientSpeaker:
    """A speaker that survives its device: reopened with exponential backoff on the next reply
    after it went away. While it is away `on_status` is told once, and replies play into a
    silent virtual speaker instead: nobody hears them, but they take their time, so captions
    and the turn's states follow them as if they had been heard."""

    def __init__(
        self,
        open_speaker: Callable[[PlaybackTimeline], SoundDeviceSpeaker],
        on_status: StatusCallback | None = None,
        backoff_s: tuple[float, float] = (0.5, 8.0),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.timeline = PlaybackTimeline()
        self._open = open_speaker
        self._on_status = on_status or (lambda ok, detail: None)
        self._backoff = backoff_s
        self._clock = clock
        self._speaker: SoundDeviceSpeaker | None = None
        self._retry_at = 0.0
        self._delay = backoff_s[0]
        self._lost = False
        self._silent: VirtualSpeaker | None = None
        self.dropped = 0
        self.output_latency_s = 0.0
        self.name = ""
        self._ensure()

    def _ensure(self) -> SoundDeviceSpeaker | None:
        if self._speaker is not None and not self._speaker.alive:
            self._fail(AudioDeviceError(f"output device {self._speaker.name!r} stopped"))
        if self._speaker is None and self._clock() >= self._retry_at:
            try:
                self._speaker = self._open(self.timeline)
            except AudioDeviceError as exc:
                self._fail(exc)
                return None
            self.name, self.output_latency_s = self._speaker.name, self._speaker.output_latency_s
            self._delay = self._backoff[0]
            if self._lost:
                self._on_status(True, f"speaker {self.name!r} is back")
                self._lost = False
        return self._speaker

    def _fail(self, exc: AudioDeviceError) -> None:
        if self._speaker is not None:
            self._speaker.close()
            self._speaker = None
        self._retry_at = self._clock() + self._delay
        self._delay = min(self._delay * 2, self._backoff[1])
        if not self._lost:
            self._lost = True
            self._on_status(False, str(exc).splitlines()[0])

    def play(self, samples: np.ndarray, rate: int) -> PlayHandle:
        speaker = self._ensure()
        if speaker is not None:
            try:
                return speaker.play(samples, rate)
            except AudioDeviceError as exc:
                self._fail(exc)
        self.dropped += 1
        if self._silent is None:  # its own timeline: there is no echo of it to cancel
            self._silent = VirtualSpeaker(PlaybackTimeline(seconds=1.0))
        return self._silent.play(samples, rate)

    def clear(self) -> float:
        dropped = self._silent.clear() if self._silent is not None else 0.0
        return dropped + (self._speaker.clear() if self._speaker is not None else 0.0)

    def hold(self, seconds: float) -> None:
        for speaker in (self._silent, self._speaker):
            if speaker is not None:
                speaker.hold(seconds)

    def release(self) -> None:
        for speaker in (self._silent, self._speaker):
            if speaker is not None:
                speaker.release()

    def pending_s(self) -> float:
        pending = self._silent.pending_s() if self._silent is not None else 0.0
        return pending + (self._speaker.pending_s() if self._speaker is not None else 0.0)

    def close(self) -> None:
        if self._silent is not None:
            self._silent.close()
        if self._speaker is not None:
            self._speaker.close()
            self._speaker = None


__all__ = [
    "PlayHandle",
    "PlayQueue",
    "ResilientSpeaker",
    "SoundDeviceSpeaker",
    "StreamingSpeaker",
    "VirtualSpeaker",
]
