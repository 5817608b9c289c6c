"""Say the common answers once while nobody is asking, so a shopper hears them at once.

Local replies are made from a few templates per product ("The X is in aisle 5. It's 9.99."),
so the kiosk can synthesise them ahead of time into the sentence cache. It does so on a
background thread that steps aside whenever a shopper speaks (the speculative transcript needs
the CPU) or a turn is running, between two pieces of a sentence (the voice streams in pieces),
and stops when the cache is full: a large store gets its first products prewarmed, the rest as
they are asked for.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator

from edge.tts import split_sentences
from kiosk.agent.answers import local_reply
from kiosk.agent.intent import Intent
from kiosk.agent.router import RouteDecision
from kiosk.agent.speech_cache import SentenceCache
from kiosk.store.pack import StorePack

log = logging.getLogger(__name__)
INTENTS = (Intent.LOCATE, Intent.PRICE, Intent.AVAILABILITY)


def common_sentences(store: StorePack) -> Iterator[str]:
    """Every sentence of every single-product local answer, first sentences first."""
    replies = [
        split_sentences(local_reply(RouteDecision("local", "", intent, product), store))
        for product in store.products
        for intent in INTENTS
    ]
    seen: set[str] = set()
    for position in range(max((len(r) for r in replies), default=0)):
        for reply in replies:
            if position < len(reply) and reply[position] not in seen:
                seen.add(reply[position])
                yield reply[position]


def prewarm(
    cache: SentenceCache,
    store: StorePack,
    idle: threading.Event,
    stop: threading.Event,
    on_done: Callable[[int], None] | None = None,
) -> int:
    """Fill the cache until every common sentence is in it, the cache is full, or `stop`.
    Waits for `idle` before each sentence, and drops a sentence half made when it is cleared (a
    shopper speaks, or a turn's own reply needs the voice), to make it again after. Returns
    how many sentences it synthesised."""
    made = 0
    for sentence in common_sentences(store):
        if stop.is_set() or made >= cache.max_sentences // 2:
            break
        warmed: bool | None = None
        while warmed is None:
            while not idle.wait(0.5):
                if stop.is_set():
                    return made
            warmed = cache.warm(sentence, idle.is_set)
        made += int(warmed)
    if on_done is not None:
        on_done(made)
    return made


class Prewarmer:
    """Prewarming on a daemon thread. `stop` waits for the sentence in progress, so no model
    call is left running while the interpreter shuts down."""

    def __init__(self, cache: SentenceCache, store: StorePack, idle: threading.Event) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=prewarm,
            args=(cache, store, idle, self._stop, self._done),
            name="prewarm",
            daemon=True,
        )
        self._thread.start()

    @staticmethod
    def _done(made: int) -> None:
        log.info("prewarmed %d reply sentences", made)

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout_s)
