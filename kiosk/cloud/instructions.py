"""What the cloud model is told: a system instruction built from the store, and its tools."""

from __future__ import annotations

from google.genai import types

from kiosk.cloud.wire import LOOKUP_PRODUCT, POINT_TO_SHELF
from kiosk.store.pack import StorePack


def system_instruction(store: StorePack) -> str:
    """The kiosk's brief: who it is, what it may and may not do, and how to answer."""
    desk = store.shelves.get(store.service_desk or "")
    desk_line = (
        f"send them to {desk.label} (shelf id {desk.id})"
        if desk
        else "send them to a member of staff"
    )
    return "\n".join(
        [
            f"You are the self-service help kiosk of {store.name}, a shop. Shoppers speak to you "
            "out loud, standing in front of the kiosk; you may also get one picture from its "
            "camera, with faces blurred.",
            "You may: help shoppers find products, say what aisle or shelf they are on, give "
            "prices from the catalog, and give general, well-known product information.",
            "You may not: invent products, prices, shelves or stock; give medical, legal or "
            "financial advice beyond what is printed on a label; take payments, orders or "
            f"personal details. When you cannot help, say so honestly and {desk_line}.",
            f"Always call {LOOKUP_PRODUCT} before naming a product, a price or a place; only "
            "its results are true for this shop.",
            f"Whenever your answer is a place in the shop, always call {POINT_TO_SHELF} with "
            "that shelf id, so the screen points at it.",
            "Reply in one or two short spoken sentences, in the shopper's language, with no "
            "lists, no markdown and no spelled-out ids.",
        ]
    )


def tool_declarations() -> list[types.Tool]:
    return [
        types.Tool(
            function_declarations=[
                types.FunctionDeclaration(
                    name=LOOKUP_PRODUCT,
                    description=(
                        "Search this shop's catalog. Returns matching products with their "
                        "shelf id, shelf label and price."
                    ),
                    parameters_json_schema={
                        "type": "object",
                        "properties": {
                            "query": {
                                "type": "string",
                                "description": "product words, a brand, or a barcode number",
                            }
                        },
                        "required": ["query"],
                    },
                ),
                types.FunctionDeclaration(
                    name=POINT_TO_SHELF,
                    description="Point the kiosk's screen at a shelf on the store map.",
                    parameters_json_schema={
                        "type": "object",
                        "properties": {
                            "shelf_id": {
                                "type": "string",
                                "description": "a shelf id returned by lookup_product",
                            }
                        },
                        "required": ["shelf_id"],
                    },
                ),
            ]
        )
    ]
