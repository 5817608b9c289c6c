"""Store packs (`store.toml` and its files) and the catalog search behind them."""

from kiosk.store.catalog import Catalog, Match
from kiosk.store.pack import Product, Shelf, StorePack, load_store

__all__ = ["Catalog", "Match", "Product", "Shelf", "StorePack", "load_store"]
