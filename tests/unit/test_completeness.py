"""The store-aware transcript judge: has the shopper named what they are asking about?"""

from __future__ import annotations

import pytest

from edge.eot import TextCue
from kiosk.agent.completeness import CatalogJudge
from kiosk.store.catalog import Catalog
from kiosk.store.pack import load_store
from tests.conftest import MINI_STORE

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog(load_store(MINI_STORE))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Where are the AA batteries?", TextCue.NAMED),
        ("How much is the whole milk?", TextCue.NAMED),
        ("I'm looking for that.", TextCue.WANTING),  # grammatical, but names nothing yet
        ("Where is that?", TextCue.WANTING),
        ("Do you sell", TextCue.DANGLING),
        ("Where are the", TextCue.DANGLING),
        ("What wine goes well with salmon?", TextCue.NAMED),  # names something, open or not
        ("Do you sell motor oil?", TextCue.NAMED),  # not sold here, but named
        ("Can you recommend something for us?", TextCue.WANTING),
        ("Thank you.", TextCue.WHOLE),
        ("Where are you running?", TextCue.WANTING),  # a verb, not a name ("the, um")
        ("Where is the... out?", TextCue.WANTING),  # a particle, not a name
        ("Do you have running shoes?", TextCue.NAMED),
        ("", None),
    ],
)
def test_a_transcript_is_judged_by_what_it_names(
    catalog: Catalog, text: str, expected: TextCue | None
) -> None:
    assert CatalogJudge(catalog)(text) is expected


def test_this_names_the_product_held_up(catalog: Catalog) -> None:
    held = [False]
    judge = CatalogJudge(catalog, holding=lambda: held[0])
    assert judge("How much is this?") is TextCue.WANTING
    held[0] = True
    assert judge("How much is this?") is TextCue.NAMED
