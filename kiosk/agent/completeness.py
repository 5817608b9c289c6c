"""Has the shopper named what they are asking about yet? The end-of-turn policy asks this of
each speculative transcript during a silence: "do you sell?" is grammatical, but a kiosk
question that asks where, whether or how much without naming a product (or pointing at one
held up) is usually a shopper searching for the word."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from edge.eot import TextCue, lexical_cue
from kiosk.agent.intent import Intent, classify, refers_to_held
from kiosk.store.catalog import Catalog
from kiosk.store.text import words

SOCIAL = frozenset(
    {"hi", "hello", "hey", "thanks", "thank you", "bye", "goodbye", "ok", "okay", "yes", "no"}
)
"""Whole utterances that name nothing and need no wait."""


def _nothing_held() -> bool:
    return False


@dataclass
class CatalogJudge:
    """A `TranscriptJudge` that knows the store's products."""

    catalog: Catalog
    holding: Callable[[], bool] = field(default=_nothing_held)
    """Whether the camera sees a product held up now ('how much is this?' is then whole)."""
    min_score: float = 0.4
    """A catalog match this good counts as naming a product, even a misheard one."""

    def __call__(self, text: str) -> TextCue | None:
        cue = lexical_cue(text)
        if cue is not TextCue.WHOLE or classify(text) is Intent.OPEN:
            return cue
        if " ".join(words(text)) in SOCIAL:
            return cue
        if refers_to_held(text) and self.holding():
            return TextCue.NAMED
        best = self.catalog.search(text, limit=1)
        return TextCue.NAMED if best and best[0].score >= self.min_score else TextCue.WANTING
