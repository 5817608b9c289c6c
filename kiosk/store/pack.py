"""Load and validate a store pack: a folder with `store.toml` and the files it names.

Errors name the file, the entry and the field, e.g.
`demo/store.toml: product[3] (sku 0041333424019): shelf: unknown shelf 'A9-X'`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.errors import StorePackError

try:  # the compiled parser is several times faster on large catalogs
    import tomli as _toml
except ImportError:  # pragma: no cover - depends on the environment
    import tomllib as _toml  # type: ignore[no-redef]


@dataclass(frozen=True)
class Shelf:
    id: str
    label: str
    map_xy: tuple[int, int] | None = None
    camera_xy: tuple[float, float] | None = None
    """Where the shelf appears in the kiosk camera's frame, as fractions of its width and
    height (unmirrored); the screen then points at it over the live preview too."""


@dataclass(frozen=True)
class Product:
    key: str
    """The SKU when the product has one, else `name:<name>`; unique in the pack."""
    name: str
    shelf: str
    sku: str | None = None
    aliases: tuple[str, ...] = ()
    price: float | None = None
    images: tuple[Path, ...] = ()


@dataclass(frozen=True)
class StorePack:
    root: Path
    name: str
    shelves: dict[str, Shelf]
    products: tuple[Product, ...]
    map_image: Path | None = None
    service_desk: str | None = None
    you_are_here: tuple[int, int] | None = None
    """The kiosk's own place on the map, in map pixels."""

    def shelf_of(self, product: Product) -> Shelf:
        return self.shelves[product.shelf]


def demo_store_path() -> Path:
    return Path(__file__).resolve().parent.parent / "stores" / "demo"


def load_store(root: Path, check_files: bool = True) -> StorePack:
    """Parse `root/store.toml`; with `check_files`, every named image and map must exist."""
    root = Path(root)
    path = root / "store.toml"
    doc = _read(path)
    ctx = _Context(path, root, check_files)
    store = doc.get("store")
    if not isinstance(store, dict):
        raise StorePackError(f"{path}: [store]: missing table")
    name = ctx.text(store, "name", "[store]")
    map_image = ctx.file(store.get("map"), "[store]", "map") if "map" in store else None
    shelves = _shelves(ctx, doc.get("shelf", []))
    desk = store.get("service_desk")
    if desk is not None and (not isinstance(desk, str) or desk not in shelves):
        raise StorePackError(f"{path}: [store]: service_desk: unknown shelf {desk!r}")
    products = _products(ctx, doc.get("product", []), shelves)
    here = _map_xy(ctx, store.get("you_are_here"), "[store]", "you_are_here")
    return StorePack(
        root=root,
        name=name,
        shelves=shelves,
        products=tuple(products),
        map_image=map_image,
        service_desk=desk,
        you_are_here=here,
    )


@dataclass(frozen=True)
class _Context:
    path: Path
    root: Path
    check_files: bool

    def fail(self, entry: str, field: str, message: str) -> StorePackError:
        return StorePackError(f"{self.path}: {entry}: {field}: {message}")

    def text(self, table: dict[str, Any], field: str, entry: str) -> str:
        value = table.get(field)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(entry, field, "required, a non-empty string")
        return value.strip()

    def file(self, value: Any, entry: str, field: str) -> Path:
        if not isinstance(value, str) or not value or "\0" in value:
            raise self.fail(entry, field, "must be a relative file path")
        full = (self.root / value).resolve()
        if not full.is_relative_to(self.root.resolve()):
            raise self.fail(entry, field, f"{value!r} points outside the store pack")
        if self.check_files and not full.is_file():
            raise self.fail(entry, field, f"file not found: {value}")
        return full


def _read(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise StorePackError(f"{path}: file not found") from None
    except OSError as exc:
        raise StorePackError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return _toml.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise StorePackError(f"{path}: not UTF-8 text") from None
    except _toml.TOMLDecodeError as exc:
        raise StorePackError(f"{path}: not valid TOML: {exc}") from None


def _shelves(ctx: _Context, entries: Any) -> dict[str, Shelf]:
    if not isinstance(entries, list) or not entries:
        raise ctx.fail("[[shelf]]", "shelf", "at least one [[shelf]] is required")
    shelves: dict[str, Shelf] = {}
    for i, entry in enumerate(entries):
        where = f"shelf[{i}]"
        if not isinstance(entry, dict):
            raise ctx.fail(where, "shelf", "must be a table")
        shelf_id = ctx.text(entry, "id", where)
        where = f"shelf[{i}] (id {shelf_id})"
        if shelf_id in shelves:
            raise ctx.fail(where, "id", f"duplicate shelf id {shelf_id!r}")
        label = ctx.text(entry, "label", where)
        shelves[shelf_id] = Shelf(
            shelf_id,
            label,
            _map_xy(ctx, entry.get("map_xy"), where),
            _camera_xy(ctx, entry.get("camera_xy"), where),
        )
    return shelves


def _map_xy(ctx: _Context, value: Any, where: str, field: str = "map_xy") -> tuple[int, int] | None:
    if value is None:
        return None
    if not _pair(value, 0.0, float("inf")):
        raise ctx.fail(where, field, "must be [x, y], two non-negative numbers")
    return (int(value[0]), int(value[1]))


def _camera_xy(ctx: _Context, value: Any, where: str) -> tuple[float, float] | None:
    if value is None:
        return None
    if not _pair(value, 0.0, 1.0):
        raise ctx.fail(where, "camera_xy", "must be [x, y], fractions of the frame from 0 to 1")
    return (float(value[0]), float(value[1]))


def _pair(value: Any, low: float, high: float) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and all(
            isinstance(v, int | float)
            and not isinstance(v, bool)
            and low <= v <= high
            and math.isfinite(v)
            for v in value
        )
    )


def _products(ctx: _Context, entries: Any, shelves: dict[str, Shelf]) -> list[Product]:
    if not isinstance(entries, list):
        raise ctx.fail("[[product]]", "product", "must be an array of tables")
    products: list[Product] = []
    keys: set[str] = set()
    for i, entry in enumerate(entries):
        where = f"product[{i}]"
        if not isinstance(entry, dict):
            raise ctx.fail(where, "product", "must be a table")
        name = ctx.text(entry, "name", where)
        sku = entry.get("sku")
        if sku is not None and (not isinstance(sku, str) or not sku.strip().isdigit()):
            raise ctx.fail(f"{where} ({name})", "sku", "must be a string of digits (EAN/UPC)")
        key = sku.strip() if sku else f"name:{name.lower()}"
        where = f"{where} (sku {sku})" if sku else f"{where} ({name})"
        if key in keys:
            raise ctx.fail(where, "sku" if sku else "name", f"duplicate product {key!r}")
        keys.add(key)
        shelf = ctx.text(entry, "shelf", where)
        if shelf not in shelves:
            raise ctx.fail(where, "shelf", f"unknown shelf {shelf!r}")
        products.append(
            Product(
                key=key,
                name=name,
                shelf=shelf,
                sku=key if sku else None,
                aliases=_aliases(ctx, entry.get("aliases", []), where),
                price=_price(ctx, entry.get("price"), where),
                images=tuple(
                    ctx.file(img, where, f"images[{j}]")
                    for j, img in enumerate(_list(ctx, entry.get("images", []), where, "images"))
                ),
            )
        )
    return products


def _list(ctx: _Context, value: Any, where: str, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise ctx.fail(where, field, "must be a list")
    return value


def _aliases(ctx: _Context, value: Any, where: str) -> tuple[str, ...]:
    items = _list(ctx, value, where, "aliases")
    if not all(isinstance(a, str) and a.strip() for a in items):
        raise ctx.fail(where, "aliases", "must be a list of non-empty strings")
    return tuple(a.strip() for a in items)


def _price(ctx: _Context, value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e6:
        raise ctx.fail(where, "price", "must be a number from 0 to 999999")
    return float(value)
