"""What a shopper's question asks for, from its words alone."""

from __future__ import annotations

import re
from enum import Enum


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
    r"how (?:do|does|should|can) (?:i|you) use",
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
    r"do you (?:have|sell|carry|stock)",
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


def classify(text: str) -> Intent:
    """The question's intent. Open questions win: 'where is a safe sunscreen for kids' needs
    advice, not just a shelf."""
    lowered = text.lower()
    if _OPEN.search(lowered):
        return Intent.OPEN
    if _PRICE.search(lowered):
        return Intent.PRICE
    if _AVAILABILITY.search(lowered):
        return Intent.AVAILABILITY
    if _LOCATE.search(lowered):
        return Intent.LOCATE
    return Intent.NONE
