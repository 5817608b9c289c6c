"""Redact what must never be stored or logged: card numbers, phone numbers, e-mail addresses.

Speech recognisers write numbers as digits ("4111 1111 1111 1111") and sometimes spell them
out ("four one one one ..."); e-mail addresses come written ("ann@example.com") or spoken
("ann at example dot com"). Prices, sizes and short numbers ("9.99", "200 mg", "aisle 5") are
kept: a run is redacted only when it holds at least seven digits.
"""

from __future__ import annotations

import re

CARD = "[card]"
PHONE = "[phone]"
EMAIL = "[email]"
NUMBER = "[number]"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_SPOKEN_EMAIL = re.compile(
    r"\b[\w.+-]+(?: (?:dot|underscore|dash) [\w-]+)* at [\w-]+(?: dot [\w-]+)+\b", re.IGNORECASE
)
_DIGIT_RUN = re.compile(r"\+?\(?\d[\d\s().-]{5,}\d")
_DIGIT_WORD = r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|double \w+)"
_SPOKEN_DIGITS = re.compile(rf"\b{_DIGIT_WORD}(?:[\s,-]+{_DIGIT_WORD}){{6,}}\b", re.IGNORECASE)


def redact(text: str) -> str:
    """The text with e-mail addresses, card numbers and phone numbers replaced by tags."""
    text = _EMAIL.sub(EMAIL, text)
    text = _SPOKEN_EMAIL.sub(EMAIL, text)
    text = _DIGIT_RUN.sub(_digits, text)
    return _SPOKEN_DIGITS.sub(NUMBER, text)


def _digits(match: re.Match[str]) -> str:
    run = match.group(0)
    digits = re.sub(r"\D", "", run)
    if len(digits) >= 13:
        return CARD
    if len(digits) >= 7:
        return PHONE
    return run
