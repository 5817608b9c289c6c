"""A large synthetic store pack, for load and search benchmarks and tests."""

from __future__ import annotations

import random
from pathlib import Path

_BRANDS = [
    "Acme",
    "Northfield",
    "Bluebird",
    "Harbor",
    "Sunrise",
    "Keystone",
    "Maple",
    "Orion",
    "Pioneer",
    "Summit",
    "Willow",
    "Crescent",
    "Evergreen",
    "Lighthouse",
    "Redwood",
]
_KINDS = [
    "batteries",
    "toothpaste",
    "shampoo",
    "coffee",
    "tea",
    "pasta",
    "rice",
    "cereal",
    "crackers",
    "cookies",
    "soap",
    "detergent",
    "light bulbs",
    "tape",
    "glue",
    "screws",
    "nails",
    "paint",
    "brushes",
    "sponges",
    "napkins",
    "candles",
    "vitamins",
    "bandages",
    "lotion",
    "sunscreen",
    "juice",
    "soda",
    "chips",
    "salsa",
    "beans",
    "soup",
    "flour",
]
_VARIANTS = [
    "original",
    "extra strength",
    "family size",
    "organic",
    "low sodium",
    "classic",
    "unscented",
    "lemon",
    "mint",
    "vanilla",
    "spicy",
    "whole grain",
    "heavy duty",
]


def write_synthetic_store(root: Path, products: int, shelves: int = 200, seed: int = 7) -> Path:
    """Write `root/store.toml` with `products` products; returns the folder."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    lines = ["[store]", 'name = "Synthetic Superstore"', ""]
    for s in range(shelves):
        lines += [
            "[[shelf]]",
            f'id = "S{s:03d}"',
            f'label = "Aisle {s // 2 + 1}, {"left" if s % 2 == 0 else "right"} side"',
            f"map_xy = [{s * 5}, {s * 3}]",
            "",
        ]
    for i in range(products):
        brand, kind, variant = rng.choice(_BRANDS), rng.choice(_KINDS), rng.choice(_VARIANTS)
        sku = f"{200000000000 + i:012d}"
        lines += [
            "[[product]]",
            f'sku = "{sku}{_check_digit(sku)}"',
            f'name = "{brand} {kind}, {variant} {i}"',
            f'aliases = ["{kind}", "{brand.lower()} {kind}", "{variant} {kind}"]',
            f'shelf = "S{rng.randrange(shelves):03d}"',
            f"price = {rng.randrange(99, 4999) / 100}",
            "",
        ]
    (root / "store.toml").write_text("\n".join(lines), encoding="utf-8")
    return root


def _check_digit(twelve: str) -> int:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(twelve))
    return (10 - total % 10) % 10
