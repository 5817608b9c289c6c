"""`kiosk bench catalog`: store-pack load time and catalog query time at scale."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from kiosk.bench.stats import summary_ms
from kiosk.bench.synthetic_store import write_synthetic_store
from kiosk.store.catalog import Catalog
from kiosk.store.pack import demo_store_path, load_store

QUERIES = [
    "where can I find the double a batteries",
    "where are the double amount batteries",
    "do you have toothpaste",
    "how much is the northfield coffee",
    "where is the heavy duty tape",
    "do you sell organic pasta",
    "ibuprofin",
    "where are the light bulbs",
    "lighthouse vitamins extra strength",
    "0041333424019",
]


def run_catalog_bench(quick: bool = False, products: int = 10_000) -> dict[str, Any]:
    repeats = 3 if quick else 7
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp:
        root = write_synthetic_store(Path(tmp), products)
        load_ms, index_ms = [], []
        catalog = None
        for _ in range(repeats):
            start = time.perf_counter()
            store = load_store(root, check_files=False)
            mid = time.perf_counter()
            catalog = Catalog(store)
            end = time.perf_counter()
            load_ms.append((mid - start) * 1000)
            index_ms.append((end - mid) * 1000)
        assert catalog is not None
        query_ms = []
        for _ in range(5 if quick else 30):
            for query in QUERIES:
                start = time.perf_counter()
                catalog.search(query)
                query_ms.append((time.perf_counter() - start) * 1000)
    demo = Catalog(load_store(demo_store_path()))
    demo_ms = []
    for _ in range(5 if quick else 30):
        for query in QUERIES:
            start = time.perf_counter()
            demo.search(query)
            demo_ms.append((time.perf_counter() - start) * 1000)
    total = [a + b for a, b in zip(load_ms, index_ms, strict=True)]
    parse, index, whole = (round(statistics.median(v), 1) for v in (load_ms, index_ms, total))
    queries, demo_queries = summary_ms(query_ms), summary_ms(demo_ms)
    print(
        f"catalog: {products} products load in {whole} ms median "
        f"(parse {parse}, index {index}; target < 1000)"
    )
    print(
        f"catalog: query p50 {queries['p50_ms']} ms, p95 {queries['p95_ms']} ms "
        f"over {queries['n']} queries (target < 5)"
    )
    print(f"catalog: demo store query p50 {demo_queries['p50_ms']} ms")
    return {
        "products": products,
        "load_parse_ms": parse,
        "load_index_ms": index,
        "load_total_ms": whole,
        "query": queries,
        "demo_query": demo_queries,
        "targets": {"load_total_ms": 1000, "query_p50_ms": 5},
    }
