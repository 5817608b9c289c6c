"""Spoken sentences, kept: a local answer that was said before starts playing at once.

Local replies repeat ("The whole milk is in the dairy cooler on the back wall."), so the
synthesised audio of each sentence is kept in a small LRU cache in front of the voice.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Generator, Iterator
from typing import Protocol

from edge.tts import SpeechChunk, split_sentences


class Voice(Protocol):
    sample_rate: int

    def stream(self, text: str) -> Iterator[SpeechChunk]: ...


class SentenceCache:
    """A `Voice` that synthesises each sentence once and replays it from memory after."""

    def __init__(self, voice: Voice, max_sentences: int = 1024) -> None:
        self.voice = voice
        self.max_sentences = max_sentences
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()
        self._sentences: OrderedDict[str, tuple[SpeechChunk, ...]] = OrderedDict()

    @property
    def sample_rate(self) -> int:
        return self.voice.sample_rate

    def stream(self, text: str) -> Generator[SpeechChunk, None, None]:
        for sentence in split_sentences(text):
            with self._lock:
                cached = self._sentences.get(sentence)
                if cached is not None:
                    self._sentences.move_to_end(sentence)
                    self.hits += 1
            if cached is not None:
                yield from cached
                continue
            chunks: list[SpeechChunk] = []
            for chunk in self.voice.stream(sentence):
                chunks.append(chunk)
                yield chunk
            with self._lock:
                self.misses += 1
                self._sentences[sentence] = tuple(chunks)
                while len(self._sentences) > self.max_sentences:
                    self._sentences.popitem(last=False)

    def warm(self, sentence: str, keep_going: Callable[[], bool] = lambda: True) -> bool | None:
        """Synthesise one sentence into the cache: True when made, False when it was there
        already, None when `keep_going` said no between two pieces (a turn began: nothing is
        kept, and the sentence is made again later)."""
        with self._lock:
            if sentence in self._sentences:
                return False
        pieces = self.stream(sentence)
        for _ in pieces:
            if not keep_going():
                pieces.close()
                return None
        return True

    def __contains__(self, sentence: str) -> bool:
        with self._lock:
            return sentence in self._sentences
