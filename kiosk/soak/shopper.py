"""The soak's shopper: questions spoken by Piper into a virtual microphone that waits for the
kiosk's answer before asking the next one.

The microphone behaves like a patient shopper at a real device: it speaks one question, stays
quiet until the kiosk has answered (or until it gives up on it), pauses, and asks the next. It
is paced in real time, or `pace` times faster; each block carries its capture time. It can be
told to fail like a USB microphone that drops out (`fail_next`): the read raises
`AudioDeviceError` and the device is missing for a moment, as an unplugged one is; the kiosk's
`ResilientMic` must find it again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np

from edge.audio_io import BLOCK_MS, AudioBlock, AudioDeviceError
from edge.tts import SpeechChunk
from edge.wav import resample

RATE = 16000
Kind = Literal["local", "cloud"]

LOCAL_QUESTIONS = (
    "Where can I find the AA batteries?",
    "How much is the whole milk?",
    "Where is the duct tape?",
    "Do you have ibuprofen?",
)
CLOUD_QUESTIONS = (
    "Is this sunscreen safe for a three year old?",
    "What wine goes well with grilled salmon?",
    "Can you text the coupon to 555 123 4567?",
    "What is this one good for?",
)
PII_DIGITS = "5551234567"
"""The phone number one question says: it must never reach the turn log unredacted."""


@dataclass(frozen=True)
class Question:
    text: str
    kind: Kind
    """What the shopper means to ask: a catalog question or an open one."""
    audio: np.ndarray = field(repr=False)
    """float32 16 kHz mono, trimmed to the speech."""


class Synthesizer(Protocol):
    sample_rate: int

    def stream(self, text: str) -> Iterator[SpeechChunk]: ...


def speak_questions(tts: Synthesizer) -> tuple[list[Question], list[Question]]:
    """The local and the open questions, spoken once by the kiosk's own Piper voice."""
    local = [Question(t, "local", _voice(tts, t)) for t in LOCAL_QUESTIONS]
    cloud = [Question(t, "cloud", _voice(tts, t)) for t in CLOUD_QUESTIONS]
    return local, cloud


def _voice(tts: Synthesizer, text: str) -> np.ndarray:
    parts = [np.asarray(chunk.samples, dtype=np.float32) for chunk in tts.stream(text)]
    voice = np.concatenate(parts) / 32768.0 if parts else np.zeros(0, dtype=np.float32)
    audio = resample(voice, tts.sample_rate, RATE)
    loud = np.flatnonzero(np.abs(audio) > 0.01)
    if loud.size == 0:
        raise ValueError(f"the voice produced no audible speech for {text!r}")
    return np.asarray(audio[loud[0] : loud[-1] + 1], dtype=np.float32)


class Listener(Protocol):
    """What the microphone tells the soak's monitor, and asks it."""

    def asked(self, turn: int, question: Question, end_sample: int) -> None: ...

    def answered(self, turn: int) -> bool: ...

    def gave_up(self, turn: int) -> None: ...


class ShopperMic:
    """The shopper, as a microphone device. `plan(turn)` picks each question (and is where the
    fault schedule runs); `open` is how `ResilientMic` opens the device."""

    realtime = True

    def __init__(
        self,
        turns: int,
        plan: Callable[[int], Question],
        listener: Listener,
        pace: float = 1.0,
        block_ms: int = BLOCK_MS,
        gap_s: float = 0.6,
        wait_s: float = 30.0,
        missing_s: float = 1.0,
    ) -> None:
        self.turns = turns
        self._plan = plan
        self._listener = listener
        self._pace = max(pace, 0.01)
        self._block = int(RATE * block_ms / 1000)
        self._gap = int(RATE * gap_s)
        self._wait_s = wait_s
        self._missing_s = missing_s
        self._silence = np.zeros(self._block, dtype=np.float32)
        self._finished = threading.Event()
        self._fail = threading.Event()
        self._missing_until = 0.0
        self.on_finished: Callable[[], None] = lambda: None
        self.name = "soak microphone"
        self.position = 0
        """Samples delivered so far: the virtual clock of the conversation."""
        self.turn = 0
        self.errors = 0
        self._phase = "gap"
        self._left = self._gap
        self._speech = np.zeros(0, dtype=np.float32)
        self._question: Question | None = None
        self._waiting_since = 0.0
        self._next_wall = 0.0

    def open(self) -> ShopperMic:
        """The device: missing for `missing_s` after it failed, as an unplugged one is."""
        if time.monotonic() < self._missing_until:
            raise AudioDeviceError(f"input device {self.name!r} not found (unplugged)")
        return self

    def fail_next(self) -> None:
        """The device drops out: the next read between two questions raises."""
        self._fail.set()

    @property
    def finished(self) -> bool:
        return self._finished.is_set()

    def blocks(self) -> Iterator[AudioBlock]:
        while not self._finished.is_set():
            if self._fail.is_set() and self._phase == "gap":
                self._fail.clear()
                self.errors += 1
                self._missing_until = time.monotonic() + self._missing_s
                raise AudioDeviceError(f"input device {self.name!r} stopped (injected)")
            samples = self._next()
            if samples is None:
                self._finished.set()
                self.on_finished()
                return
            self._wait_for_real_time()
            self.position += len(samples)
            yield AudioBlock(samples, time.monotonic_ns())

    def drain(self) -> None:
        """Nothing to drop: the shopper is silent while the kiosk speaks."""

    def close(self) -> None:
        """The device handle is released; the shopper carries on when it is opened again."""

    def finish(self) -> None:
        self._finished.set()

    def _next(self) -> np.ndarray | None:
        if self._phase == "gap":
            if self._left > 0:
                self._left -= self._block
                return self._silence
            if self.turn >= self.turns:
                return None
            self._question = self._plan(self.turn)
            self._speech = self._question.audio
            self._phase = "speak"
        if self._phase == "speak":
            block = self._speech[: self._block]
            self._speech = self._speech[self._block :]
            if len(block) < self._block:
                end = self.position + len(block)
                block = np.concatenate([block, self._silence[: self._block - len(block)]])
                assert self._question is not None
                self._listener.asked(self.turn, self._question, end)
                self._phase, self._waiting_since = "wait", time.monotonic()
            return block
        if self._listener.answered(self.turn):
            self._next_question()
        elif time.monotonic() - self._waiting_since > self._wait_s:
            self._listener.gave_up(self.turn)
            self._next_question()
        return self._silence

    def _next_question(self) -> None:
        self.turn += 1
        self._phase, self._left = "gap", self._gap

    def _wait_for_real_time(self) -> None:
        now = time.monotonic()
        if self._next_wall > now:
            time.sleep(self._next_wall - now)
            now = self._next_wall
        self._next_wall = max(self._next_wall, now) + self._block / RATE / self._pace
