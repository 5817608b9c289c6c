"""Hand-written fakes for unit tests of logic, scripted like a conversation."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import numpy as np

from edge.room import EchoPath
from edge.stt import Transcript
from edge.tts import SpeechChunk
from edge.vad import WINDOW

if TYPE_CHECKING:
    from kiosk.agent.turn import TurnEngine
    from kiosk.conversation import ConversationLoop
    from kiosk.events import Event

RATE = 16000


class SureTurn:
    """Smart Turn, scripted: every pause sounds like the end."""

    def __init__(self) -> None:
        self.asked = 0

    def probability(self, audio: np.ndarray) -> float:
        self.asked += 1
        return 0.9


def lock_step_loop(
    engine: TurnEngine, audio: np.ndarray, emit: Callable[[Event], None] = lambda event: None
) -> ConversationLoop:
    """The live loop over `audio` read at full speed, every pause the end of a turn."""
    from edge.audio_io import FileMic, RecordingSpeaker
    from edge.eot import SmartEndpoint
    from kiosk.conversation import ConversationLoop

    return ConversationLoop(
        engine,
        LoudnessVad(),
        SmartEndpoint(),
        FileMic.from_samples(audio, realtime=False),
        RecordingSpeaker(),
        emit,
        turn_model=SureTurn(),
    )


class LoudnessVad:
    """Speech probability from loudness: a window louder than -40 dBFS is speech."""

    def probabilities(self, samples: np.ndarray) -> np.ndarray:
        padded = np.pad(samples, (0, (-len(samples)) % WINDOW))
        windows = padded.reshape(-1, WINDOW)
        rms = np.sqrt(np.mean(windows**2, axis=1))
        return (rms > 0.01).astype(np.float32)

    def process(self, block: np.ndarray) -> np.ndarray:
        return self.probabilities(block)

    def reset(self) -> None:
        """Stateless."""


class ScriptedStt:
    """Returns the scripted transcripts in order, and records what it was asked."""

    def __init__(self, *lines: str, confidence: float = 0.9) -> None:
        self._lines = deque(lines)
        self.confidence = confidence
        self.heard: list[float] = []
        self.prompts: list[str | None] = []

    def transcribe(self, audio: np.ndarray, prompt: str | None = None) -> Transcript:
        self.heard.append(len(audio) / RATE)
        self.prompts.append(prompt)
        if not self._lines:
            return Transcript("", 0.0, 1.0)
        return Transcript(self._lines.popleft(), self.confidence, 0.01)


class ToneTts:
    """'Speaks' a quiet tone, 50 ms per word, one chunk per sentence."""

    sample_rate = 22050

    def __init__(self) -> None:
        self.spoken: list[str] = []

    def stream(self, text: str) -> Iterator[SpeechChunk]:
        self.spoken.append(text)
        for sentence in (s for s in text.split(". ") if s):
            n = int(self.sample_rate * 0.05 * len(sentence.split()))
            tone = (np.sin(np.arange(n) * 0.1) * 3000).astype(np.int16)
            yield SpeechChunk(tone, self.sample_rate, sentence)


class Conversation:
    """Builds a mic signal: `add_user_speech(start_s, end_s)` puts speech-like noise there."""

    def __init__(self, seconds: float, seed: int = 3) -> None:
        rng = np.random.default_rng(seed)
        self.audio = (rng.standard_normal(int(seconds * RATE)) * 0.001).astype(np.float32)
        self._rng = rng

    def add_user_speech(self, start_s: float, end_s: float) -> Conversation:
        a, b = int(start_s * RATE), int(end_s * RATE)
        self.audio[a:b] += (self._rng.standard_normal(b - a) * 0.1).astype(np.float32)
        return self


class PathCanceller:
    """An echo canceller that knows the room's echo path exactly: it removes all of the kiosk's
    echo and nothing else, as a converged linear canceller would without a suppressor."""

    def __init__(self, path: EchoPath) -> None:
        self._path = path
        self._played = np.zeros(path.delay + len(path.impulse) - 1, np.float32)

    def process(self, mic: np.ndarray, reference: np.ndarray) -> np.ndarray:
        played = np.concatenate([self._played, reference.astype(np.float32)])
        self._played = played[len(reference) :]
        echo = np.convolve(played[: len(played) - self._path.delay], self._path.impulse, "valid")
        return (mic - echo).astype(np.float32)


class ScriptedCloud:
    """A cloud that answers from a script; `fail_with` makes every call raise."""

    def __init__(self, *replies: tuple[str, str | None], fail_with: Exception | None = None):
        self._replies = deque(replies)
        self.fail_with = fail_with
        self.requests: list[object] = []
        self.up = True

    def available(self) -> bool:
        return self.up

    def respond(self, request: object) -> object:
        from kiosk.agent.ports import CloudReply

        self.requests.append(request)
        if self.fail_with is not None:
            raise self.fail_with
        text, shelf = self._replies.popleft()
        return CloudReply(
            text,
            np.zeros(2400, np.int16),
            24000,
            shelf_id=shelf,
            timings_ms={"first_audio": 12.0},
            tokens={"audio": 100},
        )
