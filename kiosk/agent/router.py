"""The cascade: answer from the catalog when it can, escalate when it must, and say why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kiosk.agent.intent import Intent
from kiosk.store.catalog import Match
from kiosk.store.pack import Product

Route = Literal["local", "cloud", "fallback"]
_CATALOG_INTENTS = (Intent.LOCATE, Intent.AVAILABILITY, Intent.PRICE)


@dataclass(frozen=True)
class RouterOptions:
    min_confidence: float = 0.62
    min_margin: float = 0.08
    min_stt_confidence: float = 0.35


@dataclass(frozen=True)
class RouteDecision:
    route: Route
    reason: str
    intent: Intent
    product: Product | None = None
    runner_up: Product | None = None
    """A second product on another shelf that matched almost as well: name both."""


def decide(
    transcript: str,
    intent: Intent,
    matches: list[Match],
    options: RouterOptions,
    cloud_available: bool,
    stt_confidence: float = 1.0,
) -> RouteDecision:
    """Pure routing decision; every branch carries a reason a developer can read."""
    if not transcript.strip():
        return RouteDecision("fallback", "no speech recognised", intent)
    top = matches[0] if matches else None
    rival = _rival(matches)
    confident = top is not None and top.score >= options.min_confidence
    catalog_intent = intent in _CATALOG_INTENTS or (
        intent is Intent.NONE and top is not None and top.score >= options.min_confidence + 0.1
    )
    if catalog_intent and confident and top is not None:
        effective = Intent.LOCATE if intent is Intent.NONE else intent
        detail = f"{effective.value}: catalog match {top.phrase!r} score {top.score:.2f}"
        if rival is not None and top.score - rival.score < options.min_margin:
            return RouteDecision(
                "local",
                f"{detail}, close to {rival.phrase!r} {rival.score:.2f}",
                effective,
                top.product,
                rival.product,
            )
        return RouteDecision("local", detail, effective, top.product)
    if intent is Intent.OPEN:
        reason = "open question: needs more than the catalog"
    elif stt_confidence < options.min_stt_confidence:
        reason = f"low speech-recognition confidence {stt_confidence:.2f}"
    elif top is None:
        reason = f"{intent.value}: nothing in the catalog matches"
    else:
        reason = (
            f"{intent.value}: best catalog match {top.phrase!r} score {top.score:.2f} "
            f"is below {options.min_confidence:.2f}"
        )
    if cloud_available:
        return RouteDecision("cloud", reason, intent, top.product if confident and top else None)
    return RouteDecision("fallback", f"{reason}; cloud unavailable", intent)


def _rival(matches: list[Match]) -> Match | None:
    if not matches:
        return None
    shelf = matches[0].product.shelf
    return next((m for m in matches[1:] if m.product.shelf != shelf), None)
