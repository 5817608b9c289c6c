"""A simulated room: the speaker's sound comes back into the microphone, late, quieter and
smeared by reverberation. Tests and benchmarks use it to check that the kiosk does not hear
itself, and that a shopper talking over it still gets through.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from edge.audio_io import BLOCK_MS, AudioBlock, Microphone
from edge.timeline import NS_PER_SAMPLE, PlaybackTimeline

RATE = 16000


@dataclass(frozen=True)
class EchoPathOptions:
    delay_ms: float = 60.0
    """Loudspeaker to microphone, plus converter latencies."""
    gain_db: float = -6.0
    """Echo energy relative to the played signal's."""
    rt60_s: float = 0.3
    """Reverberation time: how long the room rings (to -60 dB)."""
    tail_ms: float = 250.0
    """Length of the simulated impulse response."""
    seed: int = 1


class EchoPath:
    def __init__(self, options: EchoPathOptions | None = None) -> None:
        self.options = o = options or EchoPathOptions()
        n = int(o.tail_ms * RATE / 1000)
        t = np.arange(n) / RATE
        rng = np.random.default_rng(o.seed)
        h = rng.standard_normal(n) * np.exp(-6.9 * t / o.rt60_s)
        h[0] = 3.0  # the direct path
        h *= 10 ** (o.gain_db / 20) / np.sqrt(np.sum(h**2))
        self.impulse = h.astype(np.float32)
        self.delay = int(o.delay_ms * RATE / 1000)

    def apply(self, played: np.ndarray) -> np.ndarray:
        """The echo of a whole played signal, the same length as it."""
        wet = np.convolve(np.asarray(played, np.float32), self.impulse)[: len(played)]
        return np.concatenate([np.zeros(self.delay, np.float32), wet])[: len(played)]

    def echo_at(self, timeline: PlaybackTimeline, start_ns: int, n: int) -> np.ndarray:
        """The echo arriving during [start_ns, start_ns + n samples), from what was played."""
        history = len(self.impulse) - 1
        first_ns = start_ns - (self.delay + history) * NS_PER_SAMPLE
        played = timeline.read_at(first_ns, n + history, NS_PER_SAMPLE)  # between samples
        if not played.any():
            return np.zeros(n, np.float32)
        return np.convolve(played, self.impulse, mode="valid").astype(np.float32)


class EchoMic:
    """A microphone that also hears the speaker through a simulated echo path.

    Each block waits (at most `wait_s`) until the speaker has recorded what it played up to
    the block's end. In a room the echo is whatever played; here it is built from the
    speaker's record, and a speaker thread starved by a busy machine writes late. Built too
    early, the echo would lack sound that the record, read a moment later by the echo
    cancellers, does hold: a room that contradicts its own reference."""

    def __init__(
        self, mic: Microphone, timeline: PlaybackTimeline, path: EchoPath, wait_s: float = 0.5
    ) -> None:
        self._mic = mic
        self._timeline = timeline
        self._path = path
        self._wait_s = wait_s
        self._stalled_at: int | None = None
        """The record's end when a wait last ran out: the speaker has stopped, so later blocks
        do not wait again until it moves."""
        self.realtime = bool(getattr(mic, "realtime", True))
        self.echo_energy = 0.0

    def blocks(self) -> Iterator[AudioBlock]:
        for block in self._mic.blocks():
            n = len(block.samples)
            self._await_speaker(block.captured_ns + n * NS_PER_SAMPLE)
            echo = self._path.echo_at(self._timeline, block.captured_ns, n)
            self.echo_energy += float(np.sum(echo**2))
            yield AudioBlock(block.samples + echo, block.captured_ns)

    def _await_speaker(self, until_ns: int) -> None:
        give_up = time.monotonic() + self._wait_s
        while True:
            recorded = self._timeline.recorded_until_ns()
            if recorded is None or recorded >= until_ns or recorded == self._stalled_at:
                return
            if time.monotonic() >= give_up:
                self._stalled_at = recorded
                return
            time.sleep(0.002)

    def drain(self) -> None:
        self._mic.drain()

    def close(self) -> None:
        self._mic.close()


class ScriptedShopper:
    """A real-time microphone on which a simulated shopper asks questions: the first at once,
    each next one `interrupt_after_s` after the kiosk starts answering the previous one (so it
    talks over the reply). Room noise throughout: white at `noise_dbfs`, or a recording of a
    store (`bed`, looped from a point chosen by `seed`). `onsets_ns` records when each question's
    first loud sample was captured."""

    realtime = True

    def __init__(
        self,
        questions: list[np.ndarray],
        started: Callable[[int], bool],
        interrupt_after_s: float = 1.0,
        lead_s: float = 0.5,
        tail_s: float = 6.0,
        noise_dbfs: float = -60.0,
        bed: np.ndarray | None = None,
        seed: int = 0,
        block_ms: int = BLOCK_MS,
    ) -> None:
        self._questions = [np.asarray(q, np.float32) for q in questions]
        self._started = started
        self._after = interrupt_after_s
        self._lead = int(lead_s * RATE)
        self._tail = int(tail_s * RATE)
        self._noise = 10 ** (noise_dbfs / 20)
        self._bed = None if bed is None else np.asarray(bed, np.float32)
        self._rng = np.random.default_rng(seed)
        self._bed_start = 0 if bed is None else int(self._rng.integers(len(bed)))
        self._block = RATE * block_ms // 1000
        self._closed = threading.Event()
        self.onsets_ns: list[int] = []

    def blocks(self) -> Iterator[AudioBlock]:
        block = self._block
        start = time.monotonic_ns()
        sent = 0
        queue = list(self._questions)
        speech = np.zeros(self._lead, np.float32)
        waiting_since: int | None = None
        quiet_after = 0
        while not self._closed.is_set():
            stamp = start + sent * 1_000_000_000 // RATE
            if len(speech) < block and queue and (waiting_since is None or self._due(stamp)):
                nxt = queue.pop(0)
                loud = int(np.argmax(np.abs(nxt) > 0.01))
                at = sent + len(speech) + loud
                self.onsets_ns.append(start + at * 1_000_000_000 // RATE)
                speech = np.concatenate([speech, nxt])
                waiting_since = len(self.onsets_ns) - 1
            if not queue and len(speech) < block:
                quiet_after += block
                if quiet_after > self._tail:
                    return
            chunk = np.zeros(block, np.float32)
            take = min(block, len(speech))
            chunk[:take] = speech[:take]
            speech = speech[take:]
            chunk += self._room(sent, block)
            ready = stamp + block * 1_000_000_000 // RATE
            delay = (ready - time.monotonic_ns()) / 1e9
            if delay > 0 and self._closed.wait(delay):
                return
            sent += block
            yield AudioBlock(chunk, stamp)

    def _room(self, at: int, n: int) -> np.ndarray:
        if self._bed is None:
            return (self._rng.standard_normal(n) * self._noise).astype(np.float32)
        index = (self._bed_start + at + np.arange(n)) % len(self._bed)
        return self._bed[index]

    def _due(self, now_ns: int) -> bool:
        """The kiosk started answering the last question long enough ago."""
        return self._started(now_ns - int(self._after * 1e9))

    def drain(self) -> None:
        """A script does not hear the speaker."""

    def close(self) -> None:
        self._closed.set()
