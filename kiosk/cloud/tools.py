"""The cloud model's tools, answered on the device from the store's own catalog.

Every call carries an idempotency key: the call id, and also the turn with the call's name and
arguments, so a call the model repeats (or a turn retried after a dropped socket) acts once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kiosk.cloud.wire import LOOKUP_PRODUCT, POINT_TO_SHELF
from kiosk.store.catalog import Catalog

PointerSink = Callable[[str], None]
"""Called with a shelf id when the model points at a shelf."""


@dataclass
class ToolOutcome:
    response: dict[str, Any]
    shelf_id: str | None = None
    product_sku: str | None = None
    acted: bool = False
    """False when an earlier call with the same key already did this."""


@dataclass
class ToolHandler:
    catalog: Catalog
    pointer: PointerSink | None = None
    max_matches: int = 3
    _by_id: dict[str, ToolOutcome] = field(default_factory=dict)
    _by_key: dict[str, ToolOutcome] = field(default_factory=dict)
    cancelled: set[str] = field(default_factory=set)

    def call(
        self, call_id: str, name: str, args: dict[str, Any], turn_key: str = ""
    ) -> ToolOutcome:
        """Answer one function call; a repeated call returns the first answer and acts once."""
        if call_id and call_id in self._by_id:
            return _repeat(self._by_id[call_id])
        key = f"{turn_key}|{name}|{json.dumps(args, sort_keys=True, default=str)}"
        if turn_key and key in self._by_key:
            outcome = _repeat(self._by_key[key])
        elif name == LOOKUP_PRODUCT:
            outcome = self._lookup(str(args.get("query", "")))
        elif name == POINT_TO_SHELF:
            outcome = self._point(str(args.get("shelf_id", "")))
        else:
            outcome = ToolOutcome({"error": f"unknown function {name!r}"})
        if call_id:
            self._by_id[call_id] = outcome
        if turn_key:
            self._by_key.setdefault(key, outcome)
        return outcome

    def cancel(self, call_ids: list[str]) -> list[ToolOutcome]:
        """The server withdrew these calls; returns the outcomes that had already acted."""
        self.cancelled.update(call_ids)
        return [self._by_id[i] for i in call_ids if i in self._by_id and self._by_id[i].acted]

    def forget(self) -> None:
        """A new visit: earlier keys no longer apply."""
        self._by_id.clear()
        self._by_key.clear()
        self.cancelled.clear()

    def _lookup(self, query: str) -> ToolOutcome:
        store = self.catalog.store
        matches = self.catalog.search(query, limit=self.max_matches) if query.strip() else []
        found = [
            {
                "sku": m.product.sku or "",
                "name": m.product.name,
                "shelf_id": m.product.shelf,
                "shelf": store.shelves[m.product.shelf].label,
                "price": m.product.price,
                "score": round(m.score, 2),
            }
            for m in matches
        ]
        sku = matches[0].product.sku if matches else None
        return ToolOutcome({"matches": found}, product_sku=sku, acted=True)

    def _point(self, shelf_id: str) -> ToolOutcome:
        shelf = self.catalog.store.shelves.get(shelf_id)
        if shelf is None:
            return ToolOutcome({"ok": False, "error": f"unknown shelf id {shelf_id!r}"})
        if self.pointer is not None:
            self.pointer(shelf.id)
        return ToolOutcome({"ok": True, "shelf": shelf.label}, shelf_id=shelf.id, acted=True)


def _repeat(outcome: ToolOutcome) -> ToolOutcome:
    return ToolOutcome(outcome.response, outcome.shelf_id, outcome.product_sku, acted=False)
