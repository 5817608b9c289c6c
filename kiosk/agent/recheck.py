"""A second listen for near misses: when what was heard almost names a product ('where are the
need lock mags' ~ 'zip lock bags'), decode the same audio again with those few product names as
the recogniser's prompt, and keep the new transcript only if it now names one of them clearly.

A prompt with the whole catalog makes tiny.en invent products; a prompt with the two or three
products the first pass already pointed at only helps it spell what it half heard. Turns that
match nothing, or clearly, or ask an open question, are never decoded twice.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from edge.stt import Transcript
from kiosk.agent.intent import Intent, classify
from kiosk.agent.router import RouterOptions
from kiosk.store.catalog import Catalog, Match
from kiosk.store.text import words


class Recognizer(Protocol):
    def transcribe(self, audio: np.ndarray, prompt: str | None = None) -> Transcript: ...


def near_misses(matches: list[Match], text: str, options: RouterOptions) -> list[Match]:
    """The matches worth a second listen: close to, but below, the confidence bar; one per
    product."""
    if not matches or options.recheck_min_score <= 0:
        return []
    top = matches[0]
    if not options.recheck_min_score <= top.score < options.min_confidence:
        return []
    if classify(text, words(top.phrase)) is Intent.OPEN:
        return []
    chosen: list[Match] = []
    for match in matches:
        new = all(m.product is not match.product for m in chosen)
        if new and match.score >= options.recheck_min_score:
            chosen.append(match)
    return chosen[: options.recheck_candidates]


def hint(matches: list[Match]) -> str:
    """'Shopper asking about zip lock bags (Ziploc gallon storage bags), foil (...).'"""
    parts = []
    for match in matches:
        name = match.product.name.split(",")[0]
        same = match.phrase.lower() == name.lower()
        parts.append(match.phrase if same else f"{match.phrase} ({name})")
    return "Shopper asking about " + ", ".join(parts) + "."


def listen_again(
    catalog: Catalog,
    stt: Recognizer,
    audio: np.ndarray,
    first: Transcript,
    options: RouterOptions,
) -> tuple[Transcript | None, bool]:
    """(the second transcript when it names one of the near misses confidently, else None;
    whether the audio was decoded a second time at all)."""
    near = near_misses(catalog.search(first.text), first.text, options)
    if not near or not audio.size:
        return None, False
    second = stt.transcribe(audio, prompt=hint(near))
    matches = catalog.search(second.text)
    if not matches or matches[0].score < options.min_confidence:
        return None, True
    if all(m.product is not matches[0].product for m in near):
        return None, True
    if classify(second.text, words(matches[0].phrase)) is Intent.OPEN:
        return None, True
    return second, True
