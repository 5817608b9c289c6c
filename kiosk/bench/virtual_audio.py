"""The benchmark's virtual shopper and devices, shared by the kiosk and the Pipecat peer.

- `Director` plays the question set into the microphone in real time: store noise all the
  time, the next question once the previous reply is over (or given up on), and the matching
  camera picture. It knows the true end of each question's speech.
- `MicFeed` is a thread that delivers the director's signal in fixed blocks the way a sound
  card does: each block once its last sample has been captured, stamped with the capture time
  of its first sample (time.monotonic_ns).
- `SpeakerClock` is a virtual output device. It takes reply audio as it is handed over and
  plays it on a real-time clock, so it knows when the first audible sample leaves the speaker:
  when it was handed over, after whatever was queued before it, plus the device's reported
  output latency. It tells the director when a reply starts and when the device has gone
  quiet. To keep a run short it drains `speed` times faster than real time once a reply has
  started (the shopper does not wait for the whole answer); the first-audible time is always
  computed at real time.

numpy and the standard library only: the Pipecat peer imports this from its own environment.
"""

from __future__ import annotations

import json
import threading
import time
import wave
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

RATE = 16000
AUDIBLE = 0.02
"""A reply sample louder than this (about -34 dBFS) is audible."""
ONSET_GAP_S = 0.8
"""Audible sound after this long without any starts a new reply."""


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    """'local', 'held', 'open' or 'paused'."""
    route: str
    """The route a good kiosk takes ('local' or 'cloud'), for the report."""
    text: str
    wav: str
    speech_end_s: float
    """True end of the spoken question, in seconds into the clip."""
    last_piece_s: float
    """Start of its last spoken piece (for a question with pauses); a reply before this
    cut the shopper off."""
    frame: str | None = None
    """What the camera shows while it is asked (a held-up product), else the shopper."""
    sku: str | None = None


@dataclass(frozen=True)
class Plan:
    questions: tuple[Question, ...]
    bed: str
    """Store noise, looped under everything the microphone hears."""
    shopper_frame: str
    """The camera while a shopper stands at the kiosk."""
    empty_frame: str
    """The camera while nobody does."""
    settle_s: float = 1.5
    """Store noise before the first question."""
    idle_s: float = 10.0
    """Nobody present after the last question: the idle measurement."""
    gap_s: float = 0.3
    """Between the end of a reply and the next question."""
    frame_lead_s: float = 1.0
    """A held-up product is in view this long before its question starts."""
    answer_timeout_s: float = 6.0
    """No audible reply this long after the question: it was not answered."""
    quiet_s: float = 3.0
    """The reply is over when the system says it is done (it goes back to listening) and
    the speaker has had nothing to play for 0.2 s; or, without that word, after this long."""
    speaker_speed: float = 12.0
    output_latency_ms: float = 20.0
    """The virtual speaker's reported output latency, added to every audible time."""
    prewarm_wait_s: float = 60.0
    """How long the kiosk may finish prewarming its common answers before the first question
    (its steady state; Pipecat has nothing to prewarm)."""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["questions"] = [asdict(q) for q in self.questions]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        fields = dict(data)
        fields["questions"] = tuple(Question(**q) for q in data["questions"])
        return cls(**fields)

    @classmethod
    def load(cls, path: Path) -> Plan:
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))


def read_clip(path: str | Path) -> np.ndarray:
    """A 16 kHz mono 16-bit WAV as float32."""
    with wave.open(str(path), "rb") as wf:
        if wf.getframerate() != RATE or wf.getnchannels() != 1 or wf.getsampwidth() != 2:
            raise ValueError(f"{path}: the benchmark's clips are 16 kHz mono 16-bit")
        data = np.frombuffer(wf.readframes(wf.getnframes()), dtype="<i2")
    return (data.astype(np.float32) / 32768.0).astype(np.float32)


@dataclass
class Onset:
    audible_ns: int
    """When its first audible sample leaves the speaker (output latency included)."""
    handed_ns: int
    """When the audio holding that sample was handed to the device."""


@dataclass
class Asked:
    """One question as it was asked, and what the speaker did about it."""

    question: Question
    start_ns: int
    speech_end_ns: int
    last_piece_ns: int
    onsets: list[Onset] = field(default_factory=list)
    spoken: bool = False
    done_ns: int = 0
    answered: bool = False
    reply_audio_s: float = 0.0

    def result(self) -> dict[str, Any]:
        first = self.onsets[0] if self.onsets else None
        early = first is not None and first.audible_ns < self.speech_end_ns
        return {
            "id": self.question.id,
            "kind": self.question.kind,
            "expected_route": self.question.route,
            "text": self.question.text,
            "start_ns": self.start_ns,
            "speech_end_ns": self.speech_end_ns,
            "last_piece_ns": self.last_piece_ns,
            "done_ns": self.done_ns,
            "answered": self.answered,
            "onsets": [asdict(o) for o in self.onsets],
            "replied_before_end": early,
            "latency_ms": (
                round((first.audible_ns - self.speech_end_ns) / 1e6, 1)
                if first is not None and not early
                else None
            ),
            "handed_to_audible_ms": (
                round((first.audible_ns - first.handed_ns) / 1e6, 1) if first else None
            ),
            "reply_audio_s": round(self.reply_audio_s, 2),
        }


class Director:
    """The shopper: what the microphone hears and the camera sees, question by question."""

    def __init__(
        self,
        plan: Plan,
        clock: Callable[[], int] = time.monotonic_ns,
        on_ask: Callable[[Question, int], None] | None = None,
    ) -> None:
        self.plan = plan
        self.clock = clock
        self._on_ask = on_ask
        """Told each question as it starts (with its start time), from the mic's thread."""
        self._bed = read_clip(plan.bed)
        self._clips = {q.id: read_clip(q.wav) for q in plan.questions}
        self._lock = threading.Lock()
        self.t0_ns = 0
        self._pos = 0
        self.phase = "settle"
        """settle, session, idle, done."""
        self._next = 0
        self._ready_ns = 0
        self._current: Asked | None = None
        self._clip: np.ndarray | None = None
        self._clip_start = 0
        self.asked: list[Asked] = []
        self.stray: list[Onset] = []
        """Replies that belong to no question (a greeting, a late answer)."""
        self.phase_ns: dict[str, int] = {}
        self.finished = threading.Event()
        self._last_audible_ns = 0
        self._busy_ns = 0
        self._done_hint_ns = 0

    # ----- time -----

    def start(self, now_ns: int | None = None) -> int:
        """Start the microphone's timeline; returns its time zero."""
        with self._lock:
            self.t0_ns = self.clock() if now_ns is None else now_ns
            self.phase_ns["settle"] = self.t0_ns
            self._ready_ns = self.t0_ns + int(self.plan.settle_s * 1e9)
            return self.t0_ns

    def time_of(self, sample: int) -> int:
        return self.t0_ns + sample * 1_000_000_000 // RATE

    # ----- the microphone -----

    def fill(self, n: int) -> tuple[np.ndarray, int]:
        """The next `n` samples the microphone hears, and the capture time of the first."""
        with self._lock:
            start = self._pos
            stamp = self.time_of(start)
            self._advance(stamp)
            idx = np.arange(start, start + n) % len(self._bed)
            out = self._bed[idx].copy()
            if self._clip is not None:
                a = max(start, self._clip_start)
                b = min(start + n, self._clip_start + len(self._clip))
                if a < b:
                    offset = self._clip_start
                    out[a - start : b - start] += self._clip[a - offset : b - offset]
                if start + n >= self._clip_start + len(self._clip):
                    self._clip = None
                    if self._current is not None:
                        self._current.spoken = True
            self._pos = start + n
            return np.clip(out, -1.0, 1.0).astype(np.float32), stamp

    def _advance(self, stamp: int) -> None:
        """Move the session along at the capture time of the block about to be heard."""
        plan = self.plan
        now = max(stamp, self.clock())
        current = self._current
        if current is not None and current.spoken:
            # A reply that started before the question was over answered a fragment: wait
            # for the answer to the whole question too (or give up on it).
            if any(o.audible_ns >= current.speech_end_ns for o in current.onsets):
                quiet = now - self._busy_ns
                said_done = self._done_hint_ns > current.onsets[-1].audible_ns
                if quiet >= (0.2 if said_done else plan.quiet_s) * 1e9:
                    self._finish(current, now, answered=True)
            elif now - current.speech_end_ns > plan.answer_timeout_s * 1e9:
                self._finish(current, now, answered=bool(current.onsets))
        if self.phase == "settle" and stamp >= self._ready_ns:
            self._enter("session", stamp)
        if self.phase == "session" and self._current is None:
            if self._next >= len(plan.questions):
                self._enter("idle", stamp)
                self._ready_ns = stamp + int(plan.idle_s * 1e9)
            elif stamp >= self._ready_ns:
                self._ask(plan.questions[self._next], stamp)
                self._next += 1
        if self.phase == "idle" and stamp >= self._ready_ns:
            self._enter("done", stamp)
            self.finished.set()

    def _enter(self, phase: str, stamp: int) -> None:
        self.phase = phase
        self.phase_ns[phase] = stamp

    def _ask(self, question: Question, stamp: int) -> None:
        clip = self._clips[question.id]
        self._clip, self._clip_start = clip, self._pos
        self._current = Asked(
            question,
            start_ns=stamp,
            speech_end_ns=stamp + int(question.speech_end_s * 1e9),
            last_piece_ns=stamp + int(question.last_piece_s * 1e9),
        )
        self.asked.append(self._current)
        if self._on_ask is not None:
            self._on_ask(question, stamp)

    def _finish(self, asked: Asked, now: int, answered: bool) -> None:
        asked.done_ns = now
        asked.answered = answered
        self._current = None
        upcoming = self._next < len(self.plan.questions)
        lead = self.plan.frame_lead_s if upcoming and self.plan.questions[self._next].frame else 0
        self._ready_ns = now + int(max(self.plan.gap_s, lead) * 1e9)

    # ----- the camera -----

    def frame(self) -> str:
        """The picture in front of the camera now (a file path)."""
        with self._lock:
            if self.phase in ("idle", "done"):
                return self.plan.empty_frame
            current = self._current
            if current is not None and current.question.frame:
                return current.question.frame
            upcoming = self._next < len(self.plan.questions) and self.phase == "session"
            if current is None and upcoming:
                question = self.plan.questions[self._next]
                lead = int(self.plan.frame_lead_s * 1e9)
                if question.frame and self.clock() >= self._ready_ns - lead:
                    return question.frame
            return self.plan.shopper_frame

    # ----- the speaker -----

    def heard_reply(self, audible_ns: int, last_ns: int, handed_ns: int, seconds: float) -> None:
        """The speaker played audible sound from `audible_ns` to `last_ns`."""
        with self._lock:
            if audible_ns - self._last_audible_ns > ONSET_GAP_S * 1e9:
                onset = Onset(audible_ns, handed_ns)
                target = self._owner(audible_ns)
                if target is not None:
                    target.onsets.append(onset)
                else:
                    self.stray.append(onset)
            self._last_audible_ns = max(self._last_audible_ns, last_ns)
            owner = self._owner(audible_ns)
            if owner is not None:
                owner.reply_audio_s += seconds

    def device_busy(self, now_ns: int) -> None:
        """The speaker played something, or still has something queued."""
        with self._lock:
            self._busy_ns = max(self._busy_ns, now_ns)

    def system_done(self) -> None:
        """The system under test says its reply is over (it goes back to listening)."""
        with self._lock:
            self._done_hint_ns = self.clock()

    def replying(self) -> bool:
        """The current question's reply has started (the speaker may hurry)."""
        with self._lock:
            current = self._current
            return current is not None and current.spoken and bool(current.onsets)

    def _owner(self, when_ns: int) -> Asked | None:
        if self._current is not None and when_ns >= self._current.start_ns:
            return self._current
        for asked in reversed(self.asked):
            if asked.start_ns <= when_ns <= asked.done_ns + int(self.plan.gap_s * 1e9):
                return asked
        return None

    def results(self) -> dict[str, Any]:
        with self._lock:
            return {
                "t0_ns": self.t0_ns,
                "phase_ns": dict(self.phase_ns),
                "questions": [a.result() for a in self.asked],
                "stray_onsets": [asdict(o) for o in self.stray],
            }


@dataclass
class Queued:
    """One piece of audio handed to the virtual speaker, as the device thread plays it."""

    samples: np.ndarray = field(repr=False)
    """float32 at the device's rate."""
    handed_ns: int
    seconds: float
    pos: int = 0
    started_ns: int = 0
    """When its first sample was handed to the device (0: not yet)."""
    done: bool = False
    cut: bool = False
    finished: threading.Event = field(default_factory=threading.Event, repr=False)
    on_update: Callable[[Queued], None] | None = field(default=None, repr=False)

    @property
    def played_s(self) -> float:
        return self.pos / RATE

    def _notify(self) -> None:
        if self.on_update is not None:
            self.on_update(self)


def resample(audio: np.ndarray, rate: int, target: int) -> np.ndarray:
    if rate == target or not len(audio):
        return np.asarray(audio, np.float32)
    import soxr

    return np.asarray(soxr.resample(audio, rate, target, quality="HQ"), dtype=np.float32)


class VirtualOutput:
    """The virtual speaker: a queue of reply audio and a device thread that plays it in ticks.

    Each tick it takes the next `tick_ms` of queued audio (silence when there is none), as a
    sound card's callback does, and works out when its first audible sample leaves the speaker:
    the tick's time, the sample's offset in it, and the reported output latency. Until the
    current question's reply has started it runs at real time; after that at `speed` times
    real time, so a long answer does not hold the run up.
    """

    def __init__(
        self,
        director: Director,
        speed: float = 1.0,
        output_latency_ms: float = 20.0,
        tick_ms: int = 10,
        on_play: Callable[[np.ndarray, int], None] | None = None,
    ) -> None:
        self.director = director
        self.speed = max(speed, 1.0)
        self.latency_ns = int(output_latency_ms * 1e6)
        self.output_latency_s = output_latency_ms / 1000
        self._tick = RATE * tick_ms // 1000
        self._on_play = on_play
        """Called with each non-silent tick and the time it plays (an echo reference)."""
        self._items: list[Queued] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.handed_s = 0.0
        self._held_until_ns = 0
        self._thread = threading.Thread(target=self._run, name="virtual-speaker", daemon=True)
        self._thread.start()

    def put(
        self,
        samples: np.ndarray,
        rate: int,
        on_update: Callable[[Queued], None] | None = None,
    ) -> Queued:
        """Queue audio (int16, or float in [-1, 1]) at any rate."""
        audio = np.asarray(samples)
        if audio.dtype == np.int16:
            audio = audio.astype(np.float32) / 32768.0
        audio = resample(np.asarray(audio, np.float32).reshape(-1), rate, RATE)
        item = Queued(audio, time.monotonic_ns(), len(audio) / RATE, on_update=on_update)
        if not len(audio):
            item.done = True
            item.finished.set()
            return item
        with self._lock:
            self._items.append(item)
            self.handed_s += item.seconds
        return item

    def clear(self) -> float:
        """Drop what is queued and not yet played (a barge-in); returns the seconds dropped."""
        with self._lock:
            items, self._items = self._items, []
            self._held_until_ns = 0
        for item in items:
            item.cut = item.done = True
            item.finished.set()
            item._notify()
        return sum((len(i.samples) - i.pos) / RATE for i in items)

    def hold(self, seconds: float) -> None:
        """Play silence for `seconds`, keeping the queue (speech over the kiosk, unconfirmed)."""
        with self._lock:
            self._held_until_ns = max(self._held_until_ns, time.monotonic_ns() + int(seconds * 1e9))

    def release(self) -> None:
        with self._lock:
            self._held_until_ns = 0

    def pending_s(self) -> float:
        with self._lock:
            return sum((len(i.samples) - i.pos) / RATE for i in self._items)

    def close(self) -> None:
        self.clear()
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=1.0)

    def _pull(self, now_ns: int, tick_ns: float) -> tuple[np.ndarray, int]:
        out = np.zeros(self._tick, np.float32)
        filled = 0
        first_handed = 0
        touched: list[Queued] = []
        with self._lock:
            if time.monotonic_ns() < self._held_until_ns:
                return out, 0
            while filled < self._tick and self._items:
                item = self._items[0]
                take = min(self._tick - filled, len(item.samples) - item.pos)
                out[filled : filled + take] = item.samples[item.pos : item.pos + take]
                if not item.started_ns:
                    item.started_ns = now_ns + int(filled / self._tick * tick_ns)
                if not first_handed:
                    first_handed = item.handed_ns
                item.pos += take
                filled += take
                touched.append(item)
                if item.pos >= len(item.samples):
                    self._items.pop(0)
                    item.done = True
            busy = bool(self._items) or filled > 0
        for item in touched:
            if item.done:
                item.finished.set()
            item._notify()
        if busy:
            self.director.device_busy(now_ns)
        return out, first_handed

    def _run(self) -> None:
        tick_real_ns = self._tick * 1_000_000_000 / RATE
        deadline = float(time.monotonic_ns())
        while not self._stop.is_set():
            now = time.monotonic_ns()
            if now < deadline:
                self._stop.wait((deadline - now) / 1e9)
                continue
            speed = self.speed if self.director.replying() else 1.0
            tick_ns = tick_real_ns / speed
            start = int(deadline)
            out, handed = self._pull(start, tick_ns)
            if out.any():
                play_ns = start + self.latency_ns
                if self._on_play is not None:
                    self._on_play(out, play_ns)
                loud = np.flatnonzero(np.abs(out) > AUDIBLE)
                if loud.size:
                    per_sample = tick_ns / self._tick
                    first = play_ns + int(loud[0] * per_sample)
                    last = play_ns + int(loud[-1] * per_sample)
                    self.director.heard_reply(first, last, handed, self._tick / RATE)
            deadline = max(deadline + tick_ns, time.monotonic_ns() - 5 * tick_real_ns)


class MicFeed:
    """A thread that hands the director's signal over in blocks, in real time."""

    def __init__(
        self,
        director: Director,
        block: int,
        deliver: Callable[[np.ndarray, int], None],
    ) -> None:
        self.director = director
        self.block = block
        self._deliver = deliver
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="virtual-mic", daemon=True)

    def start(self) -> MicFeed:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)

    def _run(self) -> None:
        t0 = self.director.start()
        k = 0
        period_ns = self.block * 1_000_000_000 // RATE
        while not self._stop.is_set() and not self.director.finished.is_set():
            due = t0 + (k + 1) * period_ns  # the block is complete when its last sample is in
            wait = (due - time.monotonic_ns()) / 1e9
            if wait > 0:
                self._stop.wait(wait)
            samples, stamp = self.director.fill(self.block)
            self._deliver(samples, stamp)
            k += 1


def process_cpu_s() -> float:
    """CPU seconds this process has used, all threads, user and system."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return float(usage.ru_utime + usage.ru_stime)


def memory_kb() -> dict[str, int]:
    """Current and peak resident set size (Linux /proc), in kB."""
    found: dict[str, int] = {}
    try:
        text = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        return found
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


def mark(name: str, **extra: Any) -> dict[str, Any]:
    """A timestamped line for the benchmark: the time, this process's CPU and memory."""
    return {
        "mark": name,
        "t_ns": time.monotonic_ns(),
        "cpu_s": round(process_cpu_s(), 3),
        **memory_kb(),
        **extra,
    }
