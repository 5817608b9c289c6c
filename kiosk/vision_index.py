"""The store's reference images as vision references, computed when the store loads and
cached on disk by image content.

Each reference image gives one MobileNet embedding and one set of ORB key points. The cache is
one file per embedding model (precision and checksum) and feature version, holding rows keyed
by the sha256 of each image file; a second key, the file's path, size and modification time,
lets an unchanged pack skip even the hashing. A new or edited image is the only one computed
again. A product image that cannot be read is an error that names the file and the product.

Recognition needs only the key points; the embeddings serve plain packs and second opinions.
So a live kiosk may defer them (`defer_embeddings`): the store loads with key points alone,
and `IndexReport.finish` computes the missing embeddings afterwards, on one thread, saves the
cache and returns the complete set.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edge.vision.embed import DIM, Embedder
from edge.vision.errors import ImageError
from edge.vision.features import Keypoints, OrbExtractor
from edge.vision.image import read_image
from edge.vision.references import ReferenceSet
from kiosk.errors import StorePackError
from kiosk.models import sha256_of
from kiosk.store.pack import StorePack

log = logging.getLogger(__name__)

FEATURE_VERSION = "orb300-v1"
REFERENCE_POINTS = 300
CHUNK = 32


@dataclass(frozen=True)
class ImageRef:
    label: str
    """The product's SKU."""
    path: Path
    where: str
    """The product entry, for error messages: `product[3] (sku 0041333424019)`."""


@dataclass(frozen=True)
class IndexReport:
    images: int
    computed: int
    seconds: float
    cache: Path | None
    finish: Callable[[], ReferenceSet] | None = field(default=None, repr=False)
    """With deferred embeddings: computes those still missing, saves the cache and returns
    the complete reference set (blocking; call it on a thread of its own)."""


def default_index_dir(configured: Path | None = None) -> Path:
    """The config's folder, then systemd's $CACHE_DIRECTORY, then the XDG cache."""
    if configured is not None:
        return configured
    systemd = os.environ.get("CACHE_DIRECTORY")
    if systemd:
        return Path(systemd.split(":")[0]) / "vision"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "kiosk" / "vision"


def store_images(store: StorePack) -> list[ImageRef]:
    """Every reference image of every product with a SKU (only those can be named)."""
    refs: list[ImageRef] = []
    for i, product in enumerate(store.products):
        if product.sku is None:
            continue
        where = f"product[{i}] (sku {product.sku})"
        refs.extend(ImageRef(product.sku, path, where) for path in product.images)
    return refs


def build_references(
    store: StorePack,
    embedder: Embedder,
    cache_dir: Path | None,
    workers: int | None = None,
    defer_embeddings: bool = False,
) -> tuple[ReferenceSet, IndexReport]:
    """References for every product image, from the cache where it has them. With
    `defer_embeddings`, images not in the cache get key points now and a zero embedding until
    `report.finish()` has run."""
    start = time.perf_counter()
    images = store_images(store)
    tag = f"{Path(embedder.path).stem}-{sha256_of(embedder.path)[:12]}-{FEATURE_VERSION}"
    cache = _Cache.load(cache_dir / f"refs-{tag}.npz") if cache_dir is not None else None
    hashes = _hashes(images, cache, store)
    missing = [i for i, h in enumerate(hashes) if cache is None or h not in cache.rows]
    pool = workers or min(4, os.cpu_count() or 1)
    todo: dict[str, ImageRef] = {}  # one of each new image, however many products show it
    for i in missing:
        todo.setdefault(hashes[i], images[i])
    computed = _compute(list(todo.values()), None if defer_embeddings else embedder, store, pool)
    fresh = dict(zip(todo, computed, strict=True))
    rows = [fresh[h] if h in fresh else cache.row(h) for h in hashes]  # type: ignore[union-attr]

    def save(rows: list[Row]) -> None:
        if cache is not None and (missing or len(cache.rows) != len(set(hashes))):
            cache.save(dict(zip(hashes, rows, strict=True)), _stat_keys(images, hashes))

    finish = None
    if defer_embeddings and missing:

        def finish() -> ReferenceSet:
            # The images are read again: keeping thousands decoded between the two passes
            # would cost more memory than the second read costs time (about 1 ms each).
            begun = time.perf_counter()
            vectors = dict(zip(todo, _embed(list(todo.values()), embedder, store), strict=True))
            done = [
                (vectors[h], row[1]) if h in vectors else row
                for h, row in zip(hashes, rows, strict=True)
            ]
            save(done)
            log.info(
                "vision references: %d embeddings computed in %.2f s",
                len(vectors),
                time.perf_counter() - begun,
            )
            return _reference_set(images, done)

    else:
        save(rows)
    references = _reference_set(images, rows)
    seconds = time.perf_counter() - start
    report = IndexReport(len(images), len(missing), seconds, cache.path if cache else None, finish)
    log.info(
        "vision references: %d images (%d computed%s) in %.2f s",
        report.images,
        report.computed,
        ", embeddings deferred" if finish is not None else "",
        report.seconds,
    )
    return references, report


def _reference_set(images: Sequence[ImageRef], rows: Sequence[Row]) -> ReferenceSet:
    embeddings = (
        np.stack([r[0] for r in rows]).astype(np.float32)
        if rows
        else np.zeros((0, DIM), np.float32)
    )
    return ReferenceSet(tuple(ref.label for ref in images), embeddings, tuple(r[1] for r in rows))


Row = tuple[np.ndarray, Keypoints]


def _compute(
    images: Sequence[ImageRef], embedder: Embedder | None, store: StorePack, workers: int
) -> list[Row]:
    """Key points and, with an embedder, embeddings (zeros without one)."""
    if not images:
        return []

    def chunk(refs: Sequence[ImageRef]) -> list[Row]:
        extract = OrbExtractor(REFERENCE_POINTS)  # one per call: threads share no detector
        pictures = [_read(ref, store) for ref in refs]
        vectors = (
            embedder.embed(pictures)
            if embedder is not None
            else np.zeros((len(pictures), DIM), np.float32)
        )
        return [(v.astype(np.float16), extract(p)) for v, p in zip(vectors, pictures, strict=True)]

    parts = [images[i : i + CHUNK] for i in range(0, len(images), CHUNK)]
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="vision-index") as pool:
        return [row for rows in pool.map(chunk, parts) for row in rows]


def _embed(images: Sequence[ImageRef], embedder: Embedder, store: StorePack) -> list[np.ndarray]:
    """Embeddings, one chunk at a time on the calling thread."""
    out: list[np.ndarray] = []
    for i in range(0, len(images), CHUNK):
        pictures = [_read(ref, store) for ref in images[i : i + CHUNK]]
        out.extend(v.astype(np.float16) for v in embedder.embed(pictures))
    return out


def _read(ref: ImageRef, store: StorePack) -> np.ndarray:
    try:
        return read_image(ref.path)
    except ImageError as exc:
        name = ref.path.relative_to(store.root.resolve()) if ref.path.is_absolute() else ref.path
        reason = str(exc).removeprefix(f"{ref.path}: ")
        raise StorePackError(
            f"{store.root / 'store.toml'}: {ref.where}: image {name}: {reason}"
        ) from None


def _hashes(images: Sequence[ImageRef], cache: _Cache | None, store: StorePack) -> list[str]:
    out = []
    for ref in images:
        try:
            stat = ref.path.stat()
        except OSError as exc:
            raise StorePackError(
                f"{store.root / 'store.toml'}: {ref.where}: image {ref.path}: "
                f"cannot read: {exc.strerror or exc}"
            ) from None
        key = _stat_key(ref.path, stat.st_size, stat.st_mtime_ns)
        known = cache.by_stat.get(key) if cache is not None else None
        out.append(known or sha256_of(ref.path))
    return out


def _stat_key(path: Path, size: int, mtime_ns: int) -> str:
    return f"{path}|{size}|{mtime_ns}"


def _stat_keys(images: Iterable[ImageRef], hashes: Sequence[str]) -> dict[str, str]:
    keys = {}
    for ref, digest in zip(images, hashes, strict=True):
        stat = ref.path.stat()
        keys[_stat_key(ref.path, stat.st_size, stat.st_mtime_ns)] = digest
    return keys


class _Cache:
    """One .npz of rows keyed by image sha256, plus the stat shortcut."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: dict[str, int] = {}
        self.by_stat: dict[str, str] = {}
        self._embeddings = np.zeros((0, DIM), np.float16)
        self._offsets = np.zeros(1, np.int64)
        self._points = np.zeros((0, 2), np.float32)
        self._descriptors = np.zeros((0, 32), np.uint8)

    @classmethod
    def load(cls, path: Path) -> _Cache:
        cache = cls(path)
        if not path.is_file():
            return cache
        try:
            with np.load(path, allow_pickle=False) as data:
                hashes = [str(h) for h in data["hashes"]]
                cache._embeddings = data["embeddings"]
                cache._offsets = data["offsets"]
                cache._points = data["points"]
                cache._descriptors = data["descriptors"]
                stat_keys = [str(k) for k in data["stat_keys"]]
                stat_hashes = [str(h) for h in data["stat_hashes"]]
        except (OSError, KeyError, ValueError) as exc:
            log.warning("vision reference cache %s unreadable, rebuilding: %s", path, exc)
            return cls(path)
        cache.rows = {h: i for i, h in enumerate(hashes)}
        cache.by_stat = dict(zip(stat_keys, stat_hashes, strict=False))
        return cache

    def row(self, digest: str) -> Row:
        i = self.rows[digest]
        lo, hi = int(self._offsets[i]), int(self._offsets[i + 1])
        return self._embeddings[i], Keypoints(self._points[lo:hi], self._descriptors[lo:hi])

    def save(self, rows: dict[str, Row], stat_keys: dict[str, str]) -> None:
        hashes = list(rows)
        points = [rows[h][1].points for h in hashes]
        offsets = np.concatenate([[0], np.cumsum([len(p) for p in points])]).astype(np.int64)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.part")
        try:
            with open(tmp, "wb") as fh:
                np.savez(
                    fh,
                    hashes=np.array(hashes, dtype=str),
                    embeddings=np.stack([rows[h][0] for h in hashes]).astype(np.float16)
                    if hashes
                    else np.zeros((0, DIM), np.float16),
                    offsets=offsets,
                    points=np.concatenate(points) if points else np.zeros((0, 2), np.float32),
                    descriptors=np.concatenate([rows[h][1].descriptors for h in hashes])
                    if hashes
                    else np.zeros((0, 32), np.uint8),
                    stat_keys=np.array(list(stat_keys), dtype=str),
                    stat_hashes=np.array(list(stat_keys.values()), dtype=str),
                )
            os.replace(tmp, self.path)
        except OSError as exc:  # a read-only cache only costs time at the next start
            log.warning("vision reference cache %s not saved: %s", self.path, exc)
            tmp.unlink(missing_ok=True)
