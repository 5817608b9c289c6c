"""What a shopper's question asks for, from its words alone."""

from __future__ import annotations

import re
from collections.abc import Collection
from enum import Enum

from kiosk.store.text import words


class Intent(str, Enum):
    LOCATE = "locate"
    AVAILABILITY = "availability"
    PRICE = "price"
    OPEN = "open"
    """Advice, comparisons, ingredients, safety: what the catalog cannot answer."""
    NONE = "none"
    """No question word; maybe just a product name."""


def _patterns(*phrases: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(phrases) + r")\b")


_OPEN = _patterns(
    r"safe",
    r"safer",
    r"recommend\w*",
    r"suggest\w*",
    r"advice",
    r"advise",
    r"better",
    r"best",
    r"compare\w*",
    r"difference",
    r"ingredients?",
    r"contains?",
    r"made (?:of|from|with)",
    r"allerg\w*",
    r"gluten",
    r"vegan",
    r"vegetarian",
    r"healthy",
    r"healthier",
    r"should i",
    r"good for",
    r"goes? (?:well )?with",
    r"pair\w*",
    r"why",
    r"explain",
    r"side effects?",
    r"dose",
    r"dosage",
    r"how (?:do|does|should|can) (?:i|you|it|they) (?:use|work|make|cook)",
    r"how to",
    r"how long",
    r"how many",
    r"can i (?:give|take|use|eat|drink|mix|freeze|return|cook|store)",
    r"what time",
    r"when (?:do|does|is|are|will)",
    r"what is (?:this|that|it)",
    r"what's (?:this|that)",
    r"is (?:this|it) (?:good|ok|okay)",
    r"expire\w*",
    r"calories",
    r"sugar",
    r"kids?",
    r"child\w*",
    r"year old",
    r"pregnan\w*",
)
_PRICE = _patterns(r"how much", r"price\w*", r"cost\w*", r"on sale", r"discount")
_AVAILABILITY = _patterns(
    r"do (?:you|y'all|you guys) (?:still |even )?(?:have|sell|carry|stock)",
    r"have you got",
    r"got any",
    r"in stock",
    r"is there any",
    r"are there any",
    r"any \w+ left",
)
_LOCATE = _patterns(
    r"where",
    r"find",
    r"located",
    r"which aisle",
    r"what aisle",
    r"looking for",
    r"show me",
    r"point me",
    r"take me",
)
_HELD = _patterns(r"this", r"these", r"that one", r"this one", r"it", r"them", r"those")


def classify(text: str, product_words: Collection[str] = ()) -> Intent:
    """The question's intent. Open questions win: 'where is a safe sunscreen for kids' needs
    advice, not just a shelf. An open cue that is part of the product's own name ('allergy
    pills', 'kids toothpaste') is not a question about it: pass the matched phrase's words as
    `product_words` to ignore such cues."""
    lowered = text.lower().replace("-", " ")  # Whisper writes "three-year-old"
    ignore = set(product_words)
    if any(not _within(cue.group(0), ignore) for cue in _OPEN.finditer(lowered)):
        return Intent.OPEN
    if _PRICE.search(lowered):
        return Intent.PRICE
    if _AVAILABILITY.search(lowered):
        return Intent.AVAILABILITY
    if _LOCATE.search(lowered):
        return Intent.LOCATE
    return Intent.NONE


def refers_to_held(text: str) -> bool:
    """'How much is this?', 'where do I find these?': the question points at something held."""
    return _HELD.search(text.lower()) is not None


def _within(cue: str, product_words: set[str]) -> bool:
    cue_words = words(cue)
    return bool(cue_words) and all(w in product_words for w in cue_words)
