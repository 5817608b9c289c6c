#!/usr/bin/env python3
"""Generate the demo store pack: ``kiosk/stores/demo/``.

Writes, from the catalogue below:

* ``store.toml``: the store, its shelves (with positions on the map) and its products;
* ``map.png``: a top-down floor map (1280x800) whose pixels ``map_xy`` refers to;
* ``images/<sku>.jpg``: one 320x320 reference photo per product, a drawn package with its
  brand, name, a brand logo and a real EAN-13 barcode (2 px per module, with quiet zones).

Everything is drawn with numpy and OpenCV only and is seeded per SKU, so a re-run gives the
same files.  After writing, the pack is checked: store.toml parses, every shelf reference and
image exists, every SKU has a valid EAN-13 check digit, and every image's barcode decodes with
``cv2.barcode.BarcodeDetector`` to its SKU.  The exit status is non-zero if a check fails.

Barcode notes: OpenCV's detector, with its default settings, misses bars much shorter than
~90 px in a 320 px image and is sensitive to where the bars sit on its 10 px analysis grid, so
the bars are 90 px tall and snapped to that grid.  It reports an EAN-13 that starts with 0 as a
12-digit UPC-A (type ``UPC_A``, leading 0 dropped); anything looking up a scanned code should
try both forms.

Edit the catalogue here and re-run rather than editing the generated files::

    .venv/bin/python scripts/make_demo_store.py [--out kiosk/stores/demo]
"""

from __future__ import annotations

import argparse
import json
import sys
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import tomllib

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "kiosk" / "stores" / "demo"

IMG = 320  # reference image size
MODULE = 2  # barcode pixels per module
JPEG_QUALITY = 85
MAX_JPEG_BYTES = 25_000

FONT = {
    "simplex": cv2.FONT_HERSHEY_SIMPLEX,
    "duplex": cv2.FONT_HERSHEY_DUPLEX,
    "complex": cv2.FONT_HERSHEY_COMPLEX,
    "triplex": cv2.FONT_HERSHEY_TRIPLEX,
    "script": cv2.FONT_HERSHEY_SCRIPT_COMPLEX,
    "italic": cv2.FONT_HERSHEY_TRIPLEX | cv2.FONT_ITALIC,
    "sitalic": cv2.FONT_HERSHEY_SIMPLEX | cv2.FONT_ITALIC,
    "dupitalic": cv2.FONT_HERSHEY_DUPLEX | cv2.FONT_ITALIC,
}
AA = cv2.LINE_AA


# --------------------------------------------------------------------------------------------
# EAN-13
# --------------------------------------------------------------------------------------------

_L = ["0001101", "0011001", "0010011", "0111101", "0100011",
      "0110001", "0101111", "0111011", "0110111", "0001011"]  # fmt: skip
_R = ["".join("1" if b == "0" else "0" for b in code) for code in _L]
_G = [code[::-1] for code in _R]
_PARITY = ["LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG",
           "LGGLLG", "LGGGLG", "LGLGGL", "LGLGLG", "LGGLGL"]  # fmt: skip


def ean13_check_digit(first12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def ean13_valid(code: str) -> bool:
    return len(code) == 13 and code.isdigit() and ean13_check_digit(code[:12]) == code[12]


def ean13_modules(code: str) -> str:
    """The 95 modules of an EAN-13 symbol, '1' = bar."""
    assert ean13_valid(code), code
    parity = _PARITY[int(code[0])]
    left = "".join((_L if p == "L" else _G)[int(d)] for p, d in zip(parity, code[1:7], strict=True))
    right = "".join(_R[int(d)] for d in code[7:])
    return "101" + left + "01010" + right + "101"


QUIET_L, QUIET_R = 11, 8  # quiet zones, modules
BAR_H = 90  # bar height, px: OpenCV's detector misses much shorter bars in 320 px images
BLOCK_W = (QUIET_L + 95 + QUIET_R) * MODULE  # 228
BLOCK_H = 4 + BAR_H + 15  # 109


def barcode_block(code: str) -> np.ndarray:
    """White label with the bars and the human-readable digits, BLOCK_H x BLOCK_W, uint8."""
    img = np.full((BLOCK_H, BLOCK_W), 255, np.uint8)
    guards = set(range(3)) | set(range(45, 50)) | set(range(92, 95))
    for i, bit in enumerate(ean13_modules(code)):
        if bit == "1":
            x = (QUIET_L + i) * MODULE
            bottom = 4 + BAR_H + (6 if i in guards else 0)
            img[4:bottom, x : x + MODULE] = 0
    font, scale = cv2.FONT_HERSHEY_SIMPLEX, 0.36
    base = 4 + BAR_H + 12

    def digit(ch: str, cx: float) -> None:
        (tw, _), _ = cv2.getTextSize(ch, font, scale, 1)
        cv2.putText(img, ch, (int(cx - tw / 2), base), font, scale, 0, 1, AA)

    digit(code[0], (QUIET_L - 4) * MODULE)
    for k in range(6):
        digit(code[1 + k], (QUIET_L + 3 + 7 * k + 3.5) * MODULE)
        digit(code[7 + k], (QUIET_L + 50 + 7 * k + 3.5) * MODULE)
    return img


# --------------------------------------------------------------------------------------------
# Catalogue
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shelf:
    id: str
    label: str
    area: str  # what is there, for the comment in store.toml
    xy: tuple[int, int]


@dataclass
class Item:
    sku: str  # 12 digits (check digit computed) or all 13
    name: str
    aliases: list[str]
    shelf: str
    price: float
    kind: str  # package shape
    brand: str
    lines: list[str]
    main: str  # package colour, '#rrggbb'
    accent: str
    ink: str  # text colour on the package
    logo: str
    logo_col: str
    font: str = "duplex"
    layout: str = "stack"  # stack | band | left
    opts: dict[str, Any] = field(default_factory=dict)


# Map geometry (pixels of map.png).  Aisles 1..9 run front (bottom) to back (top); a shopper
# walking in from the front has the "left side" shelf unit on the smaller-x side.
MAP_W, MAP_H = 1280, 800
UNIT_X0, UNIT_W, WALK_W = 320, 30, 44
UNIT_Y0, UNIT_Y1 = 132, 566
PITCH = UNIT_W + WALK_W


def unit_x(i: int) -> int:
    """Left edge of shelf unit i (0..9); aisle n runs between units n-1 and n."""
    return UNIT_X0 + PITCH * i


def aisle_cx(n: int) -> int:
    return unit_x(n - 1) + UNIT_W + WALK_W // 2


def aisle_side(n: int, side: str) -> tuple[int, int]:
    """A point on the face of the shelf on that side of aisle n."""
    if side == "L":
        return unit_x(n - 1) + UNIT_W - 8, (UNIT_Y0 + UNIT_Y1) // 2
    return unit_x(n) + 8, (UNIT_Y0 + UNIT_Y1) // 2


PHARMACY = (1042, 30, 1250, 600)  # x0, y0, x1, y1
PH_UNITS_Y = (196, 330, 464)  # horizontal shelf units in the pharmacy, top edges, 20 px deep
PRODUCE = (30, 250, 300, 770)


def pharmacy_aisle(n: int) -> tuple[int, int]:
    """The middle of pharmacy aisle n (1 or 2), between two of its shelf units."""
    top = PH_UNITS_Y[n - 1] + 20
    return (PHARMACY[0] + PHARMACY[2]) // 2, (top + PH_UNITS_Y[n]) // 2


DAIRY = (320, 32, 1024, 70)
DESK = (1136, 648, 1244, 722)
ENTRANCE = (1000, 1112)  # gap in the front wall, x range
KIOSK_XY = (ENTRANCE[0] - 30, MAP_H - 64)  # the kiosk: 'you are here' on the map
CHECKOUT_Y = (652, 712)

SHELVES = [
    Shelf("SD", "the service desk, by the entrance", "service desk",
          ((DESK[0] + DESK[2]) // 2, (DESK[1] + DESK[3]) // 2)),
    Shelf("PR1", "Produce, front left", "fruit and vegetable tables", (176, 652)),
    Shelf("PR2", "Produce, the cooler along the left wall", "chilled produce", (46, 452)),
    Shelf("D1", "the dairy cooler on the back wall", "milk, eggs, yogurt, cheese, butter",
          ((DAIRY[0] + DAIRY[2]) // 2, (DAIRY[1] + DAIRY[3]) // 2)),
    Shelf("A1-L", "Aisle 1, left side", "coffee and tea", aisle_side(1, "L")),
    Shelf("A1-R", "Aisle 1, right side", "cereal and breakfast", aisle_side(1, "R")),
    Shelf("A2-L", "Aisle 2, left side", "pasta, sauce and canned goods", aisle_side(2, "L")),
    Shelf("A3-R", "Aisle 3, right side", "snacks and spreads", aisle_side(3, "R")),
    Shelf("A4-L", "Aisle 4, left side", "soda, water and drinks", aisle_side(4, "L")),
    Shelf("A5-L", "Aisle 5, left side", "batteries", aisle_side(5, "L")),
    Shelf("A5-R", "Aisle 5, right side", "food storage and foil", aisle_side(5, "R")),
    Shelf("A6-L", "Aisle 6, left side", "paper towels, toilet paper, tissues", aisle_side(6, "L")),
    Shelf("A6-R", "Aisle 6, right side", "laundry and cleaning", aisle_side(6, "R")),
    Shelf("A7-L", "the freezers in aisle 7, left side", "frozen food", aisle_side(7, "L")),
    Shelf("P1", "Pharmacy, aisle 1", "oral care, sun care, first aid", pharmacy_aisle(1)),
    Shelf("P2", "Pharmacy, aisle 2", "pain relief, allergy, cold and flu", pharmacy_aisle(2)),
    Shelf("H1-L", "Aisle 8, left side", "hardware: light bulbs and electrical", aisle_side(8, "L")),
    Shelf("H2-R", "Aisle 9, right side", "hardware: tape, glue and tools", aisle_side(9, "R")),
]  # fmt: skip

# Aisle signs on the map: number -> (department, what is in it)
AISLES = {
    1: ("grocery", "Coffee, tea, cereal"),
    2: ("grocery", "Pasta, sauce, canned"),
    3: ("grocery", "Snacks, peanut butter"),
    4: ("grocery", "Soda, water, drinks"),
    5: ("household", "Batteries, bags, foil"),
    6: ("household", "Paper, laundry, cleaning"),
    7: ("frozen", "Frozen food"),
    8: ("hardware", "Light bulbs, electrical"),
    9: ("hardware", "Tape, glue, tools"),
}


# fmt: off
def P(  # a one-letter name keeps the catalogue below compact
    sku: str, name: str, shelf: str, price: float, aliases: list[str],
    kind: str, brand: str, lines: list[str], main: str, accent: str, ink: str,
    logo: tuple[str, str], font: str = "duplex", layout: str = "stack", **opts: Any,
) -> Item:
    """One catalogue entry: store data, then how its package looks (see the draw_* functions)."""
    return Item(sku, name, aliases, shelf, price, kind, brand, lines, main, accent, ink,
                logo[0], logo[1], font, layout, opts)


PRODUCTS: list[Item] = [
    # --- service desk ----------------------------------------------------------------------------
    P("006852900020", "USPS Forever stamps, book of 20", "SD", 15.60,
      ["stamps", "postage stamps", "forever stamps"],
      "box", "USPS", ["FOREVER", "20 STAMPS", "U.S. FLAG"],
      "#1f3f8f", "#c8102e", "#ffffff", ("flag", "#ffffff"), "duplex", "band",
      w=252, h=206, d=5, art="stamps"),
    # --- produce ---------------------------------------------------------------------------------
    P("020401100000", "Bananas, per pound", "PR1", 0.59,
      ["bananas", "banana", "bunch of bananas"],
      "produce", "BANANAS", ["PLU 4011", "$0.59 / lb"],
      "#ffffff", "#f2c500", "#222222", ("leaf", "#2e8b3a"), "duplex", "left",
      fruit="banana"),
    P("020413300000", "Gala apples, per pound", "PR1", 1.99,
      ["gala apples", "apples", "red apples"],
      "produce", "GALA APPLES", ["PLU 4133", "$1.99 / lb"],
      "#fff8e8", "#c0262d", "#5a1010", ("heart", "#c0262d"), "triplex", "left",
      fruit="apple"),
    P("020404600000", "Hass avocados, each", "PR1", 1.25,
      ["avocados", "avocado", "hass avocado"],
      "produce", "HASS AVOCADO", ["PLU 4046", "$1.25 each"],
      "#eef6e4", "#3b5323", "#24351a", ("drop", "#4a6b2a"), "simplex", "left",
      fruit="avocado"),
    P("020408700000", "Roma tomatoes, per pound", "PR1", 1.49,
      ["tomatoes", "roma tomatoes", "plum tomatoes"],
      "produce", "ROMA TOMATOES", ["PLU 4087", "$1.49 / lb"],
      "#fdf1ec", "#e03a1e", "#7a1a0a", ("star", "#2f7d32"), "complex", "left",
      fruit="tomato"),
    P("003338366001", "Bolthouse Farms baby carrots, 1 lb bag", "PR2", 1.79,
      ["baby carrots", "carrots", "bag of carrots"],
      "bag", "Bolthouse", ["FARMS", "BABY CARROTS", "1 LB"],
      "#eef3ea", "#1e7a34", "#1e7a34", ("leaf", "#1e7a34"), "italic", "stack",
      window="#ff8a1f", clear=True),
    P("007143000976", "Fresh Express Caesar salad kit", "PR2", 4.49,
      ["salad kit", "caesar salad", "bagged salad"],
      "bag", "FRESH EXPRESS", ["CAESAR", "SALAD KIT"],
      "#2f8f3a", "#f4f7ee", "#ffffff", ("leaf", "#6cbf3c"), "dupitalic", "band",
      window="#b5dd7a", leafy=True),
    # --- dairy -----------------------------------------------------------------------------------
    P("004119004564", "Whole milk, 1 gallon", "D1", 4.29,
      ["milk", "whole milk", "gallon of milk"],
      "jug", "Demo Dairy", ["WHOLE MILK", "VITAMIN D", "1 GALLON"],
      "#f7f7f2", "#d8232a", "#d8232a", ("circle", "#d8232a"), "script", "stack",
      cap="#d8232a", label="#ffffff", art="spots"),
    P("004119004700", "Grade A large eggs, dozen", "D1", 3.49,
      ["eggs", "dozen eggs", "large eggs"],
      "carton", "Demo Farms", ["GRADE A LARGE", "12 EGGS"],
      "#c9bfae", "#5d8a3a", "#3d2f1f", ("sun", "#e8a92a"), "complex", "band",
      art="eggs"),
    P("089470001005", "Chobani Greek yogurt, plain, 32 oz", "D1", 5.99,
      ["greek yogurt", "yogurt", "chobani"],
      "tub", "CHOBANI", ["GREEK YOGURT", "PLAIN  32 OZ"],
      "#ffffff", "#2a5db0", "#1b2a4a", ("wave", "#2a5db0"), "simplex", "stack",
      lid="#2a5db0", art="swirl"),
    P("007207302210", "Tillamook medium cheddar, 8 oz block", "D1", 3.99,
      ["cheddar", "cheddar cheese", "block of cheese"],
      "pouch", "TILLAMOOK", ["MEDIUM CHEDDAR", "8 OZ"],
      "#f5a623", "#1a1a1a", "#ffffff", ("mountain", "#ffffff"), "triplex", "band",
      art="cheese", vbar=True),
    P("003450011100", "Land O Lakes salted butter, 1 lb", "D1", 5.49,
      ["butter", "salted butter", "sticks of butter"],
      "box", "LAND O LAKES", ["SALTED BUTTER", "4 STICKS  1 LB"],
      "#fbf3dc", "#2a6db5", "#2a6db5", ("sun", "#f2b705"), "duplex", "stack",
      w=250, h=196, d=34, art="lake"),
    # --- aisle 1 ---------------------------------------------------------------------------------
    P("002550000371", "Folgers ground coffee", "A1-L", 11.99,
      ["coffee", "ground coffee", "folgers"],
      "canister", "Folgers", ["CLASSIC ROAST", "GROUND COFFEE"],
      "#c8102e", "#f2c14e", "#ffffff", ("ring", "#f2c14e"), "italic", "stack",
      lid="#c8102e", art="beans"),
    P("004100000100", "Lipton black tea, 100 bags", "A1-L", 4.79,
      ["tea", "tea bags", "lipton"],
      "box", "Lipton", ["BLACK TEA", "100 TEA BAGS"],
      "#ffd100", "#d7282f", "#d7282f", ("circle", "#d7282f"), "dupitalic", "left",
      w=256, h=230, d=18, art="leaves"),
    P("005000035000", "Coffee-mate original creamer, 11 oz", "A1-L", 3.99,
      ["creamer", "coffee creamer", "coffee mate"],
      "canister", "Coffee-mate", ["ORIGINAL", "CREAMER 11 OZ"],
      "#ffffff", "#5b2c1c", "#5b2c1c", ("drop", "#1f5fae"), "script", "stack",
      lid="#1f5fae", label="#e9f0fa", art="cup"),
    P("001600027528", "Cheerios cereal, 18 oz", "A1-R", 5.29,
      ["cheerios", "cereal", "oat cereal"],
      "box", "Cheerios", ["WHOLE GRAIN", "OATS", "18 OZ"],
      "#ffcc00", "#1a1a6e", "#1a1a6e", ("ring", "#c98a1b"), "dupitalic", "stack",
      w=240, h=276, d=18, art="rings", vbar=True),
    P("003000000125", "Quaker old fashioned oats, 42 oz", "A1-R", 6.49,
      ["oatmeal", "oats", "rolled oats"],
      "can", "Quaker", ["OLD", "FASHIONED", "OATS 42 OZ"],
      "#1d4f9c", "#d7282f", "#ffffff", ("badge", "#d7282f"), "complex", "stack",
      w=250, lid="#d7282f", vbar=True),
    P("003000001092", "Pearl Milling Company pancake mix, 32 oz", "A1-R", 3.99,
      ["pancake mix", "pancakes", "waffle mix"],
      "box", "PEARL MILLING", ["COMPANY", "PANCAKE &", "WAFFLE MIX"],
      "#7a2e1f", "#f1e3c6", "#f1e3c6", ("shield", "#f1e3c6"), "triplex", "stack",
      w=242, h=270, d=16, art="pancakes"),
    # --- aisle 2 ---------------------------------------------------------------------------------
    P("007680850001", "Barilla spaghetti, 1 lb", "A2-L", 1.99,
      ["spaghetti", "pasta", "noodles"],
      "box", "Barilla", ["SPAGHETTI", "n.5   1 LB"],
      "#1a4ea1", "#e2231a", "#ffffff", ("oval", "#e2231a"), "triplex", "band",
      w=274, h=196, d=14, art="spaghetti"),
    P("074770000120", "Rao's homemade marinara sauce, 24 oz", "A2-L", 8.99,
      ["pasta sauce", "marinara", "tomato sauce"],
      "jar", "RAO'S", ["HOMEMADE", "MARINARA 24 OZ"],
      "#8e1b12", "#1b1b1b", "#1b1b1b", ("crown", "#b08d3c"), "complex", "stack",
      lid="#1b1b1b", label="#f3ead6", art="tomatoes"),
    P("005100000011", "Campbell's condensed tomato soup, 10.75 oz", "A2-L", 1.29,
      ["tomato soup", "soup", "campbells soup"],
      "can", "Campbell's", ["CONDENSED", "TOMATO", "SOUP"],
      "#d01e2a", "#ffffff", "#ffffff", ("circle", "#d8b24a"), "script", "split",
      w=240),
    P("003940001080", "Bush's original baked beans, 28 oz", "A2-L", 2.99,
      ["baked beans", "beans", "bushs beans"],
      "can", "BUSH'S", ["BEST", "ORIGINAL", "BAKED BEANS"],
      "#6b3a1e", "#f2c230", "#f2c230", ("diamond", "#f2c230"), "duplex", "stack",
      w=246, art="beanbowl", vbar=True),
    # --- aisle 3 ---------------------------------------------------------------------------------
    P("002840000012", "Lay's classic potato chips, 8 oz", "A3-R", 4.99,
      ["chips", "potato chips", "lays"],
      "bag", "Lay's", ["CLASSIC", "POTATO CHIPS"],
      "#ffd400", "#e4002b", "#e4002b", ("sun", "#e4002b"), "dupitalic", "stack",
      window="#f6d26b"),
    P("004400003327", "Oreo cookies, family size", "A3-R", 5.49,
      ["oreos", "cookies", "oreo cookies"],
      "pouch", "OREO", ["CHOCOLATE SANDWICH", "COOKIES  FAMILY SIZE"],
      "#0b4aa2", "#1a1a1a", "#ffffff", ("cookie", "#2b1a12"), "duplex", "left",
      art="cookies"),
    P("005150024177", "Jif creamy peanut butter, 16 oz", "A3-R", 3.49,
      ["peanut butter", "jif", "pb"],
      "jar", "Jif", ["CREAMY", "PEANUT BUTTER"],
      "#b87a3c", "#1c6b2e", "#d7282f", ("heart", "#1c6b2e"), "dupitalic", "stack",
      lid="#d7282f", label="#ffffff"),
    P("004400003115", "Ritz crackers, 13.7 oz", "A3-R", 4.29,
      ["crackers", "ritz", "ritz crackers"],
      "box", "RITZ", ["ORIGINAL", "CRACKERS"],
      "#d21f26", "#f2c14e", "#f2c14e", ("oval", "#f2c14e"), "triplex", "left",
      w=256, h=232, d=20, art="crackers"),
    # --- aisle 4 ---------------------------------------------------------------------------------
    P("004900000634", "Coca-Cola, 12 pack of 12 oz cans", "A4-L", 7.99,
      ["coke", "coca cola", "soda"],
      "box", "Coca-Cola", ["12 PACK", "12 FL OZ CANS"],
      "#e41e2b", "#ffffff", "#ffffff", ("swoosh", "#ffffff"), "script", "stack",
      w=276, h=200, d=22, art="ribbon"),
    P("007501310024", "Poland Spring water, 24 pack", "A4-L", 6.49,
      ["water", "bottled water", "case of water"],
      "bottle", "Poland Spring", ["NATURAL", "SPRING WATER", "24 PACK"],
      "#d9eef6", "#1f7a3e", "#1f7a3e", ("mountain", "#1f7a3e"), "complex", "stack",
      cap="#1f7a3e", label="#ffffff", clear=True, neck=30, round=44, art="mountain"),
    P("005200033200", "Gatorade Cool Blue, 28 oz", "A4-L", 1.89,
      ["gatorade", "sports drink", "electrolyte drink"],
      "bottle", "GATORADE", ["COOL BLUE", "28 FL OZ"],
      "#1e6fd9", "#ff6a00", "#ffffff", ("bolt", "#ff6a00"), "dupitalic", "stack",
      cap="#ff6a00", label="#101418", grip=True, neck=60, cap_h=36, art="lightning", vbar=True),
    # --- aisle 5 ---------------------------------------------------------------------------------
    P("0041333424019", "Duracell AA batteries, 8 pack", "A5-L", 9.99,
      ["double a batteries", "AA batteries", "batteries"],
      "blister", "DURACELL", ["AA  ALKALINE  8 PACK"],
      "#141414", "#c47a2c", "#e8a04a", ("band", "#c47a2c"), "duplex", "stack",
      items="aa", count=8, body="#1a1a1a", top="#c47a2c"),
    P("003980091432", "Energizer AAA batteries, 4 pack", "A5-L", 6.49,
      ["triple a batteries", "AAA batteries", "energizer batteries"],
      "blister", "Energizer", ["MAX  AAA  4 PACK"],
      "#c9d3de", "#111111", "#111111", ("bolt", "#7ac143"), "dupitalic", "stack",
      items="aaa", count=4, body="#2b2b2b", top="#7ac143"),
    P("002570001190", "Ziploc gallon storage bags, 38 count", "A5-R", 5.99,
      ["ziploc bags", "zip lock bags", "storage bags"],
      "box", "Ziploc", ["STORAGE BAGS", "GALLON  38 CT"],
      "#1976d2", "#e53935", "#ffffff", ("badge", "#e53935"), "dupitalic", "stack",
      w=262, h=244, d=22, art="zipbag", vbar=True),
    P("001090000750", "Reynolds Wrap aluminum foil, 75 sq ft", "A5-R", 5.49,
      ["aluminum foil", "tin foil", "foil"],
      "box", "Reynolds Wrap", ["ALUMINUM FOIL  75 SQ FT"],
      "#c7ccd3", "#d4145a", "#1b2f6b", ("wave", "#d4145a"), "italic", "band",
      w=290, h=186, d=16, art="grid"),
    # --- aisle 6 ---------------------------------------------------------------------------------
    P("003700074700", "Bounty paper towels, 6 rolls", "A6-L", 12.99,
      ["paper towels", "bounty", "kitchen roll"],
      "rolls", "Bounty", ["PAPER TOWELS", "6 DOUBLE ROLLS"],
      "#f5f8fc", "#1565c0", "#ffffff", ("cloud", "#ffffff"), "dupitalic", "band",
      roll="#ffffff", art="quilt"),
    P("003700030200", "Charmin Ultra Soft toilet paper, 12 rolls", "A6-L", 14.99,
      ["toilet paper", "toilet roll", "bathroom tissue"],
      "rolls", "Charmin", ["ULTRA SOFT", "12 MEGA ROLLS"],
      "#2b63c6", "#ffffff", "#ffffff", ("heart", "#e23b6e"), "script", "band",
      roll="#f4f4f4", rows=3, cols=4, art="hearts", vbar=True),
    P("003600021036", "Kleenex tissues, 3 boxes", "A6-L", 5.99,
      ["tissues", "kleenex", "facial tissues"],
      "box", "Kleenex", ["FACIAL TISSUES", "3 BOXES"],
      "#7ec8c9", "#1f3f9a", "#1f3f9a", ("cloud", "#ffffff"), "simplex", "stack",
      w=244, h=222, d=20, tissue=True, art="bubbles"),
    P("003700077100", "Tide Original liquid laundry detergent, 92 oz", "A6-R", 13.99,
      ["laundry detergent", "tide", "washing liquid"],
      "jug", "TIDE", ["ORIGINAL", "LAUNDRY DETERGENT"],
      "#ff7a00", "#1d3f91", "#1d3f91", ("bullseye", "#ffd100"), "duplex", "stack",
      cap="#ff7a00", label="#ffd100", art="bullseye"),
    P("003700097300", "Dawn Ultra dish soap, 19.4 oz", "A6-R", 3.79,
      ["dish soap", "dawn", "washing up liquid"],
      "bottle", "DAWN", ["ULTRA", "DISH SOAP"],
      "#1c5fd0", "#f7d000", "#ffffff", ("drop", "#f7d000"), "duplex", "stack",
      w=236, cap="#f1f1f1", label="#0d3c8a", neck=22, cap_h=40, round=50, art="drops", vbar=True),
    P("004460032260", "Clorox regular bleach, 121 oz", "A6-R", 5.29,
      ["bleach", "clorox", "chlorine bleach"],
      "jug", "Clorox", ["REGULAR", "BLEACH  121 OZ"],
      "#f7f7f7", "#1e5bb8", "#ffffff", ("diamond", "#ffffff"), "dupitalic", "band",
      cap="#1e5bb8", label="#1e5bb8", art="drops"),
    # --- aisle 7 (freezers) ----------------------------------------------------------------------
    P("007684010025", "Ben & Jerry's Chocolate Fudge Brownie, 1 pint", "A7-L", 5.99,
      ["ice cream", "ben and jerrys", "pint of ice cream"],
      "tub", "BEN & JERRY'S", ["CHOCOLATE", "FUDGE BROWNIE"],
      "#9fd3ef", "#3a2016", "#3a2016", ("cloud", "#ffffff"), "triplex", "stack",
      lid="#5c3a24", tall=True, art="hills"),
    P("007192106000", "DiGiorno rising crust pepperoni pizza", "A7-L", 7.99,
      ["frozen pizza", "pizza", "digiorno"],
      "box", "DiGiorno", ["RISING CRUST", "PEPPERONI PIZZA"],
      "#0e1e3e", "#c8102e", "#ffffff", ("pizza", "#e0a040"), "italic", "left",
      w=268, h=244, d=12, art="pizza", vbar=True),
    P("001450000120", "Birds Eye sweet peas, 10 oz", "A7-L", 1.99,
      ["frozen peas", "peas", "green peas"],
      "bag", "Birds Eye", ["SWEET PEAS", "STEAMFRESH 10 OZ"],
      "#123c7a", "#6dbb3e", "#ffffff", ("peas", "#6dbb3e"), "italic", "stack",
      window="#6dbb3e", peas=True),
    # --- pharmacy aisle 1 ------------------------------------------------------------------------
    P("003500051066", "Colgate Cavity Protection toothpaste, 6 oz", "P1", 2.99,
      ["toothpaste", "colgate", "tooth paste"],
      "tube", "Colgate", ["CAVITY PROTECTION"],
      "#e4002b", "#ffffff", "#ffffff", ("swoosh", "#ffffff"), "duplex", "stack",
      cap="#ffffff", art="tooth", split=True),
    P("006990900231", "Oral-B soft toothbrush, 2 pack", "P1", 4.99,
      ["toothbrush", "toothbrushes", "oral b"],
      "blister", "Oral-B", ["SOFT  2 PACK"],
      "#e8eef8", "#0a58b4", "#0a58b4", ("cross", "#0a58b4"), "dupitalic", "stack",
      items="toothbrush", count=2),
    P("031254742010", "Listerine Cool Mint mouthwash, 1 L", "P1", 7.49,
      ["mouthwash", "listerine", "mouth wash"],
      "bottle", "LISTERINE", ["COOL MINT", "1 LITER"],
      "#1f9bb0", "#ffffff", "#0c3b63", ("wave", "#0c3b63"), "triplex", "stack",
      cap="#ffffff", label="#ffffff", clear=True, neck=70, round=24, art="mint", vbar=True),
    P("007965600220", "Banana Boat sunscreen SPF 50", "P1", 9.99,
      ["sunscreen", "sun cream", "sunblock"],
      "bottle", "Banana Boat", ["SPORT", "SPF 50"],
      "#ffd23f", "#005eb8", "#005eb8", ("sun", "#ff7b00"), "dupitalic", "stack",
      w=244, cap="#005eb8", label="#ffd23f", inverted=True, art="rays"),
    P("038137004330", "Band-Aid adhesive bandages, 30 count", "P1", 4.49,
      ["band aids", "bandages", "plasters"],
      "box", "BAND-AID", ["FLEXIBLE FABRIC", "30 BANDAGES"],
      "#ffffff", "#e2231a", "#e2231a", ("cross", "#e2231a"), "duplex", "band",
      w=246, h=210, d=24, art="bandage"),
    # --- pharmacy aisle 2 ------------------------------------------------------------------------
    P("030573015030", "Advil ibuprofen 200 mg, 100 tablets", "P2", 12.99,
      ["ibuprofen", "advil", "pain killers"],
      "box", "Advil", ["IBUPROFEN 200 MG", "100 TABLETS"],
      "#0b3d91", "#ffcd00", "#ffcd00", ("diamond", "#ffcd00"), "triplex", "stack",
      w=250, h=244, d=18, art="pills", vbar=True),
    P("030045044939", "Tylenol Extra Strength, 100 caplets", "P2", 11.99,
      ["tylenol", "acetaminophen", "paracetamol"],
      "bottle", "TYLENOL", ["EXTRA", "STRENGTH", "100 CAPLETS"],
      "#f4f4f4", "#d8232a", "#ffffff", ("band", "#ffffff"), "duplex", "band",
      cap="#ffffff", label="#d8232a", pill=True, neck=64, art="caplets"),
    P("004110000612", "Claritin 24 hour allergy, 30 tablets", "P2", 26.99,
      ["claritin", "allergy pills", "antihistamine"],
      "box", "Claritin", ["24 HOUR ALLERGY", "30 TABLETS"],
      "#ffffff", "#5b2a86", "#0a5cad", ("swoosh", "#5b2a86"), "dupitalic", "left",
      w=258, h=206, d=14, art="sky"),
    P("030180023040", "Pepto-Bismol, 8 oz", "P2", 6.99,
      ["pepto bismol", "pepto", "upset stomach medicine"],
      "bottle", "PEPTO", ["BISMOL", "5 SYMPTOM", "8 FL OZ"],
      "#f48fb1", "#1b1b6e", "#1b1b6e", ("triangle", "#1b1b6e"), "duplex", "stack",
      cap="#e86aa0", label="#ffe3ef", neck=40, art="pepto"),
    P("032390001431", "Vicks NyQuil cold & flu, 12 oz", "P2", 12.99,
      ["nyquil", "cold medicine", "flu medicine"],
      "bottle", "NyQuil", ["COLD & FLU", "NIGHTTIME", "12 FL OZ"],
      "#2e7d32", "#0a1f5c", "#ffffff", ("moon", "#9fb6ff"), "dupitalic", "stack",
      cap="#0a1f5c", label="#0a1f5c", clear=True, neck=48, art="stars", vbar=True),
    # --- hardware, aisle 8 -----------------------------------------------------------------------
    P("004667745634", "Philips LED light bulbs, 4 pack", "H1-L", 9.97,
      ["light bulbs", "LED bulbs", "lightbulbs"],
      "box", "PHILIPS", ["LED  60W EQUIV", "A19  4 BULBS"],
      "#0b5ed7", "#ffffff", "#ffffff", ("bulb", "#ffe066"), "simplex", "left",
      w=252, h=224, d=16, art="bulbs"),
    P("004321200562", "GE 6 ft extension cord", "H1-L", 7.99,
      ["extension cord", "power cord", "extension lead"],
      "blister", "GE", ["6 FT EXTENSION CORD"],
      "#f2f2f2", "#0a6ebd", "#0a6ebd", ("ring", "#0a6ebd"), "script", "stack",
      items="cord"),
    # --- hardware, aisle 9 -----------------------------------------------------------------------
    P("005242760061", "Gorilla duct tape, 1.88 in x 12 yd", "H2-R", 8.49,
      ["duct tape", "gorilla tape", "heavy duty tape"],
      "taperoll", "GORILLA", ["DUCT TAPE", "1.88 IN x 12 YD"],
      "#2a2a2a", "#f29100", "#ffffff", ("shield", "#f29100"), "duplex", "band",
      art="stripes"),
    P("007900010011", "WD-40 multi-use spray, 8 oz", "H2-R", 5.98,
      ["wd 40", "wd-40", "lubricant spray"],
      "can", "WD-40", ["MULTI-USE", "PRODUCT", "8 OZ"],
      "#1f4fa3", "#ffd200", "#ffd200", ("diamond", "#e2231a"), "duplex", "stack",
      w=244, nozzle=True, vbar=True),
    P("007930042008", "Loctite super glue gel", "H2-R", 5.49,
      ["super glue", "glue", "crazy glue"],
      "blister", "LOCTITE", ["SUPER GLUE GEL"],
      "#ffffff", "#e2231a", "#e2231a", ("triangle", "#e2231a"), "duplex", "stack",
      items="glue"),
    P("007699625251", "Stanley 25 ft tape measure", "H2-R", 14.98,
      ["tape measure", "measuring tape", "stanley tape"],
      "blister", "STANLEY", ["25 FT TAPE MEASURE"],
      "#111111", "#ffd200", "#ffd200", ("chevron", "#ffd200"), "duplex", "stack",
      items="tapemeasure"),
    P("007100000144", "Kingsford Original charcoal, 16 lb", "H2-R", 12.49,
      ["charcoal", "kingsford", "bbq charcoal"],
      "bag", "Kingsford", ["ORIGINAL", "CHARCOAL 16 LB"],
      "#1d5fa8", "#f2c230", "#ffffff", ("flame", "#f26a1b"), "triplex", "band",
      window="#333333", paper=True),
]
# fmt: on


def full_sku(item: Item) -> str:
    return item.sku if len(item.sku) == 13 else item.sku + ean13_check_digit(item.sku)


# --------------------------------------------------------------------------------------------
# Drawing helpers
# --------------------------------------------------------------------------------------------


def bgr(hex_rgb: str) -> tuple[int, int, int]:
    h = hex_rgb.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return (b, g, r)


def scale_col(col: tuple[int, int, int], f: float) -> tuple[int, int, int]:
    return tuple(int(min(255, max(0, c * f))) for c in col)  # type: ignore[return-value]


def mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return tuple(round(x * (1 - t) + y * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def luma(col: tuple[int, int, int]) -> float:
    b, g, r = col
    return 0.299 * r + 0.587 * g + 0.114 * b


def new_mask() -> np.ndarray:
    return np.zeros((IMG, IMG), np.uint8)


def paint(
    img: np.ndarray,
    mask: np.ndarray,
    col: tuple[int, int, int],
    shade: str = "flat",
    strength: float = 1.0,
    outline: bool = True,
) -> None:
    """Composite `col` through `mask` (0..255) with a lighting profile."""
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    w, h = x1 - x0, y1 - y0
    tx = np.linspace(0, 1, w, dtype=np.float32)[None, :]
    ty = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    if shade == "cyl":
        prof = 0.74 + 0.36 * np.exp(-(((tx - 0.32) / 0.26) ** 2)) + 0.0 * ty
    elif shade == "v":
        prof = 1.06 - 0.14 * ty + 0.0 * tx
    else:
        prof = 1.04 - 0.06 * tx - 0.05 * ty
    prof = 1 + (prof - 1) * strength
    layer = np.clip(np.array(col, np.float32)[None, None, :] * prof[..., None], 0, 255)
    a = (mask[y0:y1, x0:x1].astype(np.float32) / 255)[..., None]
    region = img[y0:y1, x0:x1].astype(np.float32)
    img[y0:y1, x0:x1] = np.clip(region * (1 - a) + layer * a, 0, 255).astype(np.uint8)
    if outline:
        contours, _ = cv2.findContours(
            (mask > 127).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE
        )
        cv2.drawContours(img, contours, -1, scale_col(col, 0.6), 1, AA)


def rrect(mask: np.ndarray, x0: int, y0: int, x1: int, y1: int, r: int, val: int = 255) -> None:
    r = max(1, min(r, (x1 - x0) // 2, (y1 - y0) // 2))
    cv2.rectangle(mask, (x0 + r, y0), (x1 - r, y1), val, -1)
    cv2.rectangle(mask, (x0, y0 + r), (x1, y1 - r), val, -1)
    for cx, cy in ((x0 + r, y0 + r), (x1 - r, y0 + r), (x0 + r, y1 - r), (x1 - r, y1 - r)):
        cv2.circle(mask, (cx, cy), r, val, -1, AA)


def poly(mask: np.ndarray, pts: list[tuple[float, float]], val: int = 255) -> None:
    cv2.fillPoly(mask, [np.array(pts, np.float32).round().astype(np.int32)], val, AA)


def shadow(img: np.ndarray, cx: int, cy: int, ax: int, ay: int, depth: float = 0.7) -> None:
    m = new_mask().astype(np.float32)
    cv2.ellipse(m, (cx, cy), (ax, ay), 0, 0, 360, 1.0, -1)
    m = cv2.GaussianBlur(m, (0, 0), 7)
    img[:] = (img.astype(np.float32) * (1 - (1 - depth) * m[..., None])).astype(np.uint8)


def background(rng: np.random.Generator) -> np.ndarray:
    """A light backdrop of a random pale hue over a slightly darker table top."""
    hsv = np.uint8([[[rng.integers(0, 180), rng.integers(14, 46), rng.integers(236, 250)]]])
    base = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0].astype(np.float32)
    horizon = int(rng.integers(226, 268))
    y = np.arange(IMG, dtype=np.float32)[:, None, None]
    wall = base * (1.02 - 0.06 * y / IMG)
    table = base * rng.uniform(0.84, 0.92) * (0.96 + 0.05 * (y - horizon) / IMG)
    img = np.where(y < horizon, wall, table) * np.ones((1, IMG, 1), np.float32)
    # soft, low-frequency variation (cheap to compress)
    blotch = cv2.resize(
        rng.normal(0, 5, (5, 5)).astype(np.float32), (IMG, IMG), interpolation=cv2.INTER_CUBIC
    )
    img += blotch[..., None]
    return np.clip(img, 0, 255).astype(np.uint8)


def put_fit(
    img: np.ndarray,
    text: str,
    box: tuple[int, int, int, int],
    col: tuple[int, int, int],
    font: int,
    max_scale: float,
    thick: int = 1,
    align: str = "center",
) -> int:
    """Draw `text` as large as fits in box (x0, y0, x1, y1), at most max_scale; returns width."""
    x0, y0, x1, y1 = box
    scale = max_scale
    while True:
        t = max(1, round(thick * min(1.0, scale / max_scale + 0.2)))
        (tw, th), _base = cv2.getTextSize(text, font, scale, t)
        if (tw <= x1 - x0 and th <= y1 - y0) or scale < 0.25:
            break
        scale *= 0.94
    x = x0 + (x1 - x0 - tw) // 2 if align == "center" else x0
    y = y0 + (y1 - y0 + th) // 2
    cv2.putText(img, text, (x, y), font, scale, col, t, AA)
    return tw


def draw_logo(
    img: np.ndarray,
    kind: str,
    cx: int,
    cy: int,
    r: int,
    col: tuple[int, int, int],
    back: tuple[int, int, int],
) -> None:
    """A small brand mark of radius ~r."""
    dark = scale_col(col, 0.55)
    if kind == "circle":
        cv2.circle(img, (cx, cy), r, col, -1, AA)
        cv2.circle(img, (cx, cy), r // 2, back, 2, AA)
    elif kind == "ring":
        cv2.circle(img, (cx, cy), r - 2, col, max(3, r // 3), AA)
    elif kind == "star":
        pts = []
        for k in range(10):
            rr = r if k % 2 == 0 else r * 0.45
            a = -np.pi / 2 + k * np.pi / 5
            pts.append((cx + rr * np.cos(a), cy + rr * np.sin(a)))
        cv2.fillPoly(img, [np.array(pts).round().astype(np.int32)], col, AA)
    elif kind == "diamond":
        pts = [(cx, cy - r), (cx + int(r * 0.8), cy), (cx, cy + r), (cx - int(r * 0.8), cy)]
        cv2.fillPoly(img, [np.array(pts, np.int32)], col, AA)
        cv2.polylines(img, [np.array(pts, np.int32)], True, dark, 1, AA)
    elif kind == "triangle":
        pts = [(cx, cy - r), (cx + r, cy + int(r * 0.8)), (cx - r, cy + int(r * 0.8))]
        cv2.fillPoly(img, [np.array(pts, np.int32)], col, AA)
    elif kind == "swoosh":
        cv2.ellipse(img, (cx, cy + r // 3), (int(r * 1.3), r // 2), -12, 180, 360, col, 4, AA)
        cv2.ellipse(img, (cx, cy + r // 2), (int(r * 1.1), r // 3), -12, 180, 360, col, 2, AA)
    elif kind == "badge":
        cv2.rectangle(img, (cx - r, cy - r + 3), (cx + r, cy + r - 3), col, -1, AA)
        cv2.rectangle(img, (cx - r + 4, cy - r + 7), (cx + r - 4, cy + r - 7), back, 2, AA)
    elif kind == "shield":
        pts = [(cx - r, cy - r), (cx + r, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)]
        cv2.fillPoly(img, [np.array(pts, np.int32)], col, AA)
        cv2.polylines(img, [np.array(pts, np.int32)], True, dark, 2, AA)
    elif kind == "chevron":
        for k in range(2):
            pts = [
                (cx - r, cy - r // 2 + k * r // 2 * 2 - r // 2),
                (cx, cy + k * r - r // 2),
                (cx + r, cy - r // 2 + k * r - r // 2),
            ]
            cv2.polylines(img, [np.array(pts, np.int32)], False, col, 4, AA)
    elif kind == "sun":
        for k in range(12):
            a = k * np.pi / 6
            cv2.line(img, (cx, cy), (int(cx + r * np.cos(a)), int(cy + r * np.sin(a))), col, 2, AA)
        cv2.circle(img, (cx, cy), int(r * 0.6), col, -1, AA)
    elif kind == "wave":
        for k in range(3):
            pts = [
                (cx - r + i, cy - r // 2 + k * r // 2 + int(4 * np.sin(i / 5.0)))
                for i in range(2 * r)
            ]
            cv2.polylines(img, [np.array(pts, np.int32)], False, col, 3, AA)
    elif kind == "leaf":
        cv2.ellipse(img, (cx, cy), (r, r // 2), -35, 0, 360, col, -1, AA)
        cv2.line(
            img,
            (cx - int(r * 0.8), cy + int(r * 0.55)),
            (cx + int(r * 0.8), cy - int(r * 0.55)),
            back,
            1,
            AA,
        )
    elif kind == "cross":
        t = max(3, r // 3)
        cv2.rectangle(img, (cx - t, cy - r), (cx + t, cy + r), col, -1)
        cv2.rectangle(img, (cx - r, cy - t), (cx + r, cy + t), col, -1)
    elif kind == "heart":
        cv2.circle(img, (cx - r // 2, cy - r // 4), r // 2 + 1, col, -1, AA)
        cv2.circle(img, (cx + r // 2, cy - r // 4), r // 2 + 1, col, -1, AA)
        pts = [(cx - r, cy - r // 8), (cx + r, cy - r // 8), (cx, cy + r)]
        cv2.fillPoly(img, [np.array(pts, np.int32)], col, AA)
    elif kind == "drop":
        cv2.circle(img, (cx, cy + r // 4), int(r * 0.65), col, -1, AA)
        pts = [(cx - int(r * 0.6), cy + r // 8), (cx, cy - r), (cx + int(r * 0.6), cy + r // 8)]
        cv2.fillPoly(img, [np.array(pts, np.int32)], col, AA)
    elif kind == "bolt":
        pts = [
            (cx + r // 3, cy - r),
            (cx - r // 2, cy + r // 8),
            (cx, cy + r // 8),
            (cx - r // 3, cy + r),
            (cx + r // 2, cy - r // 8),
            (cx, cy - r // 8),
        ]
        cv2.fillPoly(img, [np.array(pts, np.int32)], col, AA)
    elif kind == "oval":
        cv2.ellipse(img, (cx, cy), (int(r * 1.3), int(r * 0.7)), 0, 0, 360, col, -1, AA)
        cv2.ellipse(img, (cx, cy), (int(r * 1.1), int(r * 0.5)), 0, 0, 360, back, 1, AA)
    elif kind == "bulb":
        cv2.circle(img, (cx, cy - r // 4), int(r * 0.7), col, -1, AA)
        cv2.rectangle(img, (cx - r // 3, cy + r // 3), (cx + r // 3, cy + r), (170, 170, 170), -1)
        for k in range(3):
            yy = cy + r // 3 + 3 + 5 * k
            cv2.line(img, (cx - r // 3, yy), (cx + r // 3, yy), (110, 110, 110), 1)
    elif kind == "flag":
        cv2.rectangle(
            img, (cx - r, cy - r // 2 - 3), (cx + r, cy + r // 2 + 3), (255, 255, 255), -1
        )
        for k in range(4):
            yy = cy - r // 2 - 3 + k * (r + 6) // 4
            cv2.rectangle(img, (cx - r, yy), (cx + r, yy + 2), bgr("#c8102e"), -1)
        cv2.rectangle(img, (cx - r, cy - r // 2 - 3), (cx - 2, cy), bgr("#1f3f8f"), -1)
    elif kind == "bullseye":
        for k, c in enumerate((col, bgr("#e8400c"), col)):
            cv2.circle(img, (cx, cy), int(r * (1 - 0.3 * k)), c, -1, AA)
    elif kind == "cloud":
        for dx, dy, rr in ((-r // 2, 2, r // 2), (0, -r // 4, int(r * 0.6)), (r // 2, 2, r // 2)):
            cv2.circle(img, (cx + dx, cy + dy), rr, col, -1, AA)
        cv2.rectangle(img, (cx - r // 2, cy), (cx + r // 2, cy + r // 2), col, -1)
    elif kind == "crown":
        pts = [
            (cx - r, cy + r // 2),
            (cx - r, cy - r // 2),
            (cx - r // 2, cy),
            (cx, cy - r),
            (cx + r // 2, cy),
            (cx + r, cy - r // 2),
            (cx + r, cy + r // 2),
        ]
        cv2.fillPoly(img, [np.array(pts, np.int32)], col, AA)
    elif kind == "mountain":
        pts = [
            (cx - r, cy + r // 2),
            (cx - r // 3, cy - r),
            (cx + r // 6, cy - r // 6),
            (cx + r // 2, cy - r // 2),
            (cx + r, cy + r // 2),
        ]
        cv2.fillPoly(img, [np.array(pts, np.int32)], col, AA)
        cv2.polylines(img, [np.array(pts, np.int32)], True, dark, 1, AA)
    elif kind == "cookie":
        cv2.circle(img, (cx, cy), r, col, -1, AA)
        cv2.circle(img, (cx, cy), int(r * 0.75), scale_col(col, 1.5), 1, AA)
        for k in range(8):
            a = k * np.pi / 4
            cv2.circle(
                img,
                (int(cx + r * 0.5 * np.cos(a)), int(cy + r * 0.5 * np.sin(a))),
                2,
                scale_col(col, 1.8),
                -1,
                AA,
            )
    elif kind == "pizza":
        cv2.circle(img, (cx, cy), r, col, -1, AA)
        cv2.circle(img, (cx, cy), int(r * 0.82), bgr("#d9482b"), -1, AA)
        for dx, dy in ((-5, -6), (6, -3), (-2, 6), (7, 7), (-8, 3)):
            cv2.circle(
                img, (cx + dx * r // 14, cy + dy * r // 14), max(2, r // 6), bgr("#8e1b12"), -1, AA
            )
    elif kind == "peas":
        for k in range(5):
            cv2.circle(img, (cx - r + 4 + k * (2 * r - 8) // 4, cy), max(3, r // 4), col, -1, AA)
    elif kind == "moon":
        cv2.circle(img, (cx, cy), r, col, -1, AA)
        cv2.circle(img, (cx + r // 2, cy - r // 3), int(r * 0.85), back, -1, AA)
    elif kind == "flame":
        pts = [
            (cx, cy - r),
            (cx + r // 2, cy),
            (cx + int(r * 0.6), cy + r // 2),
            (cx, cy + r),
            (cx - int(r * 0.6), cy + r // 2),
            (cx - r // 2, cy),
        ]
        cv2.fillPoly(img, [np.array(pts, np.int32)], col, AA)
        cv2.circle(img, (cx, cy + r // 2), r // 3, bgr("#ffd200"), -1, AA)
    elif kind == "band":
        cv2.rectangle(
            img, (cx - int(r * 1.4), cy - r // 2), (cx + int(r * 1.4), cy + r // 2), col, -1
        )
    else:
        raise ValueError(f"unknown logo {kind}")


# --------------------------------------------------------------------------------------------
# Package shapes.  Each returns (text_box, barcode) where text_box = (x0, y0, x1, y1) and
# barcode = ("h" | "v", x, y), the top-left corner of the barcode block.
# --------------------------------------------------------------------------------------------

Box = tuple[int, int, int, int]
Bar = tuple[str, int, int]


def bar_h_bottom(x0: int, x1: int, y1: int) -> Bar:
    """A horizontal barcode centred between x0 and x1 with its bottom edge at y1."""
    return ("h", (x0 + x1 - BLOCK_W) // 2, y1 - BLOCK_H)


def bar_v_right(x1: int, y0: int, y1: int) -> Bar:
    """A vertical barcode with its right edge at x1, centred between y0 and y1."""
    return ("v", x1 - BLOCK_H, (y0 + y1 - BLOCK_W) // 2)


def draw_box(img: np.ndarray, it: Item, rng: np.random.Generator) -> tuple[Box, Bar]:
    w, h, d = it.opts.get("w", 250), it.opts.get("h", 220), it.opts.get("d", 16)
    main = bgr(it.main)
    x0 = (IMG - w - d) // 2
    y0 = (IMG - h + d) // 2 + 2
    x1, y1 = x0 + w, y0 + h
    shadow(img, (x0 + x1 + d) // 2, y1 - 2, (w + d) // 2 + 6, 12)
    m = new_mask()
    poly(m, [(x0, y0), (x0 + d, y0 - d), (x1 + d, y0 - d), (x1, y0)])
    paint(img, m, scale_col(main, 1.15) if luma(main) < 200 else scale_col(main, 0.93), "flat")
    m = new_mask()
    poly(m, [(x1, y0), (x1 + d, y0 - d), (x1 + d, y1 - d), (x1, y1)])
    paint(img, m, scale_col(main, 0.68), "v")
    m = new_mask()
    cv2.rectangle(m, (x0, y0), (x1, y1), 255, -1)
    paint(img, m, main, "flat")
    if it.opts.get("tissue"):
        tm = new_mask()
        cx = x0 + w // 2 + d // 2
        cv2.ellipse(tm, (cx, y0 - d // 2 - 4), (40, 12), 0, 0, 360, 255, -1, AA)
        poly(tm, [(cx - 30, y0 - d // 2), (cx + 4, y0 - d - 26), (cx + 34, y0 - d // 2)])
        paint(img, tm, (250, 250, 250), "v")
    if it.opts.get("stripe", True) and it.layout != "band":
        cv2.rectangle(img, (x0 + 1, y0 + 1), (x0 + 9, y1 - 1), bgr(it.accent), -1)
    if it.opts.get("vbar"):
        bar = bar_v_right(x1 - 8, y0, y1)
        return (x0 + 14, y0 + 8, bar[1] - 6, y1 - 8), bar
    return (x0 + 14, y0 + 6, x1 - 6, y1 - BLOCK_H - 12), bar_h_bottom(x0 + 4, x1, y1 - 6)


def draw_carton(img: np.ndarray, it: Item, rng: np.random.Generator) -> tuple[Box, Bar]:
    main = bgr(it.main)
    x0, x1, y0, y1 = 18, 302, 84, 300
    shadow(img, 160, y1 - 2, 150, 12)
    m = new_mask()
    cv2.rectangle(m, (x0, y0), (x1, y1), 255, -1)
    for k in range(6):  # egg domes on the lid
        cx = x0 + 24 + k * (x1 - x0 - 48) // 5
        cv2.ellipse(m, (cx, y0 + 2), (22, 30), 0, 180, 360, 255, -1, AA)
    paint(img, m, main, "flat")
    for k in range(6):
        cx = x0 + 24 + k * (x1 - x0 - 48) // 5
        cv2.ellipse(img, (cx - 6, y0 - 14), (6, 10), 0, 0, 360, scale_col(main, 1.12), -1, AA)
    cv2.line(img, (x0, y0 + 8), (x1, y0 + 8), scale_col(main, 0.8), 2, AA)
    label = new_mask()
    cv2.rectangle(label, (x0 + 10, y0 + 14), (x1 - 10, y1 - 6), 255, -1)
    paint(img, label, (250, 250, 246), "flat", outline=False)
    return (x0 + 14, y0 + 16, x1 - 14, y1 - BLOCK_H - 12), bar_h_bottom(x0, x1, y1 - 8)


def draw_bottle(img: np.ndarray, it: Item, rng: np.random.Generator) -> tuple[Box, Bar]:
    w = it.opts.get("w", 248)
    main, cap = bgr(it.main), bgr(it.opts.get("cap", "#ffffff"))
    label = bgr(it.opts.get("label", "#ffffff"))
    inverted = it.opts.get("inverted", False)
    neck = it.opts.get("neck", 52)
    cx = IMG // 2
    bx0, bx1 = cx - w // 2, cx + w // 2
    shadow(img, cx + 10, 314, w // 2 + 12, 8)
    r = it.opts.get("round", 30)
    if not inverted:
        top, body_top, bottom = 4, 58, 316
        m = new_mask()
        ch = it.opts.get("cap_h", 30)
        rrect(m, cx - neck // 2 - 8, top, cx + neck // 2 + 8, top + ch, 6)
        paint(img, m, cap, "cyl")
        for k in range(7):
            xx = cx - neck // 2 - 4 + k * (neck + 8) // 6
            cv2.line(img, (xx, top + 4), (xx, top + ch - 4), scale_col(cap, 0.8), 1, AA)
        m = new_mask()
        cv2.rectangle(m, (cx - neck // 2, top + ch), (cx + neck // 2, body_top), 255, -1)
        shoulder = [
            (cx - neck // 2, top + ch + 6),
            (bx0 + r // 2, body_top + 6),
            (bx1 - r // 2, body_top + 6),
            (cx + neck // 2, top + ch + 6),
        ]
        poly(m, shoulder)
        rrect(m, bx0, body_top, bx1, bottom, r)
        if it.opts.get("grip"):  # a waisted sports bottle
            for yy in (150, 200):
                cv2.ellipse(m, (bx0 - 4, yy), (12, 16), 0, 0, 360, 0, -1, AA)
                cv2.ellipse(m, (bx1 + 4, yy), (12, 16), 0, 0, 360, 0, -1, AA)
    else:  # squeeze bottle standing on its cap
        top, bottom = 4, 276
        m = new_mask()
        rrect(m, cx - 46, bottom - 14, cx + 46, 314, 10)
        paint(img, m, cap, "cyl")
        m = new_mask()
        poly(
            m,
            [
                (bx0 + 10, top),
                (bx1 - 10, top),
                (bx1, top + 40),
                (bx1 - 10, bottom - 30),
                (cx + 50, bottom + 2),
                (cx - 50, bottom + 2),
                (bx0 + 10, bottom - 30),
                (bx0, top + 40),
            ],
        )
        rrect(m, bx0 + 8, top, bx1 - 8, top + 24, 10)
        body_top = top
    paint(img, m, main, "cyl")
    if it.opts.get("clear"):  # liquid highlight
        cv2.line(
            img, (bx0 + 14, body_top + 30), (bx0 + 14, bottom - 40), scale_col(main, 1.35), 3, AA
        )
    ly0, ly1 = (16, 262) if inverted else (74, 308)
    lm = new_mask()
    cv2.rectangle(lm, (bx0 + 8, ly0), (bx1 - 8, ly1), 255, -1)
    paint(img, lm, label, "cyl", 0.5, outline=False)
    if it.opts.get("vbar"):
        bar = bar_v_right(bx1 - 14, ly0, ly1)
        return (bx0 + 14, ly0 + 6, bar[1] - 6, ly1 - 6), bar
    return (bx0 + 12, ly0 + 4, bx1 - 12, ly1 - BLOCK_H - 8), bar_h_bottom(bx0, bx1, ly1 - 4)


def draw_jug(img: np.ndarray, it: Item, rng: np.random.Generator) -> tuple[Box, Bar]:
    main, cap = bgr(it.main), bgr(it.opts.get("cap", "#ffffff"))
    label = bgr(it.opts.get("label", "#ffffff"))
    x0, x1, y0, y1 = 22, 298, 70, 314
    shadow(img, 160, 314, 150, 8)
    m = new_mask()
    rrect(m, x0, y0 + 14, x1, y1, 26)
    poly(m, [(x0 + 4, y0 + 30), (x0 + 60, 34), (x1 - 96, 34), (x1 - 4, y0 + 30)])
    paint(img, m, main, "cyl", 0.8)
    hm = new_mask()  # handle
    cv2.ellipse(hm, (x1 - 58, 62), (50, 34), 0, 0, 360, 255, 16, AA)
    paint(img, hm, scale_col(main, 0.95), "cyl", 0.6)
    cm = new_mask()
    rrect(cm, x0 + 46, 6, x0 + 104, 38, 6)
    paint(img, cm, cap, "cyl")
    lm = new_mask()
    ly0 = 104
    rrect(lm, x0 + 10, ly0, x1 - 10, y1 - 8, 12)
    paint(img, lm, label, "cyl", 0.5)
    return (x0 + 16, ly0 + 4, x1 - 16, y1 - 14 - BLOCK_H), bar_h_bottom(x0, x1, y1 - 12)


def draw_can(img: np.ndarray, it: Item, rng: np.random.Generator) -> tuple[Box, Bar]:
    w = it.opts.get("w", 246)
    main, acc = bgr(it.main), bgr(it.accent)
    cx = IMG // 2
    x0, x1 = cx - w // 2, cx + w // 2
    y0, y1 = (58 if it.opts.get("nozzle") else 26), 300
    ry = max(8, w // 16)
    shadow(img, cx, y1 + 4, w // 2 + 10, 8)
    m = new_mask()
    cv2.rectangle(m, (x0, y0), (x1, y1), 255, -1)
    cv2.ellipse(m, (cx, y1), (w // 2, ry), 0, 0, 180, 255, -1, AA)
    paint(img, m, main, "cyl")
    if it.opts.get("nozzle"):
        nm = new_mask()
        poly(nm, [(x0 + 16, y0), (cx - 30, y0 - 30), (cx + 30, y0 - 30), (x1 - 16, y0)])
        paint(img, nm, (200, 200, 205), "cyl")
        nm = new_mask()
        rrect(nm, cx - 12, y0 - 50, cx + 12, y0 - 26, 4)
        cv2.rectangle(nm, (cx + 10, y0 - 44), (cx + 56, y0 - 40), 255, -1)
        paint(img, nm, bgr("#e2231a"), "flat")
    elif "lid" in it.opts:
        lm = new_mask()
        cv2.rectangle(lm, (x0 - 2, y0 - 4), (x1 + 2, y0 + 16), 255, -1)
        cv2.ellipse(lm, (cx, y0 - 4), (w // 2 + 2, ry), 0, 0, 360, 255, -1, AA)
        paint(img, lm, bgr(it.opts["lid"]), "cyl")
    else:
        tm = new_mask()
        cv2.ellipse(tm, (cx, y0), (w // 2, ry), 0, 0, 360, 255, -1, AA)
        paint(img, tm, (205, 208, 212), "cyl")
        cv2.ellipse(img, (cx, y0), (w // 2 - 8, ry - 4), 0, 0, 360, (150, 152, 156), 1, AA)
        for yy in (y0 + 12, y1 - 10):  # rims
            cv2.line(img, (x0, yy), (x1, yy), scale_col(main, 0.7), 1, AA)
    if it.layout == "split":  # two-tone label, e.g. a soup can
        split = y1 - 14 - BLOCK_H - 10
        sm = new_mask()
        cv2.rectangle(sm, (x0, split), (x1, y1 - 12), 255, -1)
        paint(img, sm, acc, "cyl", outline=False)
        cv2.rectangle(img, (x0, split - 6), (x1, split), bgr("#d8b24a"), -1)
    if it.opts.get("vbar"):
        bar = bar_v_right(x1 - 12, y0 + 16, y1 - 10)
        return (x0 + 12, y0 + 20, bar[1] - 6, y1 - 14), bar
    bottom = y1 - BLOCK_H - 20 if it.layout != "split" else y1 - 14 - BLOCK_H - 18
    return (x0 + 12, y0 + 18, x1 - 12, bottom), bar_h_bottom(x0, x1, y1 - 14)


def draw_canister(img: np.ndarray, it: Item, rng: np.random.Generator) -> tuple[Box, Bar]:
    main, acc = bgr(it.main), bgr(it.accent)
    x0, x1, y0, y1 = 24, 296, 46, 302
    shadow(img, 160, y1 + 4, 140, 9)
    m = new_mask()
    cv2.rectangle(m, (x0, y0), (x1, y1), 255, -1)
    cv2.ellipse(m, (160, y1), (136, 12), 0, 0, 180, 255, -1, AA)
    paint(img, m, main, "cyl")
    lm = new_mask()
    cv2.rectangle(lm, (x0 - 3, y0 - 22), (x1 + 3, y0 + 6), 255, -1)
    cv2.ellipse(lm, (160, y0 - 22), (139, 14), 0, 0, 360, 255, -1, AA)
    paint(img, lm, scale_col(bgr(it.opts.get("lid", it.main)), 0.8), "cyl")
    cv2.line(img, (x0, y0 + 12), (x1, y0 + 12), acc, 3, AA)
    return (x0 + 10, y0 + 18, x1 - 10, y1 - BLOCK_H - 20), bar_h_bottom(x0, x1, y1 - 12)


def draw_bag(img: np.ndarray, it: Item, rng: np.random.Generator) -> tuple[Box, Bar]:
    main = bgr(it.main)
    x0, x1, y0, y1 = 30, 290, 8, 312
    shadow(img, 160, y1, 128, 8)
    m = new_mask()
    pts: list[tuple[float, float]] = []
    for k in range(19):  # crimped top
        pts.append((x0 + 6 + k * (x1 - x0 - 12) / 18, y0 + (0 if k % 2 else 8)))
    for t in np.linspace(0, 1, 12):  # right side, slight bulge
        pts.append((x1 + 8 * np.sin(np.pi * t), y0 + 16 + t * (y1 - y0 - 32)))
    for k in range(19):  # crimped bottom
        pts.append((x1 - 6 - k * (x1 - x0 - 12) / 18, y1 - (0 if k % 2 else 8)))
    for t in np.linspace(1, 0, 12):
        pts.append((x0 - 8 * np.sin(np.pi * t), y0 + 16 + t * (y1 - y0 - 32)))
    poly(m, pts)
    paint(img, m, main, "cyl", 0.7)
    for yy in (y0 + 14, y1 - 14):
        cv2.line(img, (x0 + 4, yy), (x1 - 4, yy), scale_col(main, 0.75), 1, AA)
    if it.opts.get("paper"):
        cv2.rectangle(img, (x0 + 2, y0 + 18), (x1 - 2, y0 + 28), bgr(it.accent), -1)
    bar = bar_h_bottom(x0, x1, y1 - 18)
    if "window" in it.opts:  # a clear window / product photo above the barcode
        wy, wry = 148, 26
        wm = new_mask()
        cv2.ellipse(wm, (160, wy), (104, wry), 0, 0, 360, 255, -1, AA)
        paint(img, wm, bgr(it.opts["window"]), "v", outline=False)
        r = np.random.default_rng(zlib.crc32(it.name.encode()))
        base = bgr(it.opts["window"])
        for _ in range(30):
            a, rr = r.uniform(0, 2 * np.pi), r.uniform(0, 1) ** 0.5
            px, py = int(160 + 92 * rr * np.cos(a)), int(wy + (wry - 6) * rr * np.sin(a))
            col = scale_col(base, r.uniform(0.72, 1.15))
            if it.opts.get("clear"):  # baby carrots
                cv2.ellipse(img, (px, py), (13, 4), r.uniform(-30, 30), 0, 360, col, -1, AA)
            elif it.opts.get("peas"):
                cv2.circle(img, (px, py), 5, col, -1, AA)
            elif it.opts.get("paper"):  # briquettes
                cv2.ellipse(img, (px, py), (7, 5), 0, 0, 360, (40, 40, 40), -1, AA)
            elif it.opts.get("leafy"):
                cv2.ellipse(img, (px, py), (11, 6), r.uniform(0, 180), 0, 360, col, -1, AA)
            else:  # chips
                cv2.ellipse(img, (px, py), (16, 9), r.uniform(0, 180), 0, 360, col, -1, AA)
        return (x0 + 8, y0 + 30, x1 - 8, wy - wry - 4), bar
    return (x0 + 8, y0 + 30, x1 - 8, bar[2] - 8), bar


def draw_tube(img: np.ndarray, it: Item, rng: np.random.Generator) -> tuple[Box, Bar]:
    main, cap = bgr(it.main), bgr(it.opts.get("cap", "#ffffff"))
    y_mid, hh = 164, 104
    shadow(img, 165, y_mid + hh + 8, 150, 10)
    cm = new_mask()
    rrect(cm, 6, y_mid - 40, 40, y_mid + 40, 10)
    paint(img, cm, cap, "v")
    for k in range(5):
        cv2.line(
            img, (10 + k * 6, y_mid - 36), (10 + k * 6, y_mid + 36), scale_col(cap, 0.8), 1, AA
        )
    m = new_mask()
    poly(m, [(36, y_mid - hh), (292, y_mid - hh + 8), (292, y_mid + hh - 8), (36, y_mid + hh)])
    paint(img, m, main, "v", 1.4)
    km = new_mask()
    cv2.rectangle(km, (290, y_mid - hh + 4), (314, y_mid + hh - 4), 255, -1)
    paint(img, km, scale_col(main, 0.85), "flat")
    for k in range(8):
        cv2.line(
            img,
            (292 + k * 3, y_mid - hh + 6),
            (292 + k * 3, y_mid + hh - 6),
            scale_col(main, 0.6),
            1,
        )
    cv2.rectangle(img, (40, y_mid - hh + 4), (288, y_mid - hh + 10), bgr(it.accent), -1)
    bar = bar_h_bottom(40, 290, y_mid + hh - 10)
    if it.opts.get("split"):  # two-tone tube: white lower half
        sm = new_mask()
        poly(sm, [(38, bar[2] - 8), (290, bar[2] - 8), (290, y_mid + hh - 8), (38, y_mid + hh)])
        paint(img, sm, (250, 250, 250), "v", outline=False)
        cv2.line(img, (38, bar[2] - 8), (290, bar[2] - 8), bgr("#1f3f9a"), 3, AA)
    return (46, y_mid - hh + 14, 284, bar[2] - 6), bar


def draw_blister(img: np.ndarray, it: Item, rng: np.random.Generator) -> tuple[Box, Bar]:
    main, acc = bgr(it.main), bgr(it.accent)
    x0, x1, y0, y1 = 36, 284, 6, 314
    m = new_mask()
    rrect(m, x0, y0, x1, y1, 14)
    paint(img, m, main, "flat")
    cv2.ellipse(img, (160, y0 + 13), (18, 5), 0, 0, 360, (236, 236, 236), -1, AA)  # hang slot
    cv2.ellipse(img, (160, y0 + 13), (18, 5), 0, 0, 360, scale_col(main, 0.6), 1, AA)
    bar = bar_h_bottom(x0, x1, y1 - 8)
    # the bubble with the goods
    bx0, by0, bx1, by1 = x0 + 14, 96, x1 - 14, bar[2] - 6
    kind = it.opts["items"]
    bm = new_mask()
    rrect(bm, bx0, by0, bx1, by1, 14)
    paint(img, bm, mix(main, (255, 255, 255), 0.55), "flat", outline=True)
    cy = (by0 + by1) // 2
    if kind in ("aa", "aaa"):
        n = it.opts["count"]
        bw = 18 if kind == "aa" else 14
        gap = (bx1 - bx0 - n * bw) // (n + 1)
        for k in range(n):
            cx0 = bx0 + gap + k * (bw + gap)
            bm = new_mask()
            rrect(bm, cx0, by0 + 12, cx0 + bw, by1 - 8, 4)
            paint(img, bm, bgr(it.opts["body"]), "cyl")
            tm = new_mask()
            rrect(tm, cx0, by0 + 12, cx0 + bw, by0 + 12 + (by1 - by0) // 3, 4)
            paint(img, tm, bgr(it.opts["top"]), "cyl")
            cv2.rectangle(
                img, (cx0 + bw // 3, by0 + 7), (cx0 + bw - bw // 3, by0 + 12), (200, 200, 200), -1
            )
    elif kind == "toothbrush":
        for k, col in enumerate((bgr("#0a58b4"), bgr("#e2231a"))):
            yy = by0 + 22 + k * 30
            hm = new_mask()
            rrect(hm, bx0 + 60, yy - 8, bx1 - 12, yy + 8, 8)
            paint(img, hm, col, "v")
            hd = new_mask()
            rrect(hd, bx0 + 12, yy - 8, bx0 + 62, yy + 8, 6)
            paint(img, hd, (245, 245, 245), "v")
            for xx in range(bx0 + 16, bx0 + 60, 5):
                cv2.line(img, (xx, yy - 12), (xx, yy - 6), bgr("#7fc8f0"), 2)
    elif kind == "tapemeasure":
        tm = new_mask()
        rrect(tm, 116, by0 + 4, 204, by1 - 4, 18)
        paint(img, tm, bgr("#ffd200"), "flat")
        cv2.circle(img, (160, cy), 24, (30, 30, 30), -1, AA)
        cv2.circle(img, (160, cy), 8, (160, 160, 160), -1, AA)
        cv2.rectangle(img, (200, by1 - 24), (228, by1 - 14), (40, 40, 40), -1)
    elif kind == "glue":
        gm = new_mask()
        poly(
            gm,
            [
                (90, cy - 20),
                (190, cy - 20),
                (226, cy - 6),
                (226, cy + 6),
                (190, cy + 20),
                (90, cy + 20),
            ],
        )
        paint(img, gm, (225, 225, 228), "v")
        cm = new_mask()
        rrect(cm, 226, cy - 12, 252, cy + 12, 4)
        paint(img, cm, acc, "v")
        cv2.rectangle(img, (96, cy - 10), (184, cy + 10), acc, -1)
    elif kind == "cord":
        for k in range(5):
            cv2.ellipse(
                img, (150, cy), (66 - k * 3, 26 - k * 2), 6 * k, 0, 360, bgr("#f07c00"), 5, AA
            )
        pm = new_mask()
        rrect(pm, 212, by0 + 10, 240, by1 - 10, 5)
        paint(img, pm, bgr("#f07c00"), "flat")
        for xx in (220, 230):
            cv2.rectangle(img, (xx, by0 + 4), (xx + 3, by0 + 12), (180, 180, 180), -1)
    return (x0 + 10, y0 + 24, x1 - 10, by0 - 4), bar


def draw_rolls(img: np.ndarray, it: Item, rng: np.random.Generator) -> tuple[Box, Bar]:
    main, acc = bgr(it.main), bgr(it.accent)
    roll = bgr(it.opts.get("roll", "#ffffff"))
    rows, cols = it.opts.get("rows", 2), it.opts.get("cols", 3)
    x0, x1, y0, y1 = 14, 306, 10, 312
    shadow(img, 160, y1, 146, 8)
    m = new_mask()
    rrect(m, x0, y0, x1, y1, 20)
    paint(img, m, mix(main, roll, 0.4), "flat")
    cw = (x1 - x0 - 8) // cols
    rh = (y1 - y0 - 8) // rows
    for r_ in range(rows):
        for c in range(cols):
            rm = new_mask()
            rrect(
                rm,
                x0 + 4 + c * cw + 2,
                y0 + 4 + r_ * rh + 2,
                x0 + 4 + (c + 1) * cw - 2,
                y0 + 4 + (r_ + 1) * rh - 2,
                12,
            )
            paint(img, rm, mix(roll, main, 0.18), "cyl", 0.8)
    band = new_mask()  # the printed wrap
    if it.opts.get("vbar"):  # a tall band down the left, the barcode on the right
        bar = bar_v_right(x1 - 12, y0, y1)
        cv2.rectangle(band, (x0 + 10, y0 + 14), (bar[1] - 10, y1 - 14), 255, -1)
        paint(img, band, acc if luma(main) > 200 else main, "flat", outline=False)
        return (x0 + 16, y0 + 20, bar[1] - 16, y1 - 20), bar
    cv2.rectangle(band, (x0, 30), (x1, 178), 255, -1)
    paint(img, band, acc if luma(main) > 200 else main, "flat", outline=False)
    return (x0 + 10, 34, x1 - 10, 174), bar_h_bottom(x0, x1, y1 - 14)


def draw_tub(img: np.ndarray, it: Item, rng: np.random.Generator) -> tuple[Box, Bar]:
    main, lid = bgr(it.main), bgr(it.opts.get("lid", "#ffffff"))
    tall = it.opts.get("tall", False)
    top, bot = (46, 308) if tall else (76, 308)
    tw, bw = (262, 246) if tall else (292, 250)
    shadow(img, 160, bot, bw // 2 + 8, 8)
    m = new_mask()
    poly(
        m, [(160 - tw // 2, top), (160 + tw // 2, top), (160 + bw // 2, bot), (160 - bw // 2, bot)]
    )
    cv2.ellipse(m, (160, bot), (bw // 2, 8), 0, 0, 180, 255, -1, AA)
    paint(img, m, main, "cyl", 0.7)
    lm = new_mask()
    cv2.rectangle(lm, (160 - tw // 2 - 4, top - 26), (160 + tw // 2 + 4, top + 6), 255, -1)
    cv2.ellipse(lm, (160, top - 26), (tw // 2 + 4, 14), 0, 0, 360, 255, -1, AA)
    paint(img, lm, lid, "cyl")
    cv2.line(img, (160 - tw // 2, top + 8), (160 + tw // 2, top + 8), scale_col(lid, 1.2), 2, AA)
    bar = bar_h_bottom(40, 280, bot - 10)
    return (160 - tw // 2 + 16, top + 14, 160 + tw // 2 - 16, bar[2] - 6), bar


def draw_jar(img: np.ndarray, it: Item, rng: np.random.Generator) -> tuple[Box, Bar]:
    main, lid, label = (
        bgr(it.main),
        bgr(it.opts.get("lid", "#ffffff")),
        bgr(it.opts.get("label", "#ffffff")),
    )
    x0, x1, y0, y1 = 22, 298, 52, 312
    shadow(img, 160, y1, 140, 8)
    m = new_mask()
    rrect(m, x0, y0, x1, y1, 34)
    paint(img, m, main, "cyl")
    lm = new_mask()
    rrect(lm, 54, 6, 266, 56, 8)
    paint(img, lm, lid, "cyl")
    for k in range(17):
        xx = 58 + k * 13
        cv2.line(img, (xx, 10), (xx, 52), scale_col(lid, 0.8), 1, AA)
    lb = new_mask()
    cv2.rectangle(lb, (x0 + 4, 74), (x1 - 4, y1 - 10), 255, -1)
    paint(img, lb, label, "cyl", 0.5, outline=False)
    bar = bar_h_bottom(x0, x1, y1 - 14)
    return (x0 + 12, 78, x1 - 12, bar[2] - 6), bar


def draw_pouch(img: np.ndarray, it: Item, rng: np.random.Generator) -> tuple[Box, Bar]:
    main, acc = bgr(it.main), bgr(it.accent)
    x0, x1, y0, y1 = 12, 308, 24, 300
    shadow(img, 160, y1, 150, 10)
    m = new_mask()
    rrect(m, x0, y0, x1, y1, 18)
    paint(img, m, main, "v", 1.3)
    for yy in (y0 + 8, y1 - 8):  # seals
        cv2.line(img, (x0 + 10, yy), (x1 - 10, yy), scale_col(main, 0.8), 2, AA)
    pm = new_mask()
    if it.opts.get("vbar"):
        bar = bar_v_right(x1 - 14, y0, y1)
        cv2.rectangle(pm, (x0 + 14, y0 + 18), (bar[1] - 10, y1 - 18), 255, -1)
        paint(img, pm, acc, "flat", outline=False)
        return (x0 + 18, y0 + 22, bar[1] - 14, y1 - 22), bar
    bar = bar_h_bottom(x0, x1, y1 - 16)
    cv2.rectangle(pm, (x0 + 14, y0 + 18), (x1 - 14, bar[2] - 8), 255, -1)
    paint(img, pm, acc, "flat", outline=False)
    return (x0 + 18, y0 + 20, x1 - 18, bar[2] - 10), bar


def draw_taperoll(img: np.ndarray, it: Item, rng: np.random.Generator) -> tuple[Box, Bar]:
    main, acc = bgr(it.main), bgr(it.accent)
    cx, cy = 160, 150
    shadow(img, cx, 300, 130, 10)
    m = new_mask()
    cv2.circle(m, (cx, cy), 146, 255, -1, AA)
    paint(img, m, (150, 152, 156), "v", 1.2)
    for rr in range(70, 146, 7):
        cv2.circle(img, (cx, cy), rr, (132, 134, 138), 1, AA)
    cv2.circle(img, (cx, cy), 70, (190, 160, 120), -1, AA)  # cardboard core
    cv2.circle(img, (cx, cy), 60, bgr("#f4efe6"), -1, AA)
    band = new_mask()  # paper sleeve around the roll
    cv2.rectangle(band, (4, 118), (316, 314), 255, -1)
    paint(img, band, main, "flat")
    cv2.rectangle(img, (4, 118), (316, 126), acc, -1)
    bar = bar_h_bottom(4, 316, 308)
    return (12, 130, 308, bar[2] - 6), bar


def draw_produce(img: np.ndarray, it: Item, rng: np.random.Generator) -> tuple[Box, Bar]:
    fruit = it.opts["fruit"]
    r = np.random.default_rng(zlib.crc32(fruit.encode()))
    shadow(img, 160, 150, 140, 14)
    if fruit == "banana":
        for k in range(5):
            cx, cy = 150 + k * 6, 150 - k * 12
            m = new_mask()
            cv2.ellipse(m, (cx, cy), (116, 80 - k * 4), -8 + k * 3, 200, 335, 255, 24, AA)
            paint(img, m, mix(bgr("#f7d633"), bgr("#c9b02a"), k * 0.12), "v", 1.5)
        for k in range(5):
            cv2.circle(img, (252 + k * 3, 48 + k * 6), 5, bgr("#3a2a10"), -1, AA)
        cv2.rectangle(img, (36, 74), (58, 90), bgr("#6b4f1d"), -1)
    elif fruit == "apple":
        for cx, cy in ((84, 110), (160, 104), (236, 110), (122, 56), (198, 56)):
            m = new_mask()
            cv2.circle(m, (cx, cy), 40, 255, -1, AA)
            paint(img, m, mix(bgr("#c0262d"), bgr("#e6a23c"), r.uniform(0.05, 0.35)), "cyl", 1.2)
            cv2.ellipse(img, (cx - 13, cy - 14), (9, 5), -30, 0, 360, bgr("#f3c2a0"), -1, AA)
            cv2.line(img, (cx, cy - 36), (cx + 4, cy - 48), bgr("#5a3a1a"), 3, AA)
    elif fruit == "avocado":
        for cx, cy, ang in (
            (86, 108, -20),
            (160, 98, 10),
            (234, 108, 25),
            (124, 50, 80),
            (198, 48, 95),
        ):
            m = new_mask()
            cv2.ellipse(m, (cx, cy), (30, 40), ang, 0, 360, 255, -1, AA)
            cv2.circle(
                m,
                (cx + int(12 * np.sin(np.radians(ang))), cy - int(20 * np.cos(np.radians(ang)))),
                23,
                255,
                -1,
                AA,
            )
            paint(img, m, mix(bgr("#2f3f1c"), bgr("#4d6b26"), r.uniform(0, 0.6)), "cyl", 1.0)
            for _ in range(14):
                px = cx + int(r.uniform(-20, 20))
                py = cy + int(r.uniform(-26, 26))
                cv2.circle(img, (px, py), 1, bgr("#6a8a3a"), -1)
    elif fruit == "tomato":
        for cx, cy, ang in (
            (84, 112, 20),
            (158, 104, -10),
            (232, 114, 15),
            (118, 54, -30),
            (196, 52, 35),
        ):
            m = new_mask()
            cv2.ellipse(m, (cx, cy), (30, 40), ang, 0, 360, 255, -1, AA)
            paint(img, m, mix(bgr("#e03a1e"), bgr("#b3201a"), r.uniform(0, 0.5)), "cyl", 1.2)
            tip = (cx + int(36 * np.sin(np.radians(ang))), cy - int(36 * np.cos(np.radians(ang))))
            draw_logo(img, "star", tip[0], tip[1], 10, bgr("#2f7d32"), (0, 0, 0))
    # the scale label in front
    lx0, lx1, ly0, ly1 = 30, 290, 146, 314
    m = new_mask()
    rrect(m, lx0, ly0, lx1, ly1, 6)
    paint(img, m, bgr(it.main), "flat")
    cv2.rectangle(img, (lx0 + 1, ly0), (lx1 - 1, ly0 + 6), bgr(it.accent), -1)
    bar = bar_h_bottom(lx0, lx1, ly1 - 4)
    return (lx0 + 8, ly0 + 9, lx1 - 8, bar[2] - 2), bar


SHAPES = {
    "box": draw_box, "carton": draw_carton, "bottle": draw_bottle, "jug": draw_jug,
    "can": draw_can, "canister": draw_canister, "bag": draw_bag, "tube": draw_tube,
    "blister": draw_blister, "rolls": draw_rolls, "tub": draw_tub, "jar": draw_jar,
    "pouch": draw_pouch, "taperoll": draw_taperoll, "produce": draw_produce,
}  # fmt: skip


def draw_art(img: np.ndarray, kind: str, box: Box, it: Item) -> None:
    """A small product illustration inside box (the "photo" on a real package), clipped to it."""
    x0, y0, x1, y1 = box
    scratch = img.copy()
    _draw_art(scratch, kind, box, it)
    img[y0:y1, x0:x1] = scratch[y0:y1, x0:x1]


def _draw_art(img: np.ndarray, kind: str, box: Box, it: Item) -> None:
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    cx, cy, s = (x0 + x1) // 2, (y0 + y1) // 2, min(x1 - x0, y1 - y0)
    r = np.random.default_rng(zlib.crc32(kind.encode()))
    C = bgr

    def ell(
        c: tuple[int, int], ax: tuple[int, int], ang: float, col: tuple[int, int, int], th: int = -1
    ) -> None:
        cv2.ellipse(img, c, (max(1, ax[0]), max(1, ax[1])), ang, 0, 360, col, th, AA)

    if kind == "beans":
        for _ in range(7):
            px, py = int(x0 + w * r.uniform(0.15, 0.85)), int(y0 + h * r.uniform(0.2, 0.8))
            a = r.uniform(0, 180)
            ell((px, py), (s // 7, s // 10), a, C("#4a2a14"))
            ell((px, py), (s // 9, 1), a, C("#1e0f06"), 1)
    elif kind == "cup":
        cv2.rectangle(img, (cx - s // 4, cy - s // 8), (cx + s // 5, cy + s // 3), C("#ffffff"), -1)
        ell((cx - s // 40, cy - s // 8), (s // 4 - 2, s // 14), 0, C("#5b2c1c"))
        cv2.ellipse(
            img, (cx + s // 5, cy + s // 10), (s // 9, s // 8), 0, -90, 90, C("#ffffff"), 4, AA
        )
        for k in range(3):
            xx = cx - s // 6 + k * s // 8
            pts = [(xx + int(4 * np.sin(t / 4)), cy - s // 6 - t) for t in range(0, s // 4)]
            cv2.polylines(img, [np.array(pts, np.int32)], False, C("#d9d9d9"), 2, AA)
    elif kind == "rings":
        for _ in range(16):
            px, py = int(x0 + w * r.uniform(0.08, 0.92)), int(y0 + h * r.uniform(0.12, 0.88))
            cv2.circle(img, (px, py), max(4, s // 12), C("#c98a1b"), max(2, s // 24), AA)
    elif kind == "pancakes":
        for k in range(4):
            ell((cx, cy + s // 4 - k * s // 9), (int(s * 0.42), s // 9), 0, C("#d9a25a"))
            ell((cx, cy + s // 4 - k * s // 9), (int(s * 0.42), s // 9), 0, C("#a8702c"), 1)
        ell((cx, cy - s // 8), (s // 3, s // 12), 0, C("#8a3b12"))
        cv2.rectangle(
            img, (cx - s // 12, cy - s // 4), (cx + s // 12, cy - s // 6), C("#ffe08a"), -1
        )
    elif kind == "spaghetti":
        for k in range(22):
            xa = int(x0 + w * 0.1 + k * w * 0.8 / 22)
            cv2.line(img, (xa, y1 - 4), (xa + int(w * 0.12), y0 + 4), C("#f2d16b"), 2, AA)
        cv2.rectangle(
            img, (x0 + int(w * 0.1), cy - 4), (x0 + int(w * 0.95), cy + 4), C("#e2231a"), -1
        )
    elif kind == "tomatoes":
        for k, (dx, dy) in enumerate(((-0.22, 0.08), (0.18, 0.0), (-0.02, -0.18))):
            px, py = int(cx + dx * w), int(cy + dy * h)
            cv2.circle(img, (px, py), s // 4, C("#d7301f") if k != 1 else C("#b81d13"), -1, AA)
            draw_logo(img, "star", px, py - s // 5, max(4, s // 10), C("#2f7d32"), (0, 0, 0))
    elif kind == "beanbowl":
        ell((cx, cy), (int(w * 0.42), int(h * 0.32)), 0, C("#ffffff"))
        for _ in range(40):
            px, py = int(cx + r.uniform(-0.34, 0.34) * w), int(cy + r.uniform(-0.22, 0.22) * h)
            ell((px, py), (5, 3), r.uniform(0, 180), C("#8a4a1c"))
    elif kind == "cookies":
        for k in range(3):
            px = int(x0 + w * (0.22 + 0.28 * k))
            cv2.circle(img, (px, cy), s // 4, C("#2b1a12"), -1, AA)
            cv2.circle(img, (px, cy), s // 4 - 4, C("#4a3226"), 1, AA)
            cv2.circle(img, (px, cy), s // 8, C("#4a3226"), 1, AA)
    elif kind == "crackers":
        for k in range(3):
            px = int(x0 + w * (0.22 + 0.28 * k))
            for j in range(16):
                a = j * np.pi / 8
                cv2.circle(
                    img,
                    (int(px + s * 0.22 * np.cos(a)), int(cy + s * 0.22 * np.sin(a))),
                    max(2, s // 28),
                    C("#d99a3a"),
                    -1,
                    AA,
                )
            cv2.circle(img, (px, cy), int(s * 0.22), C("#e8b04e"), -1, AA)
            for dx, dy in ((-5, -5), (5, -5), (0, 0), (-5, 5), (5, 5)):
                cv2.circle(img, (px + dx, cy + dy), 1, C("#9a6020"), -1)
    elif kind == "ribbon":
        pts = [(x0 + t, int(cy + h * 0.25 * np.sin(t / w * 2 * np.pi))) for t in range(0, w)]
        cv2.polylines(img, [np.array(pts, np.int32)], False, C("#ffffff"), max(4, s // 10), AA)
        pts2 = [(x, y + s // 6) for x, y in pts]
        cv2.polylines(img, [np.array(pts2, np.int32)], False, C("#ffffff"), 2, AA)
    elif kind == "zipbag":
        cv2.rectangle(img, (cx - s // 3, cy - s // 3), (cx + s // 3, cy + s // 3), C("#e9f4ff"), -1)
        cv2.rectangle(img, (cx - s // 3, cy - s // 3), (cx + s // 3, cy + s // 3), C("#7fa7d9"), 2)
        cv2.line(img, (cx - s // 3, cy - s // 4), (cx + s // 3, cy - s // 4), C("#e53935"), 3)
        cv2.line(
            img, (cx - s // 3, cy - s // 4 + 5), (cx + s // 3, cy - s // 4 + 5), C("#1976d2"), 3
        )
    elif kind == "leaves":
        for _ in range(9):
            px, py = int(x0 + w * r.uniform(0.15, 0.85)), int(y0 + h * r.uniform(0.2, 0.8))
            ell(
                (px, py),
                (s // 5, s // 11),
                r.uniform(0, 180),
                scale_col(C("#3f9b3a"), r.uniform(0.8, 1.25)),
            )
    elif kind in ("pills", "caplets"):
        for k in range(5):
            px, py = int(x0 + w * (0.15 + 0.17 * k)), int(cy + (k % 2) * s // 5 - s // 10)
            if kind == "pills":
                ell((px, py), (s // 8, s // 11), 20, C("#b5561d"))
                ell((px - 2, py - 2), (s // 16, s // 24), 20, C("#d98a4d"))
            else:
                ell((px, py), (s // 7, s // 14), -30, C("#ffffff"))
                cv2.ellipse(img, (px, py), (s // 7, s // 14), -30, 90, 270, C("#d8232a"), -1, AA)
    elif kind == "sky":
        cv2.rectangle(img, (x0, y0), (x1, y1), C("#cfe8ff"), -1)
        for k in range(3):
            draw_logo(
                img,
                "cloud",
                int(x0 + w * (0.2 + 0.3 * k)),
                int(cy + (k % 2) * 10 - 5),
                s // 5,
                C("#ffffff"),
                C("#cfe8ff"),
            )
    elif kind == "bulbs":
        for k in range(4):
            px = int(x0 + w * (0.14 + 0.24 * k))
            cv2.circle(img, (px, cy - s // 10), s // 7, C("#fff3b0"), -1, AA)
            cv2.circle(img, (px, cy - s // 10), s // 7, C("#d9b300"), 1, AA)
            cv2.rectangle(
                img, (px - s // 16, cy + s // 20), (px + s // 16, cy + s // 5), C("#bdbdbd"), -1
            )
    elif kind == "stamps":
        for k in range(6):
            px, py = x0 + 6 + (k % 3) * (w - 12) // 3, y0 + 4 + (k // 3) * (h - 8) // 2
            sw, sh = (w - 12) // 3 - 6, (h - 8) // 2 - 6
            cv2.rectangle(img, (px, py), (px + sw, py + sh), C("#ffffff"), -1)
            draw_logo(
                img,
                "flag",
                px + sw // 2,
                py + sh // 2,
                max(6, min(sw, sh) // 2 - 2),
                C("#ffffff"),
                C("#ffffff"),
            )
    elif kind == "rays":
        for k in range(16):
            a = k * np.pi / 8
            cv2.line(
                img,
                (cx, cy),
                (int(cx + s * 0.5 * np.cos(a)), int(cy + s * 0.5 * np.sin(a))),
                C("#ff9f1c"),
                3,
                AA,
            )
        cv2.circle(img, (cx, cy), s // 4, C("#ff7b00"), -1, AA)
    elif kind == "bandage":
        for k in range(2):
            c = (cx, cy - s // 8 + k * s // 4)
            cv2.ellipse(img, c, (int(s * 0.42), s // 9), -15 + k * 30, 0, 360, C("#e8b48a"), -1, AA)
            cv2.ellipse(img, c, (s // 8, s // 12), -15 + k * 30, 0, 360, C("#f7ddc6"), -1, AA)
    elif kind == "pizza":
        cv2.circle(img, (cx, cy), int(s * 0.45), C("#e0a040"), -1, AA)
        cv2.circle(img, (cx, cy), int(s * 0.38), C("#d9482b"), -1, AA)
        for _ in range(9):
            a, rr = r.uniform(0, 2 * np.pi), r.uniform(0.1, 0.3) * s
            cv2.circle(
                img,
                (int(cx + rr * np.cos(a)), int(cy + rr * np.sin(a))),
                max(3, s // 12),
                C("#8e1b12"),
                -1,
                AA,
            )
    elif kind == "hills":
        cv2.ellipse(img, (cx - w // 5, y1), (w // 2, h // 2), 0, 180, 360, C("#5cb85c"), -1, AA)
        cv2.ellipse(img, (cx + w // 4, y1), (w // 2, h // 3), 0, 180, 360, C("#3f9b3a"), -1, AA)
        for k in range(2):
            draw_logo(
                img,
                "cloud",
                int(x0 + w * (0.25 + 0.45 * k)),
                y0 + h // 4,
                s // 6,
                C("#ffffff"),
                C("#ffffff"),
            )
    elif kind == "sticks":
        for k in range(4):
            py = y0 + 4 + k * (h - 8) // 4
            cv2.rectangle(img, (x0 + 8, py), (x1 - 8, py + (h - 8) // 4 - 4), C("#f7e08a"), -1)
            cv2.rectangle(img, (x0 + 8, py), (x1 - 8, py + (h - 8) // 4 - 4), C("#c9a93a"), 1)
    elif kind == "lake":
        cv2.rectangle(img, (x0, y0), (x1, y1), C("#bfe3ff"), -1)
        cv2.circle(img, (x1 - s // 4, y0 + s // 4), s // 6, C("#ffd23f"), -1, AA)
        cv2.rectangle(img, (x0, cy + h // 8), (x1, y1), C("#2a6db5"), -1)
        cv2.ellipse(
            img, (x0 + w // 4, cy + h // 8), (w // 3, h // 5), 0, 180, 360, C("#3f9b3a"), -1, AA
        )
    elif kind == "eggs":
        for k in range(3):
            px = int(x0 + w * (0.2 + 0.3 * k))
            ell((px, cy), (s // 6, s // 4), 0, C("#d9a875") if k != 1 else C("#f2e6d0"))
    elif kind == "cheese":
        pts = [
            (x0 + w // 8, y1 - h // 6),
            (x1 - w // 8, y1 - h // 6),
            (x1 - w // 8, cy - h // 8),
            (x0 + w // 3, y0 + h // 6),
        ]
        cv2.fillPoly(img, [np.array(pts, np.int32)], C("#ffb21e"), AA)
        for _ in range(5):
            cv2.circle(
                img,
                (int(cx + r.uniform(-0.25, 0.3) * w), int(cy + r.uniform(-0.05, 0.2) * h)),
                max(3, s // 14),
                C("#e08a00"),
                -1,
                AA,
            )
    elif kind == "tooth":
        cv2.ellipse(img, (cx, cy - s // 8), (s // 4, s // 5), 0, 180, 360, C("#ffffff"), -1, AA)
        cv2.rectangle(
            img, (cx - s // 4, cy - s // 8), (cx + s // 4, cy + s // 12), C("#ffffff"), -1
        )
        cv2.ellipse(
            img, (cx - s // 7, cy + s // 12), (s // 10, s // 4), 0, 0, 180, C("#ffffff"), -1, AA
        )
        cv2.ellipse(
            img, (cx + s // 7, cy + s // 12), (s // 10, s // 4), 0, 0, 180, C("#ffffff"), -1, AA
        )
    elif kind == "bubbles":
        for _ in range(12):
            px, py = int(x0 + w * r.uniform(0.1, 0.9)), int(y0 + h * r.uniform(0.15, 0.85))
            cv2.circle(img, (px, py), int(r.uniform(0.05, 0.14) * s), C("#ffffff"), 2, AA)
    elif kind == "stars":
        for _ in range(9):
            px, py = int(x0 + w * r.uniform(0.1, 0.9)), int(y0 + h * r.uniform(0.15, 0.85))
            draw_logo(
                img, "star", px, py, max(4, int(r.uniform(0.06, 0.12) * s)), C("#ffe066"), (0, 0, 0)
            )
    elif kind == "mountain":
        pts = [(x0, y1), (x0 + w // 3, y0 + h // 6), (cx, cy), (x1 - w // 4, y0), (x1, y1)]
        cv2.fillPoly(img, [np.array(pts, np.int32)], C("#7fb3d5"), AA)
        cv2.fillPoly(
            img,
            [
                np.array(
                    [(x1 - w // 4, y0), (x1 - w // 4 - 12, y0 + 14), (x1 - w // 4 + 12, y0 + 14)],
                    np.int32,
                )
            ],
            C("#ffffff"),
            AA,
        )
        for k in range(5):
            px = x0 + 8 + k * (w - 16) // 5
            cv2.fillPoly(
                img,
                [np.array([(px, y1), (px + 9, y1 - 28), (px + 18, y1)], np.int32)],
                C("#1f7a3e"),
                AA,
            )
    elif kind == "quilt":
        for yy in range(y0, y1, 14):
            for xx in range(x0 + ((yy - y0) // 14 % 2) * 7, x1, 14):
                cv2.circle(img, (xx, yy), 2, C("#9ec5f0"), -1, AA)
    elif kind == "hearts":
        for _ in range(7):
            px, py = int(x0 + w * r.uniform(0.1, 0.9)), int(y0 + h * r.uniform(0.2, 0.8))
            draw_logo(
                img,
                "heart",
                px,
                py,
                max(5, int(r.uniform(0.08, 0.14) * s)),
                C("#e23b6e"),
                (0, 0, 0),
            )
    elif kind == "pods":
        for k in range(2):
            c = (cx, cy - s // 8 + k * s // 4)
            ell(c, (int(s * 0.42), s // 8), -10 + 20 * k, C("#4c9a2a"))
            for j in range(5):
                cv2.circle(
                    img, (c[0] - s // 4 + j * s // 8, c[1]), max(3, s // 14), C("#8fd14f"), -1, AA
                )
    elif kind == "carrots":
        for k in range(4):
            px = int(x0 + w * (0.15 + 0.23 * k))
            pts = [(px - s // 12, cy - s // 4), (px + s // 12, cy - s // 4), (px, cy + s // 3)]
            cv2.fillPoly(img, [np.array(pts, np.int32)], C("#ff7f11"), AA)
            cv2.line(img, (px, cy - s // 4), (px - 4, cy - s // 3 - 4), C("#2e8b3a"), 3, AA)
            cv2.line(img, (px, cy - s // 4), (px + 5, cy - s // 3 - 2), C("#2e8b3a"), 3, AA)
    elif kind == "swirl":
        pts = [
            (int(cx + t * 0.9 * np.cos(t / 5)), int(cy + t * 0.5 * np.sin(t / 5)))
            for t in range(0, s // 2)
        ]
        cv2.polylines(img, [np.array(pts, np.int32)], False, C("#2a5db0"), 3, AA)
    elif kind == "spots":
        for _ in range(6):
            px, py = int(x0 + w * r.uniform(0.1, 0.9)), int(y0 + h * r.uniform(0.2, 0.8))
            ell(
                (px, py),
                (int(r.uniform(0.08, 0.16) * s), int(r.uniform(0.06, 0.12) * s)),
                r.uniform(0, 180),
                C("#1a1a1a"),
            )
    elif kind == "flames":
        for k in range(3):
            draw_logo(
                img, "flame", int(x0 + w * (0.2 + 0.3 * k)), cy, s // 3, C("#f26a1b"), (0, 0, 0)
            )
    elif kind == "stripes":
        for k in range(-h, w, 16):
            cv2.line(img, (x0 + k, y1), (x0 + k + h, y0), C("#f29100"), 5, AA)
    elif kind == "drops":
        for k in range(3):
            draw_logo(
                img,
                "drop",
                int(x0 + w * (0.2 + 0.3 * k)),
                cy + (k % 2) * 8,
                s // 4,
                C("#f7d000"),
                (0, 0, 0),
            )
    elif kind == "mint":
        for k in range(3):
            ell((int(x0 + w * (0.25 + 0.25 * k)), cy), (s // 5, s // 9), 40 - 40 * k, C("#7fe0c4"))
    elif kind == "chevrons":
        for k in range(4):
            xx = x0 + 10 + k * (w - 20) // 4
            pts = [(xx, y0 + 6), (xx + s // 5, cy), (xx, y1 - 6)]
            cv2.polylines(img, [np.array(pts, np.int32)], False, C("#ffd200"), 5, AA)
    elif kind == "grid":
        for xx in range(x0, x1, 12):
            cv2.line(img, (xx, y0), (xx, y1), C("#ffffff"), 1)
        for yy in range(y0, y1, 12):
            cv2.line(img, (x0, yy), (x1, yy), C("#ffffff"), 1)
    elif kind == "lightning":
        draw_logo(img, "bolt", cx, cy, int(s * 0.45), C("#ff6a00"), (0, 0, 0))
    elif kind == "bullseye":
        draw_logo(img, "bullseye", cx, cy, int(s * 0.45), C("#ffd100"), (0, 0, 0))
    elif kind == "pepto":
        for k in range(4):
            cv2.ellipse(
                img,
                (cx, cy),
                (int(s * (0.45 - 0.1 * k)), int(s * (0.25 - 0.05 * k))),
                0,
                0,
                360,
                C("#e86aa0") if k % 2 == 0 else C("#ffffff"),
                -1,
                AA,
            )
    else:
        raise ValueError(f"unknown art {kind}")


def draw_text(img: np.ndarray, it: Item, box: Box) -> None:
    """Logo, brand and product lines inside `box`, shrinking to fit."""
    x0, y0, x1, y1 = box
    h = y1 - y0
    ink, logo_col = bgr(it.ink), bgr(it.logo_col)
    back = tuple(int(v) for v in img[min(IMG - 1, y0 + 2), min(IMG - 1, (x0 + x1) // 2)])
    font = FONT[it.font]
    layout = it.layout
    if layout in ("stack", "split") and h < 110:
        layout = "left"
    if layout == "left":  # logo to the left of the brand
        rowh = min(52, max(26, int(h * 0.45)))
        r = min(20, rowh // 2 - 2)
        draw_logo(img, it.logo, x0 + r + 2, y0 + rowh // 2, r, logo_col, back)
        put_fit(
            img, it.brand, (x0 + 2 * r + 10, y0 + 2, x1, y0 + rowh - 2), ink, font, 1.5, 2, "left"
        )
        top = y0 + rowh + 2
    elif layout == "band":  # brand in an accent band
        rowh = min(48, max(28, int(h * 0.42)))
        acc = bgr(it.accent)
        cv2.rectangle(img, (x0 - 2, y0), (x1 + 2, y0 + rowh), acc, -1)
        band_ink = (255, 255, 255) if luma(acc) < 150 else (20, 20, 20)
        r = min(16, rowh // 2 - 4)
        lc = logo_col if abs(luma(logo_col) - luma(acc)) > 40 else band_ink
        draw_logo(img, it.logo, x1 - r - 6, y0 + rowh // 2, r, lc, acc)
        put_fit(
            img, it.brand, (x0 + 4, y0 + 4, x1 - 2 * r - 14, y0 + rowh - 4), band_ink, font, 1.5, 2
        )
        top = y0 + rowh + 4
    else:  # stack: logo, brand, lines, centred
        r = max(9, min(18, h // 10))
        draw_logo(img, it.logo, (x0 + x1) // 2, y0 + r + 2, r, logo_col, back)
        rowh = min(46, int((h - 2 * r) * 0.4))
        put_fit(img, it.brand, (x0, y0 + 2 * r + 6, x1, y0 + 2 * r + 6 + rowh), ink, font, 1.5, 2)
        top = y0 + 2 * r + 8 + rowh
    art = it.opts.get("art")
    if art and x1 - x0 >= 180 and y1 - top >= 30:  # picture on the right of the lines
        ax0 = x0 + int((x1 - x0) * 0.56)
        draw_art(img, art, (ax0, top + 2, x1 - 2, y1 - 2), it)
        x1 = ax0 - 4
    elif art and y1 - top >= 90:  # picture under the lines
        draw_art(img, art, (x0 + 4, y1 - (y1 - top) // 2 + 2, x1 - 4, y1 - 2), it)
        y1 = y1 - (y1 - top) // 2
    avail = y1 - top
    n = max(0, min(len(it.lines), avail // 13))
    if n == 0:
        return
    lh = min(26, avail // n)
    for k, line in enumerate(it.lines[:n]):
        ly = top + k * lh
        put_fit(
            img,
            line,
            (x0 + 2, ly, x1 - 2, ly + lh - 3),
            ink,
            cv2.FONT_HERSHEY_DUPLEX if k == 0 else cv2.FONT_HERSHEY_SIMPLEX,
            0.8 if k == 0 else 0.6,
            2 if k == 0 and lh >= 20 else 1,
        )


BAR_INKS = [bgr(c) for c in ("#000000", "#14213d", "#2b1a10", "#0b3d20", "#3d0c1e", "#1f1f2e")]
BAR_PAPERS = [bgr(c) for c in ("#ffffff", "#fff8e1", "#eef5ff", "#effaf0", "#fff0f4", "#fffbd6")]


def render_product(it: Item) -> np.ndarray:
    sku = full_sku(it)
    rng = np.random.default_rng(int(sku) % (2**32))
    img = background(rng)
    text_box, (orient, bx, by) = SHAPES[it.kind](img, it, rng)
    draw_text(img, it, text_box)
    gray = barcode_block(sku)
    if orient == "v":
        gray = np.ascontiguousarray(np.rot90(gray))  # bars horizontal, read bottom to top
    # bars and label in colours of their own per product (still high contrast in grey)
    k = zlib.crc32(sku.encode())
    ink = np.array(BAR_INKS[k % len(BAR_INKS)], np.float32)
    paper = np.array(BAR_PAPERS[(k // 7) % len(BAR_PAPERS)], np.float32)
    t = (gray.astype(np.float32) / 255)[..., None]
    block = (ink * (1 - t) + paper * t).round().astype(np.uint8)
    bh, bw = gray.shape
    # OpenCV's detector scans 320 px images in a grid of 10 px cells; bars that start 3 px or
    # less before a grid line are found every time, others only most of the time.
    across = by if orient == "h" else bx
    shift = min((d for d in range(-4, 6) if (across + d + 4) % 10 in (7, 8, 9)), key=abs)
    if orient == "h":
        by += shift
    else:
        bx += shift
    if not (bx >= 0 and bx + bw <= IMG and by >= 0 and by + bh <= IMG):
        raise ValueError(f"{it.name}: barcode at {bx},{by} size {bw}x{bh} is off the image")
    img[by : by + bh, bx : bx + bw] = block
    return img


def encode_jpeg(img: np.ndarray) -> bytes:
    for q in (JPEG_QUALITY, 80, 75, 70):
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, q])
        assert ok
        if len(buf) <= MAX_JPEG_BYTES:
            break
    return buf.tobytes()


# --------------------------------------------------------------------------------------------
# The map
# --------------------------------------------------------------------------------------------

DEPT = {
    "grocery": ("#f2d49b", "#8a5a00"),
    "household": ("#b9d7f0", "#1d5a96"),
    "frozen": ("#c9f0f4", "#007c89"),
    "hardware": ("#d9c7b0", "#6b4423"),
    "pharmacy": ("#e6d6f2", "#6a3d9a"),
    "produce": ("#d4edc9", "#2e7d32"),
    "dairy": ("#dbe8ff", "#2a5db0"),
}


def put_text(
    img: np.ndarray,
    text: str,
    center: tuple[int, int],
    scale: float,
    col: tuple[int, int, int],
    thick: int = 1,
    font: int = cv2.FONT_HERSHEY_SIMPLEX,
) -> None:
    (tw, th), _ = cv2.getTextSize(text, font, scale, thick)
    cv2.putText(img, text, (center[0] - tw // 2, center[1] + th // 2), font, scale, col, thick, AA)


def put_text_vertical(
    img: np.ndarray,
    text: str,
    center: tuple[int, int],
    scale: float,
    col: tuple[int, int, int],
    back: tuple[int, int, int],
    thick: int = 1,
) -> None:
    font = cv2.FONT_HERSHEY_SIMPLEX
    (tw, th), base = cv2.getTextSize(text, font, scale, thick)
    tile = np.full((th + base + 4, tw + 4, 3), back, np.uint8)
    cv2.putText(tile, text, (2, th + 2), font, scale, col, thick, AA)
    tile = np.ascontiguousarray(np.rot90(tile))  # reads bottom to top
    h, w = tile.shape[:2]
    x, y = center[0] - w // 2, center[1] - h // 2
    img[y : y + h, x : x + w] = tile


def render_map() -> np.ndarray:
    floor = bgr("#f7f6f2")
    img = np.full((MAP_H, MAP_W, 3), floor, np.uint8)
    dark, wall = bgr("#333333"), bgr("#4a4a4a")

    def area(box: tuple[int, int, int, int], dept: str) -> None:
        cv2.rectangle(img, box[:2], box[2:], bgr(DEPT[dept][0]), -1)

    # floor areas
    area(PRODUCE, "produce")
    area(PHARMACY, "pharmacy")
    # produce
    px0, py0, px1, py1 = PRODUCE
    put_text(img, "PRODUCE", ((px0 + px1) // 2 + 14, py0 + 30), 0.9, bgr(DEPT["produce"][1]), 2)
    cv2.rectangle(img, (px0 + 4, py0 + 60), (px0 + 30, py1 - 60), bgr("#8fcf8a"), -1)  # wall cooler
    cv2.rectangle(img, (px0 + 4, py0 + 60), (px0 + 30, py1 - 60), bgr("#2e7d32"), 1)
    put_text_vertical(
        img,
        "produce cooler",
        (px0 + 17, (py0 + py1) // 2 + 120),
        0.45,
        bgr("#1b4d1f"),
        bgr("#8fcf8a"),
    )
    for ty, label in (
        (330, "Vegetables"),
        (430, "Salad bar"),
        (540, "Fruit"),
        (640, "Bananas, apples"),
    ):
        cv2.rectangle(img, (86, ty - 28), (270, ty + 28), bgr("#a5d89a"), -1)
        cv2.rectangle(img, (86, ty - 28), (270, ty + 28), bgr("#2e7d32"), 1)
        put_text(img, label, (178, ty), 0.5, bgr("#1b4d1f"), 1)
    # title (top-left corner)
    put_text(img, "DEMO MARKET", (165, 92), 1.0, dark, 2, cv2.FONT_HERSHEY_DUPLEX)
    put_text(img, "store map", (165, 132), 0.6, bgr("#666666"), 1)
    cv2.line(img, (60, 160), (270, 160), bgr("#bbbbbb"), 1)
    put_text(img, "front of store: bottom", (165, 190), 0.42, bgr("#777777"), 1)
    # dairy cooler along the back wall
    dx0, dy0, dx1, dy1 = DAIRY
    cv2.rectangle(img, (dx0, dy0), (dx1, dy1), bgr("#9cc0ff"), -1)
    cv2.rectangle(img, (dx0, dy0), (dx1, dy1), bgr(DEPT["dairy"][1]), 1)
    for x in range(dx0 + 58, dx1, 58):
        cv2.line(img, (x, dy0), (x, dy1), bgr("#7aa6ee"), 1)
    (tw, _th), _ = cv2.getTextSize("DAIRY COOLER", cv2.FONT_HERSHEY_SIMPLEX, 0.65, 2)
    cx, cy = (dx0 + dx1) // 2, (dy0 + dy1) // 2
    cv2.rectangle(img, (cx - tw // 2 - 8, dy0 + 3), (cx + tw // 2 + 8, dy1 - 3), bgr("#9cc0ff"), -1)
    put_text(img, "DAIRY COOLER", (cx, cy), 0.65, bgr("#153a7a"), 2)
    # shelf units and aisles
    for i in range(10):
        x = unit_x(i)
        left_dept = AISLES[i][0] if i >= 1 else None  # this unit's left face is on aisle i
        right_dept = AISLES[i + 1][0] if i + 1 <= 9 else None
        half = UNIT_W // 2
        for dept, xa, xb in ((left_dept, x, x + half), (right_dept, x + half, x + UNIT_W)):
            col = bgr(DEPT[dept][0]) if dept else bgr("#d9d9d9")
            cv2.rectangle(img, (xa, UNIT_Y0), (xb, UNIT_Y1), col, -1)
        cv2.rectangle(img, (x, UNIT_Y0), (x + UNIT_W, UNIT_Y1), bgr("#777777"), 1)
        cv2.line(img, (x + half, UNIT_Y0), (x + half, UNIT_Y1), bgr("#aaaaaa"), 1)
    for n, (dept, what) in AISLES.items():
        cx = aisle_cx(n)
        col = bgr(DEPT[dept][1])
        cv2.circle(img, (cx, 103), 17, col, -1, AA)
        put_text(img, str(n), (cx, 103), 0.75, (255, 255, 255), 2, cv2.FONT_HERSHEY_DUPLEX)
        put_text_vertical(img, what, (cx, (UNIT_Y0 + UNIT_Y1) // 2), 0.5, col, floor)
    # department names under the aisles
    groups: dict[str, list[int]] = {}
    for n, (dept, _) in AISLES.items():
        groups.setdefault(dept, []).append(n)
    for dept, ns in groups.items():
        xa, xb = unit_x(min(ns) - 1) + 4, unit_x(max(ns)) + UNIT_W - 4
        col = bgr(DEPT[dept][1])
        cv2.rectangle(img, (xa, UNIT_Y1 + 8), (xb, UNIT_Y1 + 14), bgr(DEPT[dept][0]), -1)
        put_text(img, dept.upper(), ((xa + xb) // 2, UNIT_Y1 + 32), 0.55, col, 2)
    # pharmacy
    hx0, hy0, hx1, _hy1 = PHARMACY
    cv2.rectangle(img, (hx0 + 10, hy0 + 6), (hx1 - 6, hy0 + 46), bgr("#c9a9e6"), -1)
    cv2.rectangle(img, (hx0 + 10, hy0 + 6), (hx1 - 6, hy0 + 46), bgr(DEPT["pharmacy"][1]), 1)
    put_text(img, "Pharmacy counter", ((hx0 + hx1) // 2, hy0 + 26), 0.5, bgr("#3d1f5e"), 1)
    put_text(img, "PHARMACY", ((hx0 + hx1) // 2, hy0 + 110), 0.9, bgr(DEPT["pharmacy"][1]), 2)
    for uy in PH_UNITS_Y:
        cv2.rectangle(img, (hx0 + 18, uy), (hx1 - 12, uy + 20), bgr("#c9a9e6"), -1)
        cv2.rectangle(img, (hx0 + 18, uy), (hx1 - 12, uy + 20), bgr("#777777"), 1)
    for k, what in ((0, "teeth, sun, first aid"), (1, "pain, allergy, cold")):
        y_mid = PH_UNITS_Y[k] + 20 + (PH_UNITS_Y[k + 1] - PH_UNITS_Y[k] - 20) // 2
        put_text(
            img, f"Aisle {k + 1}", ((hx0 + hx1) // 2, y_mid - 26), 0.6, bgr(DEPT["pharmacy"][1]), 2
        )
        put_text(img, what, ((hx0 + hx1) // 2, y_mid + 28), 0.45, bgr("#55407a"), 1)
    # checkouts
    for k in range(6):
        x = 400 + k * 92
        cv2.rectangle(img, (x, CHECKOUT_Y[0]), (x + 22, CHECKOUT_Y[1]), bgr("#c8c8c8"), -1)
        cv2.rectangle(img, (x, CHECKOUT_Y[0]), (x + 22, CHECKOUT_Y[1]), bgr("#777777"), 1)
        cv2.rectangle(
            img, (x + 24, CHECKOUT_Y[1] - 22), (x + 44, CHECKOUT_Y[1]), bgr("#9e9e9e"), -1
        )
        put_text(img, str(k + 1), (x + 11, CHECKOUT_Y[0] + 14), 0.45, dark, 1)
    put_text(img, "CHECKOUTS", (400 + 5 * 92 // 2 + 22, CHECKOUT_Y[1] + 24), 0.6, dark, 2)
    # service desk
    sx0, sy0, sx1, sy1 = DESK
    cv2.rectangle(img, (sx0, sy0), (sx1, sy1), bgr("#ffe08a"), -1)
    cv2.rectangle(img, (sx0, sy0), (sx1, sy1), bgr("#8a6d00"), 2)
    put_text(img, "SERVICE", ((sx0 + sx1) // 2, sy0 + 24), 0.55, bgr("#5a4700"), 2)
    put_text(img, "DESK", ((sx0 + sx1) // 2, sy0 + 50), 0.55, bgr("#5a4700"), 2)
    # walls with the entrance gap
    t = 6
    cv2.rectangle(img, (24, 24), (MAP_W - 24, MAP_H - 24), wall, t)
    ex0, ex1 = ENTRANCE
    cv2.rectangle(img, (ex0, MAP_H - 24 - t), (ex1, MAP_H - 24 + t), floor, -1)
    cv2.line(img, (ex0, MAP_H - 30), (ex0, MAP_H - 14), wall, 3)
    cv2.line(img, (ex1, MAP_H - 30), (ex1, MAP_H - 14), wall, 3)
    ecx = (ex0 + ex1) // 2
    cv2.arrowedLine(
        img, (ecx, MAP_H - 18), (ecx, MAP_H - 62), bgr("#2e7d32"), 3, AA, tipLength=0.35
    )
    put_text(img, "ENTRANCE", (ecx, MAP_H - 84), 0.6, bgr("#2e7d32"), 2)
    # the kiosk
    kx, ky = KIOSK_XY
    cv2.circle(img, (kx, ky), 8, bgr("#d32f2f"), -1, AA)
    cv2.circle(img, (kx, ky), 12, bgr("#d32f2f"), 2, AA)
    put_text(img, "you are here", (kx - 4, ky + 26), 0.42, bgr("#d32f2f"), 1)
    return img


# --------------------------------------------------------------------------------------------
# store.toml
# --------------------------------------------------------------------------------------------


def q(s: str) -> str:
    """A TOML basic string (JSON escaping is a subset of TOML's)."""
    return json.dumps(s, ensure_ascii=False)


def store_toml() -> str:
    out = [
        "# Demo Market: the demo store pack for the retail kiosk.",
        "# Generated by scripts/make_demo_store.py together with map.png and images/*.jpg:",
        "# edit the catalogue in that script and re-run it rather than editing this file.",
        "",
        "[store]",
        'name = "Demo Market"',
        'map = "map.png"                 # floor map; map_xy below are pixels of this image',
        'service_desk = "SD"             # shelf id of the service desk',
        f"you_are_here = [{KIOSK_XY[0]}, {KIOSK_XY[1]}]       # the kiosk, on the map",
        "",
        "# --- shelves " + "-" * 80,
    ]
    for s in SHELVES:
        out += [
            "",
            f"[[shelf]]  # {s.area}",
            f"id = {q(s.id)}",
            f"label = {q(s.label)}",
            f"map_xy = [{s.xy[0]}, {s.xy[1]}]",
        ]
    out += ["", "# --- products " + "-" * 78]
    label = {s.id: s.label for s in SHELVES}
    last = None
    for it in PRODUCTS:
        sku = full_sku(it)
        if it.shelf != last:
            out += ["", f"# {it.shelf}: {label[it.shelf]}"]
            last = it.shelf
        aliases = ", ".join(q(a) for a in it.aliases)
        out += [
            "",
            "[[product]]",
            f"sku = {q(sku)}",
            f"name = {q(it.name)}",
            f"aliases = [{aliases}]",
            f"shelf = {q(it.shelf)}",
            f"price = {it.price:.2f}",
            f'images = ["images/{sku}.jpg"]',
        ]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------


def decode(img: np.ndarray) -> str:
    """The barcode in img as 13 digits, or ''.

    OpenCV reports an EAN-13 that starts with 0 as a 12-digit UPC-A; it is widened back here.
    """
    detector = cv2.barcode.BarcodeDetector()
    text, _points, _ = detector.detectAndDecode(img)
    text = text or ""
    return "0" + text if len(text) == 12 and text.isdigit() else text


def check(out: Path) -> list[str]:
    problems: list[str] = []
    doc = tomllib.loads((out / "store.toml").read_text(encoding="utf-8"))
    shelves = {s["id"]: s for s in doc["shelf"]}
    if len(shelves) != len(doc["shelf"]):
        problems.append("duplicate shelf ids")
    if doc["store"].get("service_desk") not in shelves:
        problems.append("service_desk names no shelf")
    if not (out / doc["store"]["map"]).is_file():
        problems.append("map missing")
    map_img = cv2.imread(str(out / doc["store"]["map"]))
    for s in doc["shelf"]:
        x, y = s["map_xy"]
        if not (0 <= x < map_img.shape[1] and 0 <= y < map_img.shape[0]):
            problems.append(f"shelf {s['id']}: map_xy off the map")
    skus = [p["sku"] for p in doc["product"]]
    if len(set(skus)) != len(skus):
        problems.append("duplicate skus")
    alias_owners: dict[str, list[str]] = {}
    decoded = 0
    for p in doc["product"]:
        if p["shelf"] not in shelves:
            problems.append(f"{p['sku']}: unknown shelf {p['shelf']}")
        if not ean13_valid(p["sku"]):
            problems.append(f"{p['sku']}: bad EAN-13 check digit")
        if not 2 <= len(p["aliases"]) <= 4:
            problems.append(f"{p['sku']}: {len(p['aliases'])} aliases")
        for a in p["aliases"]:
            alias_owners.setdefault(a.lower(), []).append(p["name"])
        for rel in p["images"]:
            path = out / rel
            if not path.is_file():
                problems.append(f"{p['sku']}: missing {rel}")
                continue
            img = cv2.imread(str(path))
            if img is None or img.shape[:2] != (IMG, IMG):
                problems.append(f"{p['sku']}: {rel} unreadable or not {IMG}x{IMG}")
                continue
            got = decode(img)
            if got == p["sku"]:
                decoded += 1
            else:
                problems.append(f"{p['sku']}: barcode decodes to {got!r}")
    for a, names in alias_owners.items():
        if len(names) > 1:
            problems.append(f"alias {a!r} shared by {names}")
    print(
        f"{len(doc['product'])} products on {len(shelves)} shelves; "
        f"barcodes decoded {decoded}/{len(doc['product'])}"
    )
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="store pack folder")
    ap.add_argument("--check-only", action="store_true", help="only check an existing pack")
    args = ap.parse_args(argv)
    out: Path = args.out
    assert (
        full_sku(PRODUCTS[[p.name for p in PRODUCTS].index("Duracell AA batteries, 8 pack")])
        == "0041333424019"
    )
    counts = Counter(full_sku(p) for p in PRODUCTS)
    dup = [s for s, n in counts.items() if n > 1]
    if dup:
        print(f"duplicate skus: {dup}", file=sys.stderr)
        return 1
    if not args.check_only:
        (out / "images").mkdir(parents=True, exist_ok=True)
        keep = set()
        for it in PRODUCTS:
            sku = full_sku(it)
            name = f"{sku}.jpg"
            keep.add(name)
            (out / "images" / name).write_bytes(encode_jpeg(render_product(it)))
        for stale in (out / "images").glob("*.jpg"):
            if stale.name not in keep:
                stale.unlink()
        ok, png = cv2.imencode(".png", render_map(), [cv2.IMWRITE_PNG_COMPRESSION, 9])
        assert ok
        (out / "map.png").write_bytes(png.tobytes())
        (out / "store.toml").write_text(store_toml(), encoding="utf-8")
    problems = check(out)
    for p in problems:
        print("PROBLEM:", p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
