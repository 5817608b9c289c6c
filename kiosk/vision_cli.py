"""`kiosk frame` and `kiosk ask --image`: one picture through the real prefilter.

`kiosk frame --image IN [--store DIR] --out OUT.jpg --json` prints the faces, product and
barcodes it found and writes the frame exactly as it would be sent to the cloud (faces
flattened, at most `vision.max_side_px` on the long side, JPEG at `vision.jpeg_quality`).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from edge.vision.image import read_image
from kiosk.config import KioskConfig, load_config
from kiosk.errors import KioskError
from kiosk.models import ModelCache, default_cache_dir
from kiosk.runtime import store_path
from kiosk.scene import StillScene, scene_from
from kiosk.store.pack import StorePack, load_store
from kiosk.vision import Shot, analyse_still, build_prefilter


def add_frame_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--image", type=Path, required=True, help="the picture to analyse")
    parser.add_argument("--store", type=Path, help="store pack (default: config, else demo)")
    parser.add_argument("--out", type=Path, required=True, help="write the cloud frame here")
    parser.add_argument("--config", type=Path)
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run_frame(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    image = read_image(args.image)  # a bad picture fails before any model loads
    store = load_store(store_path(config, args.store))
    shot = _shoot(config, store, image)
    if shot.frame is None:
        raise KioskError(f"{args.image}: frame withheld: a face was still detected after redaction")
    _write(args.out, shot.frame.jpeg)
    report = frame_report(shot, store, args.out)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        product = report["product"]
        print(f"faces: {len(report['faces'])}")
        print(
            f"product: {product['sku']} {product['name']} ({product['how']})"
            if product
            else "product: none" + (" (unknown item held up)" if report["unknown_item"] else "")
        )
        print(f"barcodes: {', '.join(report['barcodes']) or 'none'}")
        frame = report["frame"]
        print(f"frame: {args.out} {frame['width']}x{frame['height']}, {frame['bytes']} bytes")
    return 0


def still_scene(config: KioskConfig, store: StorePack, image: np.ndarray) -> StillScene:
    """`kiosk ask --image`: the picture (decoded, BGR) is the scene of the turn."""
    shot = _shoot(config, store, image)
    return StillScene(scene_from(shot.analysis, shot.frame))


def frame_report(shot: Shot, store: StorePack, out: Path | None) -> dict[str, Any]:
    analysis = shot.analysis
    product = None
    if analysis.product is not None:
        match = next((p for p in store.products if p.sku == analysis.product.label), None)
        product = {
            "sku": analysis.product.label,
            "name": match.name if match else None,
            "how": analysis.product.how,
            "score": round(analysis.product.score, 3),
        }
    frame = shot.frame
    return {
        "width": analysis.width,
        "height": analysis.height,
        "faces": [
            {
                "x": round(f.x),
                "y": round(f.y),
                "w": round(f.w),
                "h": round(f.h),
                "score": round(f.score, 3),
            }
            for f in analysis.faces
        ],
        "shopper": analysis.shopper is not None,
        "product": product,
        "unknown_item": analysis.unknown_item,
        "barcodes": list(analysis.barcodes),
        "frame": None
        if frame is None
        else {
            "path": str(out) if out else None,
            "width": frame.width,
            "height": frame.height,
            "bytes": len(frame.jpeg),
            "faces_redacted": frame.faces_redacted,
        },
        "timings_ms": {k: round(v, 1) for k, v in analysis.timings_ms.items()},
    }


def _shoot(config: KioskConfig, store: StorePack, image: np.ndarray) -> Shot:
    models = ModelCache(default_cache_dir(config.models.cache_dir))
    prefilter, _ = build_prefilter(config.vision, models, store)
    prefilter.warm_up()  # the timings it reports are those of a running kiosk
    return analyse_still(prefilter, image)


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:
        raise KioskError(f"{path}: cannot write: {exc.strerror or exc}") from None
