"""Whether a transcript is the kiosk's own reply heard back.

Speech that starts over the kiosk's voice is answered only when it outlasts the room's
ringing (`kiosk.conversation`). In a large, reverberant store the ringing can outlast the
allowance, and Whisper then writes down a stretch of the reply itself. A shopper talking over
the end of a reply shares words with it too ("where are the AA batteries" over "the AA
batteries are in aisle 5"), so single shared words prove nothing: what gives the echo away is
a run of the reply's words, in the reply's order, that makes up most of what was heard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class OwnVoiceOptions:
    min_run: int = 2
    """Words in a row, as in the reply, below which nothing is taken for an echo: one word
    ("batteries?") is as likely the shopper's."""
    share: float = 0.6
    """The longest such run must be at least this share of the words heard."""


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def longest_shared_run(heard: list[str], reply: list[str]) -> int:
    """Length of the longest run of words that occurs, in order and unbroken, in both."""
    best = 0
    previous = [0] * (len(reply) + 1)
    for word in heard:
        current = [0] * (len(reply) + 1)
        for j, said in enumerate(reply, start=1):
            if word == said:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best


def echoes_reply(heard: str, reply: str, options: OwnVoiceOptions | None = None) -> bool:
    """True when `heard` is mostly an unbroken stretch of `reply`."""
    o = options or OwnVoiceOptions()
    said, spoken = words(heard), words(reply)
    if not said or not spoken:
        return False
    run = longest_shared_run(said, spoken)
    return run >= o.min_run and run >= o.share * len(said)


__all__ = ["OwnVoiceOptions", "echoes_reply", "longest_shared_run", "words"]
