"""The cascade: answer from the catalog when it can, escalate when it must, and say why.

`decide` is a pure function of what was heard, what the catalog matched, what the shopper is
holding up and what the kiosk just asked; every decision carries a reason a developer can read.
A local answer names a shelf only when the match is confident: an honest escalation beats a
confident wrong shelf.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kiosk.agent.intent import Intent, refers_to_held
from kiosk.store.catalog import Match
from kiosk.store.pack import Product

Route = Literal["local", "cloud", "fallback"]
Source = Literal["catalog", "held", "clarified", "none"]
CATALOG_INTENTS = (Intent.LOCATE, Intent.AVAILABILITY, Intent.PRICE)


@dataclass(frozen=True)
class RouterOptions:
    min_confidence: float = 0.62
    """Catalog match score needed to answer locally."""
    min_margin: float = 0.08
    """Lead over another product needed to name only one."""
    min_stt_confidence: float = 0.35
    """Below this, a long utterance goes to the cloud, which hears the audio itself."""
    long_utterance_words: int = 8
    min_held_score: float = 0.6
    """Vision score needed to treat a held-up product as recognised."""
    min_clarified: float = 0.45
    """Score a reply to a clarifying question needs against one of the offered choices."""
    max_choices: int = 3
    recheck_min_score: float = 0.4
    """A best match at least this good (but below `min_confidence`) earns the audio a second
    listen with those products as the recogniser's hint; 0 turns it off."""
    recheck_candidates: int = 3


@dataclass(frozen=True)
class HeldItem:
    """What the shopper holds up: a catalog product, or None when nothing matched."""

    product: Product | None
    how: str = ""
    score: float = 0.0


@dataclass(frozen=True)
class Clarification:
    """A clarifying question the kiosk just asked: which of `choices` did the shopper mean."""

    intent: Intent
    choices: tuple[Product, ...]


@dataclass(frozen=True)
class RouteDecision:
    route: Route
    reason: str
    intent: Intent
    product: Product | None = None
    runner_up: Product | None = None
    """A second product that matched almost as well: name both."""
    choices: tuple[Product, ...] = ()
    """Several products matched about equally: ask which one (no shelf is named)."""
    source: Source = "none"

    @property
    def clarifying(self) -> bool:
        return self.route == "local" and bool(self.choices)


def decide(
    transcript: str,
    intent: Intent,
    matches: list[Match],
    options: RouterOptions,
    cloud_available: bool,
    stt_confidence: float = 1.0,
    held: HeldItem | None = None,
    pending: Clarification | None = None,
) -> RouteDecision:
    """Pure routing decision; every branch carries a reason a developer can read."""
    if not transcript.strip():
        return RouteDecision("fallback", "no speech recognised", intent)
    n_words = len(transcript.split())
    if stt_confidence < options.min_stt_confidence and n_words >= options.long_utterance_words:
        reason = f"low speech-recognition confidence {stt_confidence:.2f} on {n_words} words"
        return _escalate(reason, intent, cloud_available)
    if held is not None and refers_to_held(transcript):
        decision = _about_held(held, intent, options, cloud_available)
        if decision is not None:
            return decision
    if pending is not None:
        decision = _clarified(pending, intent, matches, options)
        if decision is not None:
            return decision
    top = matches[0] if matches else None
    confident = top is not None and top.score >= options.min_confidence
    catalog_intent = intent in CATALOG_INTENTS or (
        intent is Intent.NONE and top is not None and top.score >= options.min_confidence + 0.1
    )
    if catalog_intent and confident and top is not None:
        effective = Intent.LOCATE if intent is Intent.NONE else intent
        return _local(effective, top, matches, options)
    if intent is Intent.OPEN:
        reason = "open question: needs more than the catalog"
    elif top is None:
        reason = f"{intent.value}: nothing in the catalog matches"
    else:
        reason = (
            f"{intent.value}: best catalog match {top.phrase!r} score {top.score:.2f} "
            f"is below {options.min_confidence:.2f}"
        )
    product = top.product if confident and top is not None else None
    return _escalate(reason, intent, cloud_available, product)


def _local(
    intent: Intent, top: Match, matches: list[Match], options: RouterOptions
) -> RouteDecision:
    detail = f"{intent.value}: catalog match {top.phrase!r} score {top.score:.2f}"
    close = [
        m
        for m in matches[1:]
        if top.score - m.score < options.min_margin and m.score >= options.min_confidence
    ]
    if intent is not Intent.PRICE:
        # Where or whether: a close match on a shelf already named gives the same answer.
        shelves = {top.product.shelf}
        distinct = []
        for match in close:
            if match.product.shelf not in shelves:
                shelves.add(match.product.shelf)
                distinct.append(match)
        close = distinct
    if not close:
        return RouteDecision("local", detail, intent, top.product, source="catalog")
    if len(close) == 1:
        rival = close[0]
        return RouteDecision(
            "local",
            f"{detail}, close to {rival.phrase!r} {rival.score:.2f}",
            intent,
            top.product,
            rival.product,
            source="catalog",
        )
    choices = tuple(m.product for m in [top, *close][: options.max_choices])
    return RouteDecision(
        "local",
        f"{intent.value}: {len(close) + 1} close catalog matches, asking which one",
        intent,
        choices=choices,
        source="catalog",
    )


def _about_held(
    held: HeldItem, intent: Intent, options: RouterOptions, cloud_available: bool
) -> RouteDecision | None:
    recognised = held.product is not None and held.score >= options.min_held_score
    if recognised and held.product is not None:
        name = held.product.name
        seen = f"held-up product {name!r} recognised by {held.how or 'vision'} {held.score:.2f}"
        if intent in CATALOG_INTENTS or intent is Intent.NONE:
            effective = Intent.LOCATE if intent is Intent.NONE else intent
            return RouteDecision(
                "local", f"{effective.value}: {seen}", effective, held.product, source="held"
            )
        if intent is Intent.OPEN:
            return _escalate(f"open question about the {seen}", intent, cloud_available)
        return None
    what = "held-up item matches no product" if held.product is None else "held-up item unsure"
    if held.product is not None:
        what += f" ({held.how or 'vision'} {held.score:.2f})"
    return _escalate(f"{intent.value}: {what}", intent, cloud_available)


def _clarified(
    pending: Clarification, intent: Intent, matches: list[Match], options: RouterOptions
) -> RouteDecision | None:
    if intent is Intent.OPEN:
        return None
    skus = {id(p) for p in pending.choices}
    chosen = [m for m in matches if id(m.product) in skus]
    if not chosen or chosen[0].score < options.min_clarified:
        return None
    if len(chosen) > 1 and chosen[0].score - chosen[1].score < options.min_margin:
        return None
    best = chosen[0]
    effective = pending.intent if intent is Intent.NONE else intent
    return RouteDecision(
        "local",
        f"{effective.value}: clarified to {best.phrase!r} score {best.score:.2f}",
        effective,
        best.product,
        source="clarified",
    )


def _escalate(
    reason: str, intent: Intent, cloud_available: bool, product: Product | None = None
) -> RouteDecision:
    if cloud_available:
        return RouteDecision("cloud", reason, intent, product)
    return RouteDecision("fallback", f"{reason}; cloud unavailable", intent)
