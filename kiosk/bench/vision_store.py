"""Reference indexing at scale for `kiosk bench vision`: a synthetic store pack with thousands of
distinct product photos (the demo photos recoloured, flipped and marked), indexed cold as a
live kiosk does (key points first, the embeddings after, on one thread), cold all at once,
then again from the cache."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from edge.vision.embed import Embedder
from edge.vision.image import read_image
from edge.vision.providers import SessionOptions
from kiosk.models import ModelCache
from kiosk.store.pack import StorePack, load_store
from kiosk.vision import embedding_model
from kiosk.vision_index import build_references


def write_photo_store(root: Path, demo: StorePack, count: int, seed: int = 11) -> Path:
    """A store pack of `count` products, each with its own photo."""
    rng = np.random.default_rng(seed)
    bases = [read_image(p.images[0]) for p in demo.products if p.images]
    images = root / "images"
    images.mkdir(parents=True, exist_ok=True)
    lines = ['[store]\nname = "Photo Mart"\n', '[[shelf]]\nid = "S1"\nlabel = "Aisle 1"\n']
    for i in range(count):
        photo = bases[i % len(bases)].copy()
        hsv = cv2.cvtColor(photo, cv2.COLOR_BGR2HSV)
        hsv[..., 0] = (hsv[..., 0].astype(np.int32) + int(rng.integers(0, 180))) % 180
        photo = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)
        if rng.random() < 0.5:
            photo = np.ascontiguousarray(photo[:, ::-1])
        x, y = int(rng.integers(0, 260)), int(rng.integers(0, 260))
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        cv2.rectangle(photo, (x, y), (x + 40, y + 40), colour, thickness=cv2.FILLED)
        cv2.imwrite(str(images / f"{i:05d}.jpg"), photo, [cv2.IMWRITE_JPEG_QUALITY, 85])
        lines.append(
            f'[[product]]\nsku = "{2000000000000 + i}"\nname = "Product {i}"\n'
            f'shelf = "S1"\nimages = ["images/{i:05d}.jpg"]\n'
        )
    (root / "store.toml").write_text("\n".join(lines), encoding="utf-8")
    return root


def index_figures(demo: StorePack, models: ModelCache, tmp: Path, quick: bool) -> dict[str, Any]:
    count = 300 if quick else 5000
    start = time.perf_counter()
    root = write_photo_store(tmp / "photo-store", demo, count)
    written_s = time.perf_counter() - start
    store = load_store(root)
    embedder = Embedder(embedding_model(models, "int8"), SessionOptions(threads=1))
    _, first = build_references(store, embedder, tmp / "photo-index-live", defer_embeddings=True)
    start = time.perf_counter()
    if first.finish is not None:
        first.finish()
    embedded_s = time.perf_counter() - start
    cache = tmp / "photo-index"
    _, cold = build_references(store, embedder, cache)
    _, warm = build_references(store, embedder, cache)
    edited = store.products[0].images[0]
    cv2.imwrite(str(edited), np.full((320, 320, 3), 200, np.uint8))
    _, one = build_references(load_store(root), embedder, cache)
    return {
        "images": count,
        "workers": min(4, os.cpu_count() or 1),
        "written_s": round(written_s, 2),
        "cold_key_points_first_s": round(first.seconds, 2),
        "then_embeddings_one_thread_s": round(embedded_s, 2),
        "cold_s": round(cold.seconds, 2),
        "cached_s": round(warm.seconds, 3),
        "one_image_changed_s": round(one.seconds, 3),
        "recomputed_after_change": one.computed,
    }
