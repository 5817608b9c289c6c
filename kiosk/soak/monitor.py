"""The soak's observer: it follows every question from the shopper's last word to the first
audible reply sample at the (virtual) speaker, watches for stuck states, and samples memory.

It is an `EventSink` (the kiosk's typed events) and the microphone's `Listener` (which question
was asked and where its speech ended), and it reads what the speaker played. A turn's latency
is the DESIGN measure: the end of the shopper's speech to the first non-silent reply sample at
the device. When the shopper is paced faster than real time, the silence the endpoint waited
for went by faster too; that part is put back at its real-time length.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from kiosk.events import DeviceStatus, Event, Presence, StatusChanged, TurnCompleted
from kiosk.soak.shopper import RATE, Question
from kiosk.telemetry.redact import redact

LATE_MS = 3000.0
"""A reply (or the honest fallback) later than this after the shopper stopped is a lost turn."""


class PlayedLog(Protocol):
    """The speaker's record of audible blocks: (time at the device, samples), appended by its
    audio thread (`edge.playback.VirtualSpeaker.played`)."""

    played: list[tuple[int, np.ndarray]]


@dataclass
class TurnRecord:
    turn: int
    question: str
    kind: str
    end_sample: int
    asked_ns: int
    cut_sample: int | None = None
    first_audio_ns: int | None = None
    route: str | None = None
    reason: str = ""
    error: str | None = None
    kiosk_latency_ms: float | None = None
    """The loop's own figure (from the capture stamps), as telemetry stores it."""
    timings_ms: dict[str, float] = field(default_factory=dict)
    interrupted: bool = False
    gave_up: bool = False
    done: threading.Event = field(default_factory=threading.Event, repr=False)

    def latency_ms(self, pace: float) -> float | None:
        if self.first_audio_ns is None:
            return None
        wall = (self.first_audio_ns - self.asked_ns) / 1e6
        if self.cut_sample is None or pace <= 1.0:
            return wall
        endpoint_ms = max(self.cut_sample - self.end_sample, 0) * 1000.0 / RATE
        return wall + endpoint_ms * (1.0 - 1.0 / pace)

    def summary(self, pace: float) -> dict[str, object]:
        """One line of the report: what was asked and what happened, never the words."""
        latency = self.latency_ms(pace)
        t = self.timings_ms
        return {
            "turn": self.turn,
            "asked": self.kind,
            "route": self.route,
            "latency_ms": None if latency is None else round(latency, 1),
            "kiosk_latency_ms": None
            if self.kiosk_latency_ms is None
            else round(self.kiosk_latency_ms, 1),
            "stt_ms": round(t["stt"], 1) if "stt" in t else None,
            "cloud_ms": round(t["cloud"], 1) if "cloud" in t else None,
            "error": (self.error or "")[:80] or None,
            "gave_up": self.gave_up,
        }


@dataclass
class Stuck:
    at_turn: int
    what: str
    seconds: float


class TurnMonitor:
    def __init__(
        self,
        mic_position: Callable[[], int],
        speaker: PlayedLog,
        tracker_state: Callable[[], str] | None = None,
        stuck_thinking_s: float = 20.0,
        stuck_speaking_s: float = 5.0,
    ) -> None:
        self._position = mic_position
        self._speaker = speaker
        self._tracker_state = tracker_state
        self._stuck_thinking_s = stuck_thinking_s
        self._stuck_speaking_s = stuck_speaking_s
        self._lock = threading.Lock()
        self.records: list[TurnRecord] = []
        self.extra_turns = 0
        """Turns the kiosk took that no question was waiting for."""
        self.extra_heard: list[dict[str, str]] = []
        """What each of those turns heard (redacted as the turn log is) and how it was routed."""
        self.silent_replies = 0
        self.devices: Counter[str] = Counter()
        self.presence: Counter[str] = Counter()
        self.states: Counter[str] = Counter()
        self.stuck: list[Stuck] = []
        self.rss_kb: list[int] = []
        self._state = "starting"
        self._state_since = time.monotonic()
        self._heard_in_state = False
        self._flagged: set[tuple[str, float]] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="soak-watch", daemon=True)

    def start(self) -> TurnMonitor:
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)

    # ----- the microphone's side -----

    def asked(self, turn: int, question: Question, end_sample: int) -> None:
        with self._lock:
            self.records.append(
                TurnRecord(turn, question.text, question.kind, end_sample, time.monotonic_ns())
            )

    def answered(self, turn: int) -> bool:
        record = self._record(turn)
        return record is not None and record.done.is_set()

    def gave_up(self, turn: int) -> None:
        record = self._record(turn)
        if record is not None:
            record.gave_up = True
            record.done.set()

    # ----- the kiosk's side -----

    def __call__(self, event: Event) -> None:
        if isinstance(event, StatusChanged):
            self._status(event.state)
        elif isinstance(event, TurnCompleted):
            self._completed(event)
        elif isinstance(event, DeviceStatus):
            self.devices[f"{event.device}:{'up' if event.ok else 'down'}"] += 1
        elif isinstance(event, Presence):
            self.presence["arrived" if event.engaged else "left"] += 1

    def sample_memory(self) -> None:
        self.rss_kb.append(rss_kb())

    # ----- internals -----

    def _status(self, state: str) -> None:
        with self._lock:
            self.states[state] += 1
            self._state, self._state_since = state, time.monotonic()
            self._heard_in_state = False
            if state == "thinking":
                record = self._pending()
                if record is None:
                    self.extra_turns += 1
                elif record.cut_sample is None:
                    record.cut_sample = self._position()

    def _completed(self, event: TurnCompleted) -> None:
        self._take_played()
        with self._lock:
            record = self._pending()
            if record is None:
                self.extra_heard.append(
                    {
                        "heard": redact(event.transcript),
                        "route": event.route,
                        "reason": redact(event.reason),
                    }
                )
                return
            record.route, record.reason, record.error = event.route, event.reason, event.error
            record.kiosk_latency_ms = event.latency_ms
            record.timings_ms = dict(event.timings_ms)
            record.interrupted = event.interrupted
            if record.first_audio_ns is None:
                self.silent_replies += 1
                self._flag("speaking but silent: a reply with no audible audio", 0.0)
            record.done.set()

    def _take_played(self) -> None:
        """Move what the speaker played into the pending turn (and out of its list)."""
        blocks = list(self._speaker.played)
        del self._speaker.played[: len(blocks)]
        if not blocks:
            return
        with self._lock:
            self._heard_in_state = True
            record = self._pending()
            if record is None or record.first_audio_ns is not None:
                return
            after = [at for at, _ in blocks if at >= record.asked_ns]
            if after:
                record.first_audio_ns = min(after)

    def _pending(self) -> TurnRecord | None:
        for record in reversed(self.records):
            if not record.done.is_set():
                return record
        return None

    def _record(self, turn: int) -> TurnRecord | None:
        with self._lock:
            for record in reversed(self.records):
                if record.turn == turn:
                    return record
        return None

    def _flag(self, what: str, seconds: float) -> None:
        turn = self.records[-1].turn if self.records else -1
        self.stuck.append(Stuck(turn, what, round(seconds, 1)))

    def _watch(self) -> None:
        while not self._stop.wait(0.1):
            self._take_played()
            with self._lock:
                state, since, heard = self._state, self._state_since, self._heard_in_state
            held = time.monotonic() - since
            if state == "thinking" and held > self._stuck_thinking_s:
                self._once(f"thinking for more than {self._stuck_thinking_s:.0f} s", since, held)
            if state == "speaking" and not heard and held > self._stuck_speaking_s:
                self._once("speaking but silent: nothing reached the speaker", since, held)
            if self._tracker_state is not None and state == "listening" and held > 5.0:
                machine = self._tracker_state()
                if machine in ("thinking", "speaking"):
                    self._once(f"visit tracker stuck in {machine} while listening", since, held)

    def _once(self, what: str, since: float, held: float) -> None:
        key = (what, since)
        if key not in self._flagged:
            self._flagged.add(key)
            self._flag(what, held)


def rss_kb() -> int:
    """This process's resident memory in KiB (Linux), 0 where /proc is missing."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0
