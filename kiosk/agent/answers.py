"""Local replies, phrased the way a store assistant would say them."""

from __future__ import annotations

from collections.abc import Sequence

from kiosk.agent.intent import Intent
from kiosk.agent.router import RouteDecision
from kiosk.store.pack import Product, Shelf, StorePack


def spoken_name(product: Product) -> str:
    """'Duracell AA batteries, 8 pack' -> 'Duracell AA batteries'; 'Whole milk' -> 'whole milk'
    (a name that is also a lower-case alias is a common noun, not a brand)."""
    name = product.name.split(",")[0].strip()
    if name.lower() in {a.lower() for a in product.aliases if a == a.lower()}:
        return name.lower()
    return name


def spoken_place(shelf: Shelf) -> str:
    label = shelf.label.strip()
    return label[0].lower() + label[1:] if label[:1].isupper() and label[1:2].islower() else label


def spoken_price(price: float) -> str:
    return f"{price:.2f}" if price % 1 else f"{price:.0f} dollars"


def _plural(name: str) -> bool:
    last = name.split()[-1].lower() if name.split() else ""
    return last.endswith("s") and not last.endswith("ss")


def _forms(name: str) -> tuple[str, str, str]:
    """(be, them, They're) agreeing with the name."""
    return ("are", "them", "They're") if _plural(name) else ("is", "it", "It's")


def local_reply(decision: RouteDecision, store: StorePack) -> str:
    if decision.choices:
        return clarifying_question(decision.choices)
    product = decision.product
    if product is None:
        return fallback_reply(decision, store)
    if decision.runner_up is not None and decision.intent is Intent.PRICE:
        return _two_prices(product, decision.runner_up, store)
    name = spoken_name(product)
    be, them, they = _forms(name)
    place = spoken_place(store.shelf_of(product))
    held = decision.source == "held"
    if decision.intent is Intent.PRICE:
        subject = f"That's the {name}. {they}" if held else f"The {name} {be}"
        if product.price is None:
            text = f"I don't have a price for the {name}, but you'll find {them} in {place}."
        else:
            text = f"{subject} {spoken_price(product.price)}. You'll find {them} in {place}."
    elif decision.intent is Intent.AVAILABILITY:
        text = f"Yes, we have {name}. {they} in {place}."
    else:
        text = f"That's the {name}. {they} in {place}." if held else f"The {name} {be} in {place}."
        if product.price is not None:
            text += f" {they} {spoken_price(product.price)}."
    if decision.runner_up is not None:
        other = decision.runner_up
        text += (
            f" If you meant the {spoken_name(other)}, "
            f"{'those are' if _plural(spoken_name(other)) else 'that is'} in "
            f"{spoken_place(store.shelf_of(other))}."
        )
    return text


def _two_prices(first: Product, second: Product, store: StorePack) -> str:
    parts = []
    for product in (first, second):
        name = spoken_name(product)
        price = spoken_price(product.price) if product.price is not None else "not priced here"
        parts.append(f"the {name} {_forms(name)[0]} {price}")
    text = f"{parts[0][0].upper()}{parts[0][1:]}, and {parts[1]}."
    if first.shelf == second.shelf:
        return text + f" Both are in {spoken_place(store.shelf_of(first))}."
    return text


def clarifying_question(choices: Sequence[Product]) -> str:
    """One short question naming the choices: 'Did you mean the X, the Y or the Z?'"""
    names = [f"the {spoken_name(p)}" for p in choices]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    return f"We have a few. Did you mean {listed}?"


def fallback_reply(decision: RouteDecision, store: StorePack) -> str:
    desk = store.shelves.get(store.service_desk) if store.service_desk else None
    ask = f" Please ask at {spoken_place(desk)}." if desk else " Please ask a member of staff."
    if decision.reason == "no speech recognised":
        return "Sorry, I didn't catch that. Could you say it again?"
    if decision.intent is Intent.OPEN:
        return "That's a good question, but I can't answer it here right now." + ask
    return "Sorry, I couldn't find that in our catalog." + ask
