"""Has the shopper named what they are asking about yet? The end-of-turn policy asks this of
each speculative transcript during a silence. "Do you sell?", "I'm looking for that" and "can
you recommend something" are grammatical, but name nothing (no product of the store, no other
word that could be one, nothing held up): usually a shopper still searching for the word.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise

from edge.eot import TextCue, lexical_cue
from kiosk.agent.intent import refers_to_held
from kiosk.store.catalog import Catalog
from kiosk.store.text import content_words, words

SOCIAL = frozenset(
    {"hi", "hello", "hey", "thanks", "thank you", "bye", "goodbye", "ok", "okay", "yes", "no"}
)
"""Whole utterances that name nothing and need no wait."""
NOT_A_NAME = frozenset(
    [
        "recommend",
        "suggest",
        "looking",
        "look",
        "find",
        "need",
        "want",
        "sell",
        "carry",
        "stock",
        "have",
        "get",
        "buy",
        "keep",
        "something",
        "anything",
        "thing",
        "things",
        "stuff",
        "one",
        "ones",
        "kind",
        "any",
        "some",
        # adverbs and particles: "where is it, out?" names nothing
        "out",
        "up",
        "down",
        "off",
        "away",
        "back",
        "around",
        "again",
        "now",
        "then",
        "today",
        "still",
        "already",
        "really",
        "very",
        "too",
    ]
)
"""Words of a question that are not what it asks about ("can you recommend something")."""
SUBJECTS = frozenset(["i", "you", "we", "they", "he", "she", "it"])


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
        if cue is not TextCue.WHOLE or " ".join(words(text)) in SOCIAL:
            return cue
        if refers_to_held(text) and self.holding():
            return TextCue.NAMED
        best = self.catalog.search(text, limit=1)
        if best and best[0].score >= self.min_score and best[0].sure:
            return TextCue.NAMED
        verbs = _progressive_verbs(words(text))
        named = [w for w in content_words(text) if w not in NOT_A_NAME and w not in verbs]
        return TextCue.NAMED if named else TextCue.WANTING


def _progressive_verbs(tokens: list[str]) -> set[str]:
    """'-ing' words right after a subject ("where are you running"): verbs, not names."""
    return {
        word
        for before, word in pairwise(tokens)
        if before in SUBJECTS and word.endswith("ing") and len(word) > 4
    }
