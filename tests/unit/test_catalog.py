from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.bench.synthetic_store import write_synthetic_store
from kiosk.store.catalog import Catalog
from kiosk.store.pack import load_store
from kiosk.store.text import content_words, skeleton, words

pytestmark = pytest.mark.unit


@pytest.fixture
def catalog(mini_store_dir: Path) -> Catalog:
    return Catalog(load_store(mini_store_dir))


def test_spoken_letters_and_plurals_normalise() -> None:
    assert words("AA Batteries") == ["double", "a", "battery"]
    assert content_words("where can I find the double a batteries") == ["double", "a", "battery"]
    assert content_words("where is a battery") == ["battery"]
    assert skeleton("ibuprofin") == skeleton("ibuprofen")


def test_exact_sku(catalog: Catalog) -> None:
    [match] = catalog.search("0041333424019")
    assert match.how == "sku" and match.product.name.startswith("Duracell")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("where can I find the AA batteries", "Duracell AA batteries, 8 pack"),
        ("where are the double amount batteries", "Duracell AA batteries, 8 pack"),
        ("do you have triple a batteries", "Energizer AAA batteries, 4 pack"),
        ("do you have ibuprofin", "Advil ibuprofen 200 mg, 100 tablets"),
        ("how much is the whole milk", "Whole milk, 1 gallon"),
        ("where's the duck tape", "Gorilla duct tape"),
        ("advil", "Advil ibuprofen 200 mg, 100 tablets"),
    ],
)
def test_finds_what_was_meant(catalog: Catalog, query: str, expected: str) -> None:
    matches = catalog.search(query)
    assert matches and matches[0].product.name == expected
    assert matches[0].score >= 0.62


def test_double_amount_prefers_aa_over_aaa(catalog: Catalog) -> None:
    matches = catalog.search("where are the double amount batteries")
    scores = {m.product.name: m.score for m in matches}
    assert scores["Duracell AA batteries, 8 pack"] > scores.get(
        "Energizer AAA batteries, 4 pack", 0
    )


def test_unrelated_questions_match_weakly(catalog: Catalog) -> None:
    for query in ("what wine goes well with salmon", "hello there", ""):
        matches = catalog.search(query)
        assert not matches or matches[0].score < 0.62


def test_vocabulary_lists_distinctive_words(catalog: Catalog) -> None:
    vocabulary = catalog.vocabulary()
    assert "ibuprofen" in vocabulary and "duracell" in vocabulary
    assert "where" not in vocabulary


def test_ten_thousand_products_load_and_search(tmp_path: Path) -> None:
    store = load_store(write_synthetic_store(tmp_path, 10_000), check_files=False)
    catalog = Catalog(store)
    assert len(catalog) == 10_000
    sku = store.products[1234].sku
    assert sku is not None
    assert catalog.search(sku)[0].product == store.products[1234]
    assert catalog.search("northfield coffee")[0].product.name.startswith("Northfield coffee")


def test_a_match_says_whether_a_word_was_heard_for_sure(catalog: Catalog) -> None:
    assert catalog.search("duct tape please")[0].sure
    guess = catalog.search("where is the tap")  # a short sound-alike, as Whisper hears a pause
    assert guess and guess[0].product.name == "Gorilla duct tape" and not guess[0].sure
