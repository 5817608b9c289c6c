#!/usr/bin/env python3
"""Write the augmented vision set to a folder, to look at what `kiosk bench vision` measures.

Each picture is one demo product held up in front of the kiosk: cut out of its reference
photo, rotated, scaled, partly covered by a hand, lit differently, blurred, noisy and
JPEG-compressed, over a shop-like backdrop, every other one held below scikit-image's
astronaut's face. The benchmark makes the same pictures in memory from the same seed; they
are never added to the reference index. Writes ``<out>/<profile>/<sku>-<n>.jpg`` and
``<out>/manifest.json`` (the SKU, where the product landed and what was done to it).

    .venv/bin/python scripts/make_vision_set.py --out /tmp/vision-set [--per-product 4]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2

from kiosk.bench.vision_set import PROFILES, held_frames
from kiosk.store.pack import demo_store_path, load_store


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--per-product", type=int, default=4)
    parser.add_argument("--profile", choices=sorted(PROFILES), action="append")
    args = parser.parse_args()
    store = load_store(demo_store_path())
    photos = {p.sku: p.images[0] for p in store.products if p.sku and p.images}
    manifest = []
    for name in args.profile or sorted(PROFILES):
        folder = args.out / name
        folder.mkdir(parents=True, exist_ok=True)
        counts: dict[str, int] = {}
        for frame in held_frames(photos, args.per_product, profile=PROFILES[name]):
            n = counts[frame.sku] = counts.get(frame.sku, 0) + 1
            path = folder / f"{frame.sku}-{n}.jpg"
            cv2.imwrite(str(path), frame.image, [cv2.IMWRITE_JPEG_QUALITY, 95])
            manifest.append(
                {
                    "file": str(path.relative_to(args.out)),
                    "sku": frame.sku,
                    "profile": name,
                    "person": frame.person,
                    "product_box": list(frame.product_box),
                    "recipe": frame.recipe,
                }
            )
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"{len(manifest)} pictures in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
