from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.agent.answers import fallback_reply, local_reply
from kiosk.agent.intent import Intent, classify
from kiosk.agent.router import RouterOptions, decide
from kiosk.store.catalog import Catalog
from kiosk.store.pack import load_store

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Where can I find the AA batteries?", Intent.LOCATE),
        ("Do you have ibuprofen?", Intent.AVAILABILITY),
        ("How much is the whole milk?", Intent.PRICE),
        ("Is this sunscreen safe for a three year old?", Intent.OPEN),
        ("Is this sunscreen OK for a three-year-old?", Intent.OPEN),
        ("What wine goes well with salmon?", Intent.OPEN),
        ("Can you recommend something for a sore throat?", Intent.OPEN),
        ("duct tape", Intent.NONE),
    ],
)
def test_intent(text: str, intent: Intent) -> None:
    assert classify(text) is intent


@pytest.fixture
def catalog(mini_store_dir: Path) -> Catalog:
    return Catalog(load_store(mini_store_dir))


def _route(catalog: Catalog, text: str, cloud: bool = False):  # type: ignore[no-untyped-def]
    intent = classify(text)
    return decide(text, intent, catalog.search(text), RouterOptions(), cloud_available=cloud)


def test_catalog_question_is_local_with_reason(catalog: Catalog) -> None:
    decision = _route(catalog, "Where can I find the AA batteries?")
    assert decision.route == "local"
    assert decision.product is not None and decision.product.shelf == "A5-L"
    assert "catalog match" in decision.reason
    reply = local_reply(decision, catalog.store)
    assert reply == "The Duracell AA batteries are in aisle 5, left side. They're 9.99."


def test_price_and_availability_replies(catalog: Catalog) -> None:
    price = _route(catalog, "How much is the whole milk?")
    assert local_reply(price, catalog.store) == (
        "The whole milk is 4.29. You'll find it in the dairy cooler on the back wall."
    )
    have = _route(catalog, "Do you have ibuprofen?")
    assert local_reply(have, catalog.store).startswith("Yes, we have Advil ibuprofen 200 mg.")


def test_open_question_is_never_answered_from_the_catalog(catalog: Catalog) -> None:
    decision = _route(catalog, "Are these batteries safe for a child's toy?")
    assert decision.route == "fallback"
    assert "open question" in decision.reason
    reply = fallback_reply(decision, catalog.store)
    assert "the service desk, by the entrance" in reply
    assert "aisle" not in reply.lower()
    assert _route(catalog, "What wine goes well with salmon?", cloud=True).route == "cloud"


def test_unknown_product_falls_back_honestly(catalog: Catalog) -> None:
    decision = _route(catalog, "Where do you keep the garden hoses?")
    assert decision.route == "fallback"
    assert "couldn't find that" in fallback_reply(decision, catalog.store)


def test_nothing_heard(catalog: Catalog) -> None:
    decision = decide("", Intent.NONE, [], RouterOptions(), cloud_available=True)
    assert decision.route == "fallback" and decision.reason == "no speech recognised"
