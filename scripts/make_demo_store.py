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

Edit the catalogue here and re-run rather than editing the generated files::

    .venv/bin/python scripts/make_demo_store.py [--out kiosk/stores/demo]
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

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
BAR_H = 36  # bar height, px
BLOCK_W = (QUIET_L + 95 + QUIET_R) * MODULE  # 228
BLOCK_H = 4 + BAR_H + 15  # 55


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
DAIRY = (320, 32, 1024, 70)
DESK = (1136, 648, 1244, 722)
ENTRANCE = (1000, 1112)  # gap in the front wall, x range
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
    Shelf("P1", "Pharmacy, aisle 1", "oral care, sun care, first aid",
          ((PHARMACY[0] + PHARMACY[2]) // 2, PH_UNITS_Y[0] + 20 + (PH_UNITS_Y[1] - PH_UNITS_Y[0] - 20) // 2)),
    Shelf("P2", "Pharmacy, aisle 2", "pain relief, allergy, cold and flu",
          ((PHARMACY[0] + PHARMACY[2]) // 2, PH_UNITS_Y[1] + 20 + (PH_UNITS_Y[2] - PH_UNITS_Y[1] - 20) // 2)),
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

I = Item  # noqa: E741 - keeps the table below readable
PRODUCTS: list[Item] = [
    # --- service desk -----------------------------------------------------------------------
    I("006852900020", "USPS Forever stamps, book of 20", ["stamps", "postage stamps", "forever stamps"],
      "SD", 15.60, "box", "USPS", ["FOREVER", "20 STAMPS", "U.S. FLAG"], "#1f3f8f", "#c8102e", "#ffffff",
      "flag", "#ffffff", "duplex", "band", {"w": 252, "h": 176, "d": 5}),
    # --- produce ----------------------------------------------------------------------------
    I("020401100000", "Bananas, per pound", ["bananas", "banana", "bunch of bananas"],
      "PR1", 0.59, "produce", "BANANAS", ["PLU 4011", "$0.59 / lb"], "#ffffff", "#f2c500", "#222222",
      "leaf", "#2e8b3a", "duplex", "left", {"fruit": "banana"}),
    I("020413300000", "Gala apples, per pound", ["gala apples", "apples", "red apples"],
      "PR1", 1.99, "produce", "GALA APPLES", ["PLU 4133", "$1.99 / lb"], "#fff8e8", "#c0262d", "#5a1010",
      "heart", "#c0262d", "triplex", "left", {"fruit": "apple"}),
    I("020404600000", "Hass avocados, each", ["avocados", "avocado", "hass avocado"],
      "PR1", 1.25, "produce", "HASS AVOCADO", ["PLU 4046", "$1.25 each"], "#eef6e4", "#3b5323", "#24351a",
      "drop", "#4a6b2a", "simplex", "left", {"fruit": "avocado"}),
    I("020408700000", "Roma tomatoes, per pound", ["tomatoes", "roma tomatoes", "plum tomatoes"],
      "PR1", 1.49, "produce", "ROMA TOMATOES", ["PLU 4087", "$1.49 / lb"], "#fdf1ec", "#e03a1e", "#7a1a0a",
      "star", "#2f7d32", "complex", "left", {"fruit": "tomato"}),
    I("003338366001", "Bolthouse Farms baby carrots, 1 lb bag", ["baby carrots", "carrots", "bag of carrots"],
      "PR2", 1.79, "bag", "Bolthouse", ["FARMS", "BABY CARROTS", "1 LB"], "#ff8a1f", "#1e7a34", "#ffffff",
      "leaf", "#1e7a34", "italic", "stack", {"window": "#ff9a30", "clear": True}),
    I("007143000976", "Fresh Express Caesar salad kit", ["salad kit", "caesar salad", "bagged salad"],
      "PR2", 4.49, "bag", "FRESH EXPRESS", ["CAESAR", "SALAD KIT"], "#f4f7ee", "#2f8f3a", "#1d5e26",
      "leaf", "#6cbf3c", "dupitalic", "band", {"window": "#9ccc5a"}),
    # --- dairy ------------------------------------------------------------------------------
    I("004119004564", "Whole milk, 1 gallon", ["milk", "whole milk", "gallon of milk"],
      "D1", 4.29, "jug", "Demo Dairy", ["WHOLE MILK", "VITAMIN D", "1 GALLON"], "#f7f7f2", "#d8232a", "#d8232a",
      "circle", "#d8232a", "script", "stack", {"cap": "#d8232a", "label": "#ffffff"}),
    I("004119004700", "Grade A large eggs, dozen", ["eggs", "dozen eggs", "large eggs"],
      "D1", 3.49, "carton", "Demo Farms", ["GRADE A LARGE", "12 EGGS"], "#c9bfae", "#5d8a3a", "#3d2f1f",
      "sun", "#e8a92a", "complex", "band", {}),
    I("089470001005", "Chobani Greek yogurt, plain, 32 oz", ["greek yogurt", "yogurt", "chobani"],
      "D1", 5.99, "tub", "CHOBANI", ["GREEK YOGURT", "PLAIN  32 OZ"], "#ffffff", "#2a5db0", "#1b2a4a",
      "wave", "#2a5db0", "simplex", "stack", {"lid": "#2a5db0"}),
    I("007207302210", "Tillamook medium cheddar, 8 oz block", ["cheddar", "cheddar cheese", "block of cheese"],
      "D1", 3.99, "pouch", "TILLAMOOK", ["MEDIUM CHEDDAR", "8 OZ"], "#f5a623", "#1a1a1a", "#ffffff",
      "mountain", "#ffffff", "triplex", "band", {}),
    I("003450011100", "Land O Lakes salted butter, 1 lb", ["butter", "salted butter", "sticks of butter"],
      "D1", 5.49, "box", "LAND O LAKES", ["SALTED BUTTER", "4 STICKS  1 LB"], "#fbf3dc", "#2a6db5", "#2a6db5",
      "sun", "#f2b705", "duplex", "stack", {"w": 250, "h": 150, "d": 34}),
    # --- aisle 1 ----------------------------------------------------------------------------
    I("002550000371", "Folgers ground coffee", ["coffee", "ground coffee", "folgers"],
      "A1-L", 11.99, "canister", "Folgers", ["CLASSIC ROAST", "GROUND COFFEE"], "#c8102e", "#f2c14e", "#ffffff",
      "ring", "#f2c14e", "italic", "stack", {"lid": "#c8102e"}),
    I("004100000100", "Lipton black tea, 100 bags", ["tea", "tea bags", "lipton"],
      "A1-L", 4.79, "box", "Lipton", ["BLACK TEA", "100 TEA BAGS"], "#ffd100", "#d7282f", "#d7282f",
      "circle", "#d7282f", "dupitalic", "left", {"w": 256, "h": 200, "d": 18}),
    I("005000035000", "Coffee-mate original creamer, 11 oz", ["creamer", "coffee creamer", "coffee mate"],
      "A1-L", 3.99, "jar", "Coffee-mate", ["ORIGINAL", "CREAMER 11 OZ"], "#ffffff", "#5b2c1c", "#5b2c1c",
      "drop", "#1f5fae", "script", "stack", {"lid": "#1f5fae", "label": "#e9f0fa"}),
    I("001600027528", "Cheerios cereal, 18 oz", ["cheerios", "cereal", "oat cereal"],
      "A1-R", 5.29, "box", "Cheerios", ["WHOLE GRAIN", "OATS", "18 OZ"], "#ffcc00", "#1a1a6e", "#1a1a6e",
      "ring", "#c98a1b", "dupitalic", "stack", {"w": 196, "h": 262, "d": 18}),
    I("003000000125", "Quaker old fashioned oats, 42 oz", ["oatmeal", "oats", "rolled oats"],
      "A1-R", 6.49, "can", "Quaker", ["OLD", "FASHIONED", "OATS 42 OZ"], "#1d4f9c", "#d7282f", "#ffffff",
      "badge", "#d7282f", "complex", "stack", {"w": 214, "lid": "#d7282f"}),
    I("003000001092", "Pearl Milling Company pancake mix, 32 oz", ["pancake mix", "pancakes", "waffle mix"],
      "A1-R", 3.99, "box", "PEARL MILLING", ["COMPANY", "PANCAKE &", "WAFFLE MIX"], "#7a2e1f", "#f1e3c6", "#f1e3c6",
      "shield", "#f1e3c6", "triplex", "stack", {"w": 200, "h": 262, "d": 16}),
    # --- aisle 2 ----------------------------------------------------------------------------
    I("007680850001", "Barilla spaghetti, 1 lb", ["spaghetti", "pasta", "noodles"],
      "A2-L", 1.99, "box", "Barilla", ["SPAGHETTI", "n.5   1 LB"], "#1a4ea1", "#e2231a", "#ffffff",
      "oval", "#e2231a", "triplex", "band", {"w": 276, "h": 150, "d": 14}),
    I("074770000120", "Rao's homemade marinara sauce, 24 oz", ["pasta sauce", "marinara", "tomato sauce"],
      "A2-L", 8.99, "jar", "RAO'S", ["HOMEMADE", "MARINARA 24 OZ"], "#8e1b12", "#1b1b1b", "#1b1b1b",
      "crown", "#b08d3c", "complex", "stack", {"lid": "#1b1b1b", "label": "#f3ead6"}),
    I("005100000011", "Campbell's condensed tomato soup, 10.75 oz", ["tomato soup", "soup", "campbells soup"],
      "A2-L", 1.29, "can", "Campbell's", ["CONDENSED", "TOMATO", "SOUP"], "#d01e2a", "#ffffff", "#ffffff",
      "circle", "#d8b24a", "script", "split", {"w": 200}),
    I("003940001080", "Bush's original baked beans, 28 oz", ["baked beans", "beans", "bushs beans"],
      "A2-L", 2.99, "can", "BUSH'S", ["BEST", "ORIGINAL", "BAKED BEANS"], "#6b3a1e", "#f2c230", "#f2c230",
      "diamond", "#f2c230", "duplex", "stack", {"w": 222}),
    # --- aisle 3 ----------------------------------------------------------------------------
    I("002840000012", "Lay's classic potato chips, 8 oz", ["chips", "potato chips", "lays"],
      "A3-R", 4.99, "bag", "Lay's", ["CLASSIC", "POTATO CHIPS"], "#ffd400", "#e4002b", "#e4002b",
      "sun", "#e4002b", "dupitalic", "stack", {"window": "#f6d26b"}),
    I("004400003327", "Oreo cookies, family size", ["oreos", "cookies", "oreo cookies"],
      "A3-R", 5.49, "pouch", "OREO", ["CHOCOLATE SANDWICH", "COOKIES  FAMILY SIZE"], "#0b4aa2", "#1a1a1a", "#ffffff",
      "cookie", "#2b1a12", "duplex", "left", {}),
    I("005150024177", "Jif creamy peanut butter, 16 oz", ["peanut butter", "jif", "pb"],
      "A3-R", 3.49, "jar", "Jif", ["CREAMY", "PEANUT BUTTER"], "#b87a3c", "#1c6b2e", "#d7282f",
      "heart", "#1c6b2e", "dupitalic", "stack", {"lid": "#d7282f", "label": "#ffffff"}),
    I("004400003115", "Ritz crackers, 13.7 oz", ["crackers", "ritz", "ritz crackers"],
      "A3-R", 4.29, "box", "RITZ", ["ORIGINAL", "CRACKERS"], "#d21f26", "#f2c14e", "#f2c14e",
      "oval", "#f2c14e", "triplex", "left", {"w": 262, "h": 170, "d": 20}),
    # --- aisle 4 ----------------------------------------------------------------------------
    I("004900000634", "Coca-Cola, 12 pack of 12 oz cans", ["coke", "coca cola", "soda"],
      "A4-L", 7.99, "box", "Coca-Cola", ["12 PACK", "12 FL OZ CANS"], "#e41e2b", "#ffffff", "#ffffff",
      "swoosh", "#ffffff", "script", "stack", {"w": 276, "h": 168, "d": 22}),
    I("007501310024", "Poland Spring water, 24 pack", ["water", "bottled water", "case of water"],
      "A4-L", 6.49, "bottle", "Poland Spring", ["NATURAL", "SPRING WATER", "24 PACK"], "#d9eef6", "#1f7a3e", "#1f7a3e",
      "mountain", "#1f7a3e", "complex", "stack", {"w": 150, "cap": "#1f7a3e", "label": "#ffffff", "clear": True}),
    I("005200033200", "Gatorade Cool Blue, 28 oz", ["gatorade", "sports drink", "electrolyte drink"],
      "A4-L", 1.89, "bottle", "GATORADE", ["COOL BLUE", "28 FL OZ"], "#1e6fd9", "#ff6a00", "#ffffff",
      "bolt", "#ff6a00", "dupitalic", "stack", {"w": 176, "cap": "#ff6a00", "label": "#101418"}),
    # --- aisle 5 ----------------------------------------------------------------------------
    I("0041333424019", "Duracell AA batteries, 8 pack", ["double a batteries", "AA batteries", "batteries"],
      "A5-L", 9.99, "blister", "DURACELL", ["AA  ALKALINE  8 PACK"], "#141414", "#c47a2c", "#e8a04a",
      "band", "#c47a2c", "duplex", "stack", {"items": "aa", "count": 8, "body": "#1a1a1a", "top": "#c47a2c"}),
    I("003980091432", "Energizer AAA batteries, 4 pack", ["triple a batteries", "AAA batteries", "energizer batteries"],
      "A5-L", 6.49, "blister", "Energizer", ["MAX  AAA  4 PACK"], "#c9d3de", "#111111", "#111111",
      "bolt", "#7ac143", "dupitalic", "stack", {"items": "aaa", "count": 4, "body": "#2b2b2b", "top": "#7ac143"}),
    I("002570001190", "Ziploc gallon storage bags, 38 count", ["ziploc bags", "zip lock bags", "storage bags"],
      "A5-R", 5.99, "box", "Ziploc", ["STORAGE BAGS", "GALLON  38 CT"], "#1976d2", "#e53935", "#ffffff",
      "badge", "#e53935", "dupitalic", "stack", {"w": 262, "h": 176, "d": 22}),
    I("001090000750", "Reynolds Wrap aluminum foil, 75 sq ft", ["aluminum foil", "tin foil", "foil"],
      "A5-R", 5.49, "box", "Reynolds Wrap", ["ALUMINUM FOIL  75 SQ FT"], "#c7ccd3", "#d4145a", "#1b2f6b",
      "wave", "#d4145a", "italic", "band", {"w": 290, "h": 146, "d": 16}),
    # --- aisle 6 ----------------------------------------------------------------------------
    I("003700074700", "Bounty paper towels, 6 rolls", ["paper towels", "bounty", "kitchen roll"],
      "A6-L", 12.99, "rolls", "Bounty", ["PAPER TOWELS", "6 DOUBLE ROLLS"], "#f5f8fc", "#1565c0", "#ffffff",
      "cloud", "#ffffff", "dupitalic", "band", {"roll": "#ffffff"}),
    I("003700030200", "Charmin Ultra Soft toilet paper, 12 rolls", ["toilet paper", "toilet roll", "bathroom tissue"],
      "A6-L", 14.99, "rolls", "Charmin", ["ULTRA SOFT", "12 MEGA ROLLS"], "#2b63c6", "#ffffff", "#2b63c6",
      "heart", "#e23b6e", "script", "band", {"roll": "#f4f4f4", "rows": 2, "cols": 4}),
    I("003600021036", "Kleenex tissues, 3 boxes", ["tissues", "kleenex", "facial tissues"],
      "A6-L", 5.99, "box", "Kleenex", ["FACIAL TISSUES", "3 BOXES"], "#7ec8c9", "#1f3f9a", "#1f3f9a",
      "cloud", "#ffffff", "simplex", "stack", {"w": 244, "h": 196, "d": 20, "tissue": True}),
    I("003700077100", "Tide Original liquid laundry detergent, 92 oz", ["laundry detergent", "tide", "washing liquid"],
      "A6-R", 13.99, "jug", "TIDE", ["ORIGINAL", "LAUNDRY DETERGENT"], "#ff7a00", "#1d3f91", "#1d3f91",
      "bullseye", "#ffd100", "duplex", "stack", {"cap": "#ff7a00", "label": "#ffd100"}),
    I("003700097300", "Dawn Ultra dish soap, 19.4 oz", ["dish soap", "dawn", "washing up liquid"],
      "A6-R", 3.79, "bottle", "DAWN", ["ULTRA", "DISH SOAP"], "#1c5fd0", "#f7d000", "#ffffff",
      "drop", "#f7d000", "duplex", "stack", {"w": 130, "cap": "#f1f1f1", "label": "#0d3c8a", "narrow": True}),
    I("004460032260", "Clorox regular bleach, 121 oz", ["bleach", "clorox", "chlorine bleach"],
      "A6-R", 5.29, "jug", "Clorox", ["REGULAR", "BLEACH  121 OZ"], "#f7f7f7", "#1e5bb8", "#ffffff",
      "diamond", "#ffffff", "dupitalic", "band", {"cap": "#1e5bb8", "label": "#1e5bb8"}),
    # --- aisle 7 (freezers) -----------------------------------------------------------------
    I("007684010025", "Ben & Jerry's Chocolate Fudge Brownie, 1 pint", ["ice cream", "ben and jerrys", "pint of ice cream"],
      "A7-L", 5.99, "tub", "BEN & JERRY'S", ["CHOCOLATE", "FUDGE BROWNIE"], "#9fd3ef", "#3a2016", "#3a2016",
      "cloud", "#ffffff", "triplex", "stack", {"lid": "#5c3a24", "tall": True}),
    I("007192106000", "DiGiorno rising crust pepperoni pizza", ["frozen pizza", "pizza", "digiorno"],
      "A7-L", 7.99, "box", "DiGiorno", ["RISING CRUST", "PEPPERONI PIZZA"], "#0e1e3e", "#c8102e", "#ffffff",
      "pizza", "#e0a040", "italic", "left", {"w": 262, "h": 210, "d": 12}),
    I("001450000120", "Birds Eye sweet peas, 10 oz", ["frozen peas", "peas", "green peas"],
      "A7-L", 1.99, "bag", "Birds Eye", ["SWEET PEAS", "STEAMFRESH 10 OZ"], "#eaf3fb", "#1b4f9c", "#1b4f9c",
      "peas", "#3e9b2f", "italic", "stack", {"window": "#6dbb3e", "peas": True}),
    # --- pharmacy aisle 1 -------------------------------------------------------------------
    I("003500051066", "Colgate Cavity Protection toothpaste, 6 oz", ["toothpaste", "colgate", "tooth paste"],
      "P1", 2.99, "tube", "Colgate", ["CAVITY PROTECTION"], "#e4002b", "#ffffff", "#ffffff",
      "swoosh", "#ffffff", "duplex", "stack", {"cap": "#ffffff"}),
    I("006990900231", "Oral-B soft toothbrush, 2 pack", ["toothbrush", "toothbrushes", "oral b"],
      "P1", 4.99, "blister", "Oral-B", ["SOFT  2 PACK"], "#e8eef8", "#0a58b4", "#0a58b4",
      "cross", "#0a58b4", "dupitalic", "stack", {"items": "toothbrush", "count": 2}),
    I("031254742010", "Listerine Cool Mint mouthwash, 1 L", ["mouthwash", "listerine", "mouth wash"],
      "P1", 7.49, "bottle", "LISTERINE", ["COOL MINT", "1 LITER"], "#1f9bb0", "#ffffff", "#0c3b63",
      "wave", "#0c3b63", "triplex", "stack", {"w": 176, "cap": "#ffffff", "label": "#ffffff", "clear": True}),
    I("007965600220", "Banana Boat sunscreen SPF 50", ["sunscreen", "sun cream", "sunblock"],
      "P1", 9.99, "bottle", "Banana Boat", ["SPORT", "SPF 50"], "#ffd23f", "#005eb8", "#005eb8",
      "sun", "#ff7b00", "dupitalic", "stack", {"w": 166, "cap": "#005eb8", "label": "#ffd23f", "inverted": True}),
    I("038137004330", "Band-Aid adhesive bandages, 30 count", ["band aids", "bandages", "plasters"],
      "P1", 4.49, "box", "BAND-AID", ["FLEXIBLE FABRIC", "30 BANDAGES"], "#ffffff", "#e2231a", "#e2231a",
      "cross", "#e2231a", "duplex", "band", {"w": 246, "h": 186, "d": 24}),
    # --- pharmacy aisle 2 -------------------------------------------------------------------
    I("030573015030", "Advil ibuprofen 200 mg, 100 tablets", ["ibuprofen", "advil", "pain killers"],
      "P2", 12.99, "box", "Advil", ["IBUPROFEN 200 MG", "100 TABLETS"], "#0b3d91", "#ffcd00", "#ffcd00",
      "diamond", "#ffcd00", "triplex", "stack", {"w": 250, "h": 190, "d": 18}),
    I("030045044939", "Tylenol Extra Strength, 100 caplets", ["tylenol", "acetaminophen", "paracetamol"],
      "P2", 11.99, "bottle", "TYLENOL", ["EXTRA", "STRENGTH", "100 CAPLETS"], "#f4f4f4", "#d8232a", "#ffffff",
      "band", "#ffffff", "duplex", "band", {"w": 176, "cap": "#ffffff", "label": "#d8232a", "pill": True}),
    I("004110000612", "Claritin 24 hour allergy, 30 tablets", ["claritin", "allergy pills", "antihistamine"],
      "P2", 26.99, "box", "Claritin", ["24 HOUR ALLERGY", "30 TABLETS"], "#ffffff", "#5b2a86", "#0a5cad",
      "swoosh", "#5b2a86", "dupitalic", "left", {"w": 258, "h": 182, "d": 14}),
    I("030180023040", "Pepto-Bismol, 8 oz", ["pepto bismol", "pepto", "upset stomach medicine"],
      "P2", 6.99, "bottle", "PEPTO", ["BISMOL", "5 SYMPTOM", "8 FL OZ"], "#f48fb1", "#1b1b6e", "#1b1b6e",
      "triangle", "#1b1b6e", "duplex", "stack", {"w": 168, "cap": "#e86aa0", "label": "#ffe3ef"}),
    I("032390001431", "Vicks NyQuil cold & flu, 12 oz", ["nyquil", "cold medicine", "flu medicine"],
      "P2", 12.99, "bottle", "NyQuil", ["COLD & FLU", "NIGHTTIME", "12 FL OZ"], "#2e7d32", "#0a1f5c", "#ffffff",
      "moon", "#9fb6ff", "dupitalic", "stack", {"w": 170, "cap": "#0a1f5c", "label": "#0a1f5c", "clear": True}),
    # --- hardware, aisle 8 ------------------------------------------------------------------
    I("004667745634", "Philips LED light bulbs, 4 pack", ["light bulbs", "LED bulbs", "lightbulbs"],
      "H1-L", 9.97, "box", "PHILIPS", ["LED  60W EQUIV", "A19  4 BULBS"], "#0b5ed7", "#ffffff", "#ffffff",
      "bulb", "#ffe066", "simplex", "left", {"w": 252, "h": 200, "d": 16}),
    I("004321200562", "GE 6 ft extension cord", ["extension cord", "power cord", "extension lead"],
      "H1-L", 7.99, "blister", "GE", ["6 FT EXTENSION CORD"], "#f2f2f2", "#0a6ebd", "#0a6ebd",
      "ring", "#0a6ebd", "script", "stack", {"items": "cord"}),
    # --- hardware, aisle 9 ------------------------------------------------------------------
    I("005242760061", "Gorilla duct tape, 1.88 in x 12 yd", ["duct tape", "gorilla tape", "heavy duty tape"],
      "H2-R", 8.49, "taperoll", "GORILLA", ["DUCT TAPE", "1.88 IN x 12 YD"], "#2a2a2a", "#f29100", "#ffffff",
      "shield", "#f29100", "duplex", "band", {}),
    I("007900010011", "WD-40 multi-use spray, 8 oz", ["wd 40", "wd-40", "lubricant spray"],
      "H2-R", 5.98, "can", "WD-40", ["MULTI-USE", "PRODUCT", "8 OZ"], "#1f4fa3", "#ffd200", "#ffd200",
      "diamond", "#e2231a", "duplex", "stack", {"w": 150, "nozzle": True}),
    I("007930042008", "Loctite super glue gel", ["super glue", "glue", "crazy glue"],
      "H2-R", 5.49, "blister", "LOCTITE", ["SUPER GLUE GEL"], "#ffffff", "#e2231a", "#e2231a",
      "triangle", "#e2231a", "duplex", "stack", {"items": "glue"}),
    I("007699625251", "Stanley 25 ft tape measure", ["tape measure", "measuring tape", "stanley tape"],
      "H2-R", 14.98, "blister", "STANLEY", ["25 FT TAPE MEASURE"], "#111111", "#ffd200", "#ffd200",
      "chevron", "#ffd200", "duplex", "stack", {"items": "tapemeasure"}),
    I("007100000144", "Kingsford Original charcoal, 16 lb", ["charcoal", "kingsford", "bbq charcoal"],
      "H2-R", 12.49, "bag", "Kingsford", ["ORIGINAL", "CHARCOAL 16 LB"], "#1d5fa8", "#f2c230", "#ffffff",
      "flame", "#f26a1b", "triplex", "band", {"window": "#333333", "paper": True}),
]
del I


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
    return tuple(int(round(x * (1 - t) + y * t)) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


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
        contours, _ = cv2.findContours((mask > 127).astype(np.uint8), cv2.RETR_EXTERNAL,
                                       cv2.CHAIN_APPROX_NONE)
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
    tints = [(246, 244, 240), (238, 242, 246), (244, 240, 232), (236, 240, 236),
             (246, 238, 240), (240, 240, 240), (232, 236, 242), (248, 246, 236)]  # fmt: skip
    base = np.array(tints[rng.integers(len(tints))], np.float32) + rng.uniform(-6, 6, 3)
    horizon = int(rng.integers(226, 268))
    y = np.arange(IMG, dtype=np.float32)[:, None, None]
    wall = base * (1.02 - 0.06 * y / IMG)
    table = base * rng.uniform(0.86, 0.93) * (0.96 + 0.05 * (y - horizon) / IMG)
    img = np.where(y < horizon, wall, table) * np.ones((1, IMG, 1), np.float32)
    # soft, low-frequency variation (cheap to compress)
    blotch = cv2.resize(rng.normal(0, 5, (5, 5)).astype(np.float32), (IMG, IMG),
                        interpolation=cv2.INTER_CUBIC)
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
        t = max(1, int(round(thick * min(1.0, scale / max_scale + 0.2))))
        (tw, th), base = cv2.getTextSize(text, font, scale, t)
        if (tw <= x1 - x0 and th <= y1 - y0) or scale < 0.25:
            break
        scale *= 0.94
    x = x0 + (x1 - x0 - tw) // 2 if align == "center" else x0
    y = y0 + (y1 - y0 + th) // 2
    cv2.putText(img, text, (x, y), font, scale, col, t, AA)
    return tw


def draw_logo(img: np.ndarray, kind: str, cx: int, cy: int, r: int,
              col: tuple[int, int, int], back: tuple[int, int, int]) -> None:
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
            pts = [(cx - r, cy - r // 2 + k * r // 2 * 2 - r // 2), (cx, cy + k * r - r // 2),
                   (cx + r, cy - r // 2 + k * r - r // 2)]
            cv2.polylines(img, [np.array(pts, np.int32)], False, col, 4, AA)
    elif kind == "sun":
        for k in range(12):
            a = k * np.pi / 6
            cv2.line(img, (cx, cy), (int(cx + r * np.cos(a)), int(cy + r * np.sin(a))), col, 2, AA)
        cv2.circle(img, (cx, cy), int(r * 0.6), col, -1, AA)
    elif kind == "wave":
        for k in range(3):
            pts = [(cx - r + i, cy - r // 2 + k * r // 2 + int(4 * np.sin(i / 5.0))) for i in range(2 * r)]
            cv2.polylines(img, [np.array(pts, np.int32)], False, col, 3, AA)
    elif kind == "leaf":
        cv2.ellipse(img, (cx, cy), (r, r // 2), -35, 0, 360, col, -1, AA)
        cv2.line(img, (cx - int(r * 0.8), cy + int(r * 0.55)), (cx + int(r * 0.8), cy - int(r * 0.55)),
                 back, 1, AA)
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
        pts = [(cx + r // 3, cy - r), (cx - r // 2, cy + r // 8), (cx, cy + r // 8),
               (cx - r // 3, cy + r), (cx + r // 2, cy - r // 8), (cx, cy - r // 8)]
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
        cv2.rectangle(img, (cx - r, cy - r // 2 - 3), (cx + r, cy + r // 2 + 3), (255, 255, 255), -1)
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
        pts = [(cx - r, cy + r // 2), (cx - r, cy - r // 2), (cx - r // 2, cy), (cx, cy - r),
               (cx + r // 2, cy), (cx + r, cy - r // 2), (cx + r, cy + r // 2)]
        cv2.fillPoly(img, [np.array(pts, np.int32)], col, AA)
    elif kind == "mountain":
        pts = [(cx - r, cy + r // 2), (cx - r // 3, cy - r), (cx + r // 6, cy - r // 6),
               (cx + r // 2, cy - r // 2), (cx + r, cy + r // 2)]
        cv2.fillPoly(img, [np.array(pts, np.int32)], col, AA)
        cv2.polylines(img, [np.array(pts, np.int32)], True, dark, 1, AA)
    elif kind == "cookie":
        cv2.circle(img, (cx, cy), r, col, -1, AA)
        cv2.circle(img, (cx, cy), int(r * 0.75), scale_col(col, 1.5), 1, AA)
        for k in range(8):
            a = k * np.pi / 4
            cv2.circle(img, (int(cx + r * 0.5 * np.cos(a)), int(cy + r * 0.5 * np.sin(a))), 2,
                       scale_col(col, 1.8), -1, AA)
    elif kind == "pizza":
        cv2.circle(img, (cx, cy), r, col, -1, AA)
        cv2.circle(img, (cx, cy), int(r * 0.82), bgr("#d9482b"), -1, AA)
        for dx, dy in ((-5, -6), (6, -3), (-2, 6), (7, 7), (-8, 3)):
            cv2.circle(img, (cx + dx * r // 14, cy + dy * r // 14), max(2, r // 6), bgr("#8e1b12"), -1, AA)
    elif kind == "peas":
        for k in range(5):
            cv2.circle(img, (cx - r + 4 + k * (2 * r - 8) // 4, cy), max(3, r // 4), col, -1, AA)
    elif kind == "moon":
        cv2.circle(img, (cx, cy), r, col, -1, AA)
        cv2.circle(img, (cx + r // 2, cy - r // 3), int(r * 0.85), back, -1, AA)
    elif kind == "flame":
        pts = [(cx, cy - r), (cx + r // 2, cy), (cx + int(r * 0.6), cy + r // 2), (cx, cy + r),
               (cx - int(r * 0.6), cy + r // 2), (cx - r // 2, cy)]
        cv2.fillPoly(img, [np.array(pts, np.int32)], col, AA)
        cv2.circle(img, (cx, cy + r // 2), r // 3, bgr("#ffd200"), -1, AA)
    elif kind == "band":
        cv2.rectangle(img, (cx - int(r * 1.4), cy - r // 2), (cx + int(r * 1.4), cy + r // 2), col, -1)
    else:
        raise ValueError(f"unknown logo {kind}")


# --------------------------------------------------------------------------------------------
# Package shapes.  Each returns (text_box, barcode) where text_box = (x0, y0, x1, y1) and
# barcode = ("h" | "v", x, y), the top-left corner of the barcode block.
# --------------------------------------------------------------------------------------------

Box = tuple[int, int, int, int]
Bar = tuple[str, int, int]


def bar_h_bottom(x0: int, x1: int, y1: int) -> Bar:
    return ("h", (x0 + x1 - BLOCK_W) // 2, y1 - BLOCK_H)


def draw_box(img: np.ndarray, it: Item, rng: np.random.Generator) -> tuple[Box, Bar]:
    w, h, d = it.opts.get("w", 240), it.opts.get("h", 200), it.opts.get("d", 16)
    main = bgr(it.main)
    x0 = (IMG - w - d) // 2
    y0 = (IMG - h + d) // 2 + 4
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
        cv2.ellipse(tm, (x0 + w // 2 + d // 2, y0 - d // 2 - 6), (46, 18), 0, 0, 360, 255, -1, AA)
        poly(tm, [(x0 + w // 2 - 30, y0 - d // 2), (x0 + w // 2 + d // 2, y0 - 40),
                  (x0 + w // 2 + 40, y0 - d // 2)])
        paint(img, tm, (250, 250, 250), "v")
    # an accent stripe along the bottom edge of the front for some variety
    if it.layout != "band":
        cv2.rectangle(img, (x0 + 1, y1 - 8), (x1 - 1, y1 - 1), bgr(it.accent), -1)
    if w >= BLOCK_W + 10:
        return (x0 + 6, y0 + 6, x1 - 6, y1 - BLOCK_H - 14), bar_h_bottom(x0, x1, y1 - 12)
    bar = ("v", x1 - BLOCK_H - 8, y0 + (h - BLOCK_W) // 2)
    return (x0 + 6, y0 + 8, x1 - BLOCK_H - 14, y1 - 10), bar


def draw_carton(img: np.ndarray, it: Item, rng: np.random.Generator) -> tuple[Box, Bar]:
    main = bgr(it.main)
    x0, x1, y0, y1 = 20, 300, 110, 296
    shadow(img, 160, y1 - 2, 150, 12)
    m = new_mask()
    cv2.rectangle(m, (x0, y0), (x1, y1), 255, -1)
    for k in range(6):  # egg domes on the lid
        cx = x0 + 24 + k * (x1 - x0 - 48) // 5
        cv2.ellipse(m, (cx, y0 + 2), (22, 26), 0, 180, 360, 255, -1, AA)
    paint(img, m, main, "flat")
    for k in range(6):
        cx = x0 + 24 + k * (x1 - x0 - 48) // 5
        cv2.ellipse(img, (cx - 6, y0 - 12), (6, 9), 0, 0, 360, scale_col(main, 1.12), -1, AA)
    cv2.line(img, (x0, y0 + 8), (x1, y0 + 8), scale_col(main, 0.8), 2, AA)
    label = new_mask()
    cv2.rectangle(label, (x0 + 12, y0 + 16), (x1 - 12, y1 - 8), 255, -1)
    paint(img, label, (250, 250, 246), "flat", outline=False)
    return (x0 + 14, y0 + 18, x1 - 14, y1 - BLOCK_H - 12), bar_h_bottom(x0, x1, y1 - 10)


def draw_bottle(img: np.ndarray, it: Item, rng: np.random.Generator) -> tuple[Box, Bar]:
    w = it.opts.get("w", 160)
    main, cap = bgr(it.main), bgr(it.opts.get("cap", "#ffffff"))
    label = bgr(it.opts.get("label", "#ffffff"))
    inverted = it.opts.get("inverted", False)
    narrow = it.opts.get("narrow", False)
    cx = IMG // 2 - 20
    bx0, bx1 = cx - w // 2, cx + w // 2
    neck = 24 if narrow else 44
    shadow(img, cx + 10, 312, w // 2 + 16, 8)
    if not inverted:
        top, body_top, bottom = 4, 52, 316
        m = new_mask()
        rrect(m, cx - neck // 2 - 6, top, cx + neck // 2 + 6, top + 26, 5)
        paint(img, m, cap, "cyl")
        for k in range(5):
            xx = cx - neck // 2 - 2 + k * (neck + 4) // 4
            cv2.line(img, (xx, top + 4), (xx, top + 22), scale_col(cap, 0.8), 1, AA)
        m = new_mask()
        cv2.rectangle(m, (cx - neck // 2, top + 26), (cx + neck // 2, body_top), 255, -1)
        poly(m, [(cx - neck // 2, top + 34), (bx0, body_top + 14), (bx1, body_top + 14),
                 (cx + neck // 2, top + 34)])
        rrect(m, bx0, body_top, bx1, bottom, 22)
    else:  # squeeze bottle standing on its cap
        top, bottom = 10, 268
        m = new_mask()
        rrect(m, cx - 40, bottom - 10, cx + 40, 312, 8)
        paint(img, m, cap, "cyl")
        m = new_mask()
        poly(m, [(bx0 + 6, top), (bx1 - 6, top), (bx1, top + 40), (bx1 - 8, bottom - 20),
                 (cx + 44, bottom + 2), (cx - 44, bottom + 2), (bx0 + 8, bottom - 20), (bx0, top + 40)])
        rrect(m, bx0 + 6, top, bx1 - 6, top + 20, 8)
        body_top = top + 4
    paint(img, m, main, "cyl")
    if it.opts.get("clear"):  # liquid level / translucency highlight
        cv2.line(img, (bx0 + 14, body_top + 30), (bx0 + 14, (bottom if not inverted else 250) - 30),
                 scale_col(main, 1.35), 3, AA)
    ly0, ly1 = (18, 252) if inverted else (72, 72 + BLOCK_W + 6)
    lm = new_mask()
    cv2.rectangle(lm, (bx0 + 6, ly0), (bx1 - 6, ly1), 255, -1)
    paint(img, lm, label, "cyl", 0.5, outline=False)
    if it.opts.get("pill"):
        cv2.rectangle(img, (bx0 + 6, ly0 + 4), (bx1 - BLOCK_H - 12, ly0 + 8), (255, 255, 255), -1)
    bar = ("v", bx1 - BLOCK_H - 8, (ly0 + ly1 - BLOCK_W) // 2)
    return (bx0 + 10, ly0 + 4, bx1 - BLOCK_H - 14, ly1 - 4), bar


def draw_jug(img: np.ndarray, it: Item, rng: np.random.Generator) -> tuple[Box, Bar]:
    main, cap = bgr(it.main), bgr(it.opts.get("cap", "#ffffff"))
    label = bgr(it.opts.get("label", "#ffffff"))
    x0, x1, y0, y1 = 22, 292, 96, 312
    shadow(img, 160, 312, 150, 8)
    m = new_mask()
    rrect(m, x0, y0 + 20, x1, y1, 26)
    poly(m, [(x0 + 4, y0 + 40), (x0 + 60, 50), (x1 - 90, 50), (x1 - 4, y0 + 40)])
    paint(img, m, main, "cyl", 0.8)
    hm = new_mask()  # handle
    cv2.ellipse(hm, (x1 - 62, 86), (50, 40), 0, 0, 360, 255, 16, AA)
    paint(img, hm, scale_col(main, 0.95), "cyl", 0.6)
    cm = new_mask()
    rrect(cm, x0 + 50, 18, x0 + 104, 54, 6)
    paint(img, cm, cap, "cyl")
    lm = new_mask()
    ly0 = 150
    rrect(lm, x0 + 10, ly0, x1 - 10, y1 - 10, 10)
    paint(img, lm, label, "cyl", 0.5)
    return (x0 + 14, ly0 + 4, x1 - 14, y1 - 18 - BLOCK_H), bar_h_bottom(x0, x1, y1 - 14)


def draw_can(img: np.ndarray, it: Item, rng: np.random.Generator) -> tuple[Box, Bar]:
    w = it.opts.get("w", 200)
    main, acc = bgr(it.main), bgr(it.accent)
    cx = IMG // 2
    x0, x1 = cx - w // 2, cx + w // 2
    y0, y1 = 36 if not it.opts.get("nozzle") else 62, 302
    ry = max(8, w // 14)
    shadow(img, cx, y1 + 4, w // 2 + 10, 8)
    m = new_mask()
    cv2.rectangle(m, (x0, y0), (x1, y1), 255, -1)
    cv2.ellipse(m, (cx, y1), (w // 2, ry), 0, 0, 180, 255, -1, AA)
    paint(img, m, main, "cyl")
    if it.opts.get("nozzle"):
        nm = new_mask()
        poly(nm, [(x0 + 10, y0), (cx - 26, y0 - 34), (cx + 26, y0 - 34), (x1 - 10, y0)])
        paint(img, nm, (200, 200, 205), "cyl")
        nm = new_mask()
        rrect(nm, cx - 10, y0 - 52, cx + 10, y0 - 30, 4)
        cv2.rectangle(nm, (cx + 8, y0 - 46), (cx + 48, y0 - 42), 255, -1)
        paint(img, nm, bgr("#e2231a"), "flat")
    elif "lid" in it.opts:
        lm = new_mask()
        cv2.rectangle(lm, (x0 - 2, y0 - 6), (x1 + 2, y0 + 14), 255, -1)
        cv2.ellipse(lm, (cx, y0 - 6), (w // 2 + 2, ry), 0, 0, 360, 255, -1, AA)
        paint(img, lm, bgr(it.opts["lid"]), "cyl")
    else:
        tm = new_mask()
        cv2.ellipse(tm, (cx, y0), (w // 2, ry), 0, 0, 360, 255, -1, AA)
        paint(img, tm, (205, 208, 212), "cyl")
        cv2.ellipse(img, (cx, y0), (w // 2 - 8, ry - 4), 0, 0, 360, (150, 152, 156), 1, AA)
        for yy in (y0 + 12, y1 - 12):  # rims
            cv2.line(img, (x0, yy), (x1, yy), scale_col(main, 0.7), 1, AA)
    if it.layout == "split":  # two-tone label, e.g. a soup can
        sm = new_mask()
        cv2.rectangle(sm, (x0, (y0 + y1) // 2 + 10), (x1, y1 - 14), 255, -1)
        paint(img, sm, acc, "cyl", outline=False)
        cv2.rectangle(img, (x0, (y0 + y1) // 2 + 4), (x1, (y0 + y1) // 2 + 10), bgr("#d8b24a"), -1)
    bar = ("v", x1 - BLOCK_H - 10, (y0 + y1 - BLOCK_W) // 2 + 4)
    return (x0 + 8, y0 + 18, x1 - BLOCK_H - 16, y1 - 16), bar


def draw_canister(img: np.ndarray, it: Item, rng: np.random.Generator) -> tuple[Box, Bar]:
    main, acc = bgr(it.main), bgr(it.accent)
    x0, x1, y0, y1 = 30, 290, 58, 300
    shadow(img, 160, y1 + 4, 140, 9)
    m = new_mask()
    cv2.rectangle(m, (x0, y0), (x1, y1), 255, -1)
    cv2.ellipse(m, (160, y1), (130, 12), 0, 0, 180, 255, -1, AA)
    paint(img, m, main, "cyl")
    lm = new_mask()
    cv2.rectangle(lm, (x0 - 3, y0 - 22), (x1 + 3, y0 + 6), 255, -1)
    cv2.ellipse(lm, (160, y0 - 22), (133, 14), 0, 0, 360, 255, -1, AA)
    paint(img, lm, scale_col(bgr(it.opts.get("lid", it.main)), 0.8), "cyl")
    cv2.line(img, (x0, y0 + 12), (x1, y0 + 12), acc, 3, AA)
    cv2.line(img, (x0, y1 - 78), (x1, y1 - 78), acc, 2, AA)
    return (x0 + 10, y0 + 18, x1 - 10, y1 - 84), bar_h_bottom(x0, x1, y1 - 12)


def draw_bag(img: np.ndarray, it: Item, rng: np.random.Generator) -> tuple[Box, Bar]:
    main = bgr(it.main)
    x0, x1, y0, y1 = 34, 286, 16, 306
    shadow(img, 160, y1, 128, 8)
    m = new_mask()
    pts: list[tuple[float, float]] = []
    for k in range(19):  # crimped top
        pts.append((x0 + 6 + k * (x1 - x0 - 12) / 18, y0 + (0 if k % 2 else 9)))
    for t in np.linspace(0, 1, 12):  # right side, slight bulge
        pts.append((x1 + 8 * np.sin(np.pi * t), y0 + 18 + t * (y1 - y0 - 36)))
    for k in range(19):  # crimped bottom
        pts.append((x1 - 6 - k * (x1 - x0 - 12) / 18, y1 - (0 if k % 2 else 9)))
    for t in np.linspace(1, 0, 12):
        pts.append((x0 - 8 * np.sin(np.pi * t), y0 + 18 + t * (y1 - y0 - 36)))
    poly(m, pts)
    paint(img, m, main, "cyl", 0.7)
    for yy in (y0 + 16, y1 - 16):
        cv2.line(img, (x0 + 4, yy), (x1 - 4, yy), scale_col(main, 0.75), 1, AA)
    if it.opts.get("paper"):
        cv2.rectangle(img, (x0 + 2, y0 + 20), (x1 - 2, y0 + 34), bgr(it.accent), -1)
    if "window" in it.opts:  # a clear window / product photo in the middle of the bag
        wm = new_mask()
        cv2.ellipse(wm, (160, 172), (88, 34), 0, 0, 360, 255, -1, AA)
        paint(img, wm, bgr(it.opts["window"]), "v", outline=False)
        r = np.random.default_rng(zlib.crc32(it.name.encode()))
        if it.opts.get("peas") or it.opts.get("clear") or it.name.startswith("Fresh"):
            for _ in range(26):
                a, rr = r.uniform(0, 2 * np.pi), r.uniform(0, 1) ** 0.5
                px, py = int(160 + 78 * rr * np.cos(a)), int(172 + 26 * rr * np.sin(a))
                col = scale_col(bgr(it.opts["window"]), r.uniform(0.75, 1.15))
                if it.opts.get("clear"):
                    cv2.ellipse(img, (px, py), (12, 4), r.uniform(0, 180), 0, 360, col, -1, AA)
                elif it.opts.get("peas"):
                    cv2.circle(img, (px, py), 5, col, -1, AA)
                else:
                    cv2.ellipse(img, (px, py), (10, 6), r.uniform(0, 180), 0, 360, col, -1, AA)
        elif it.opts.get("paper"):
            for _ in range(14):
                px, py = int(r.uniform(90, 230)), int(r.uniform(152, 192))
                cv2.rectangle(img, (px - 8, py - 6), (px + 8, py + 6), (40, 40, 40), -1)
        else:  # chips
            for _ in range(10):
                px, py = int(r.uniform(96, 224)), int(r.uniform(150, 194))
                cv2.ellipse(img, (px, py), (18, 11), r.uniform(0, 180), 0, 360,
                            scale_col(bgr(it.opts["window"]), r.uniform(0.85, 1.08)), -1, AA)
        text = (x0 + 8, y0 + 24, x1 - 8, 134)
    else:
        text = (x0 + 8, y0 + 24, x1 - 8, y1 - BLOCK_H - 26)
    return text, bar_h_bottom(x0, x1, y1 - 20)


def draw_tube(img: np.ndarray, it: Item, rng: np.random.Generator) -> tuple[Box, Bar]:
    main, cap = bgr(it.main), bgr(it.opts.get("cap", "#ffffff"))
    y_mid = 168
    shadow(img, 165, y_mid + 86, 150, 10)
    cm = new_mask()
    rrect(cm, 8, y_mid - 36, 44, y_mid + 36, 10)
    paint(img, cm, cap, "v")
    for k in range(6):
        cv2.line(img, (10 + k * 6, y_mid - 32), (10 + k * 6, y_mid + 32), scale_col(cap, 0.8), 1, AA)
    m = new_mask()
    poly(m, [(40, y_mid - 78), (292, y_mid - 68), (292, y_mid + 68), (40, y_mid + 78)])
    cv2.ellipse(m, (40, y_mid), (12, 78), 0, 90, 270, 255, -1, AA)
    paint(img, m, main, "v", 1.4)
    km = new_mask()
    cv2.rectangle(km, (290, y_mid - 72), (312, y_mid + 72), 255, -1)
    paint(img, km, scale_col(main, 0.85), "flat")
    for k in range(8):
        cv2.line(img, (292 + k * 3, y_mid - 70), (292 + k * 3, y_mid + 70), scale_col(main, 0.6), 1)
    cv2.rectangle(img, (48, y_mid + 8), (286, y_mid + 12), bgr(it.accent), -1)
    return (52, y_mid - 72, 284, y_mid + 6), ("h", 168 - BLOCK_W // 2, y_mid + 16)


def draw_blister(img: np.ndarray, it: Item, rng: np.random.Generator) -> tuple[Box, Bar]:
    main, acc = bgr(it.main), bgr(it.accent)
    x0, x1, y0, y1 = 38, 282, 10, 312
    m = new_mask()
    rrect(m, x0, y0, x1, y1, 14)
    paint(img, m, main, "flat")
    cv2.ellipse(img, (160, y0 + 14), (18, 6), 0, 0, 360, (236, 236, 236), -1, AA)  # hang slot
    cv2.ellipse(img, (160, y0 + 14), (18, 6), 0, 0, 360, scale_col(main, 0.6), 1, AA)
    # the bubble with the goods
    bx0, by0, bx1, by1 = x0 + 16, 110, x1 - 16, 236
    kind = it.opts["items"]
    bm = new_mask()
    rrect(bm, bx0, by0, bx1, by1, 16)
    paint(img, bm, mix(main, (255, 255, 255), 0.55), "flat", outline=True)
    if kind in ("aa", "aaa"):
        n = it.opts["count"]
        bw = 22 if kind == "aa" else 16
        gap = (bx1 - bx0 - n * bw) // (n + 1)
        for k in range(n):
            cx0 = bx0 + gap + k * (bw + gap)
            bm = new_mask()
            rrect(bm, cx0, by0 + 16, cx0 + bw, by1 - 12, 4)
            paint(img, bm, bgr(it.opts["body"]), "cyl")
            tm = new_mask()
            rrect(tm, cx0, by0 + 16, cx0 + bw, by0 + 16 + (by1 - by0) // 3, 4)
            paint(img, tm, bgr(it.opts["top"]), "cyl")
            cv2.rectangle(img, (cx0 + bw // 3, by0 + 10), (cx0 + bw - bw // 3, by0 + 16), (200, 200, 200), -1)
    elif kind == "toothbrush":
        for k, col in enumerate((bgr("#0a58b4"), bgr("#e2231a"))):
            cx = bx0 + 58 + k * 96
            hm = new_mask()
            rrect(hm, cx - 9, by0 + 40, cx + 9, by1 - 8, 8)
            paint(img, hm, col, "cyl")
            hd = new_mask()
            rrect(hd, cx - 8, by0 + 8, cx + 8, by0 + 44, 6)
            paint(img, hd, (245, 245, 245), "cyl")
            for yy in range(by0 + 12, by0 + 42, 5):
                cv2.line(img, (cx - 6, yy), (cx + 6, yy), bgr("#7fc8f0"), 2)
    elif kind == "tapemeasure":
        tm = new_mask()
        rrect(tm, 110, by0 + 10, 210, by1 - 10, 22)
        paint(img, tm, bgr("#ffd200"), "flat")
        cv2.circle(img, (160, (by0 + by1) // 2), 34, (30, 30, 30), -1, AA)
        cv2.circle(img, (160, (by0 + by1) // 2), 12, (160, 160, 160), -1, AA)
        cv2.rectangle(img, (206, by1 - 34), (236, by1 - 22), (40, 40, 40), -1)
    elif kind == "glue":
        gm = new_mask()
        poly(gm, [(96, 150), (196, 150), (232, 166), (232, 180), (196, 196), (96, 196)])
        paint(img, gm, (225, 225, 228), "v")
        cm = new_mask()
        rrect(cm, 232, 160, 258, 186, 4)
        paint(img, cm, acc, "v")
        cv2.rectangle(img, (100, 162), (190, 184), acc, -1)
    elif kind == "cord":
        for k in range(5):
            cv2.ellipse(img, (160, (by0 + by1) // 2), (70 - k * 3, 40 - k * 2), 8 * k, 0, 360,
                        bgr("#f07c00"), 5, AA)
        pm = new_mask()
        rrect(pm, 206, by0 + 14, 238, by0 + 52, 5)
        paint(img, pm, bgr("#f07c00"), "flat")
        cv2.rectangle(img, (214, by0 + 4), (218, by0 + 16), (180, 180, 180), -1)
        cv2.rectangle(img, (226, by0 + 4), (230, by0 + 16), (180, 180, 180), -1)
    return (x0 + 10, y0 + 28, x1 - 10, by0 - 6), bar_h_bottom(x0, x1, y1 - 12)


def draw_rolls(img: np.ndarray, it: Item, rng: np.random.Generator) -> tuple[Box, Bar]:
    main, acc = bgr(it.main), bgr(it.accent)
    roll = bgr(it.opts.get("roll", "#ffffff"))
    rows, cols = it.opts.get("rows", 2), it.opts.get("cols", 3)
    x0, x1, y0, y1 = 18, 302, 20, 308
    shadow(img, 160, y1, 146, 8)
    m = new_mask()
    rrect(m, x0, y0, x1, y1, 20)
    paint(img, m, mix(main, roll, 0.4), "flat")
    cw = (x1 - x0 - 8) // cols
    rh = (y1 - y0 - 8) // rows
    for r_ in range(rows):
        for c in range(cols):
            rm = new_mask()
            rrect(rm, x0 + 4 + c * cw + 2, y0 + 4 + r_ * rh + 2, x0 + 4 + (c + 1) * cw - 2,
                  y0 + 4 + (r_ + 1) * rh - 2, 12)
            paint(img, rm, mix(roll, main, 0.18), "cyl", 0.8)
    # printed wrap: a colour band with the brand, and a white panel for the barcode
    band = new_mask()
    cv2.rectangle(band, (x0, 70), (x1, 196), 255, -1)
    paint(img, band, acc if luma(main) > 200 else main, "flat", outline=False)
    return (x0 + 10, 74, x1 - 10, 192), bar_h_bottom(x0, x1, y1 - 18)


def draw_tub(img: np.ndarray, it: Item, rng: np.random.Generator) -> tuple[Box, Bar]:
    main, lid = bgr(it.main), bgr(it.opts.get("lid", "#ffffff"))
    tall = it.opts.get("tall", False)
    top, bot = (56, 306) if tall else (90, 306)
    tw, bw = 276, 244
    shadow(img, 160, bot, bw // 2 + 8, 8)
    m = new_mask()
    poly(m, [(160 - tw // 2, top), (160 + tw // 2, top), (160 + bw // 2, bot), (160 - bw // 2, bot)])
    cv2.ellipse(m, (160, bot), (bw // 2, 8), 0, 0, 180, 255, -1, AA)
    paint(img, m, main, "cyl", 0.7)
    lm = new_mask()
    cv2.rectangle(lm, (160 - tw // 2 - 4, top - 26), (160 + tw // 2 + 4, top + 6), 255, -1)
    cv2.ellipse(lm, (160, top - 26), (tw // 2 + 4, 14), 0, 0, 360, 255, -1, AA)
    paint(img, lm, lid, "cyl")
    cv2.line(img, (160 - tw // 2, top + 8), (160 + tw // 2, top + 8), scale_col(lid, 1.2), 2, AA)
    return (160 - tw // 2 + 22, top + 14, 160 + tw // 2 - 22, bot - BLOCK_H - 22), bar_h_bottom(36, 284, bot - 14)


def draw_jar(img: np.ndarray, it: Item, rng: np.random.Generator) -> tuple[Box, Bar]:
    main, lid, label = bgr(it.main), bgr(it.opts.get("lid", "#ffffff")), bgr(it.opts.get("label", "#ffffff"))
    x0, x1, y0, y1 = 26, 294, 62, 308
    shadow(img, 160, y1, 136, 8)
    m = new_mask()
    rrect(m, x0, y0, x1, y1, 34)
    paint(img, m, main, "cyl")
    lm = new_mask()
    rrect(lm, 56, 14, 264, 66, 8)
    paint(img, lm, lid, "cyl")
    for k in range(16):
        xx = 60 + k * 13
        cv2.line(img, (xx, 18), (xx, 62), scale_col(lid, 0.8), 1, AA)
    lb = new_mask()
    cv2.rectangle(lb, (x0 + 4, 96), (x1 - 4, y1 - 12), 255, -1)
    paint(img, lb, label, "cyl", 0.5, outline=False)
    return (x0 + 12, 100, x1 - 12, y1 - BLOCK_H - 22), bar_h_bottom(x0, x1, y1 - 16)


def draw_pouch(img: np.ndarray, it: Item, rng: np.random.Generator) -> tuple[Box, Bar]:
    main, acc = bgr(it.main), bgr(it.accent)
    x0, x1, y0, y1 = 16, 304, 44, 290
    shadow(img, 160, y1, 148, 10)
    m = new_mask()
    rrect(m, x0, y0, x1, y1, 18)
    paint(img, m, main, "v", 1.3)
    for yy in (y0 + 8, y1 - 8):  # seals
        cv2.line(img, (x0 + 10, yy), (x1 - 10, yy), scale_col(main, 0.8), 2, AA)
    pm = new_mask()
    cv2.rectangle(pm, (x0 + 14, y0 + 18), (x1 - 14, y0 + 120), 255, -1)
    paint(img, pm, acc, "flat", outline=False)
    return (x0 + 18, y0 + 20, x1 - 18, y0 + 118), bar_h_bottom(x0, x1, y1 - 16)


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
    cv2.rectangle(band, (4, 150), (316, 312), 255, -1)
    paint(img, band, main, "flat")
    cv2.rectangle(img, (4, 150), (316, 160), acc, -1)
    return (12, 164, 308, 226), ("h", 160 - BLOCK_W // 2, 238)


def draw_produce(img: np.ndarray, it: Item, rng: np.random.Generator) -> tuple[Box, Bar]:
    fruit = it.opts["fruit"]
    r = np.random.default_rng(zlib.crc32(fruit.encode()))
    shadow(img, 160, 186, 140, 16)
    if fruit == "banana":
        for k in range(5):
            cx, cy = 150 + k * 6, 210 - k * 14
            m = new_mask()
            cv2.ellipse(m, (cx, cy), (120, 92 - k * 4), -8 + k * 3, 200, 335, 255, 26, AA)
            paint(img, m, mix(bgr("#f7d633"), bgr("#c9b02a"), k * 0.12), "v", 1.5)
        cv2.rectangle(img, (34, 120), (58, 138), bgr("#6b4f1d"), -1)
        for k in range(5):
            cv2.circle(img, (250 + k * 3, 100 + k * 8), 5, bgr("#3a2a10"), -1, AA)
    elif fruit == "apple":
        for cx, cy in ((90, 130), (160, 120), (230, 130), (124, 74), (196, 74)):
            m = new_mask()
            cv2.circle(m, (cx, cy), 44, 255, -1, AA)
            paint(img, m, mix(bgr("#c0262d"), bgr("#e6a23c"), r.uniform(0.05, 0.35)), "cyl", 1.2)
            cv2.ellipse(img, (cx - 14, cy - 16), (10, 6), -30, 0, 360, bgr("#f3c2a0"), -1, AA)
            cv2.line(img, (cx, cy - 40), (cx + 4, cy - 54), bgr("#5a3a1a"), 3, AA)
    elif fruit == "avocado":
        for cx, cy, ang in ((92, 122, -20), (160, 108, 10), (228, 122, 25), (126, 64, 80), (196, 60, 95)):
            m = new_mask()
            cv2.ellipse(m, (cx, cy), (34, 46), ang, 0, 360, 255, -1, AA)
            cv2.circle(m, (cx + int(14 * np.sin(np.radians(ang))), cy - int(22 * np.cos(np.radians(ang)))),
                       26, 255, -1, AA)
            paint(img, m, mix(bgr("#2f3f1c"), bgr("#4d6b26"), r.uniform(0, 0.6)), "cyl", 1.0)
            for _ in range(14):
                px = cx + int(r.uniform(-22, 22))
                py = cy + int(r.uniform(-30, 30))
                cv2.circle(img, (px, py), 1, bgr("#6a8a3a"), -1)
    elif fruit == "tomato":
        for cx, cy, ang in ((86, 134, 20), (156, 126, -10), (226, 136, 15), (120, 76, -30), (194, 72, 35)):
            m = new_mask()
            cv2.ellipse(m, (cx, cy), (34, 46), ang, 0, 360, 255, -1, AA)
            paint(img, m, mix(bgr("#e03a1e"), bgr("#b3201a"), r.uniform(0, 0.5)), "cyl", 1.2)
            tip = (cx + int(40 * np.sin(np.radians(ang))), cy - int(40 * np.cos(np.radians(ang))))
            draw_logo(img, "star", tip[0], tip[1], 11, bgr("#2f7d32"), (0, 0, 0))
    # the scale label in front
    lx0, lx1, ly0, ly1 = 38, 282, 190, 310
    m = new_mask()
    rrect(m, lx0, ly0, lx1, ly1, 6)
    paint(img, m, bgr(it.main), "flat")
    cv2.rectangle(img, (lx0, ly0), (lx1, ly0 + 6), bgr(it.accent), -1)
    return (lx0 + 8, ly0 + 8, lx1 - 8, ly1 - BLOCK_H - 4), bar_h_bottom(lx0, lx1, ly1 - 2)


SHAPES = {
    "box": draw_box, "carton": draw_carton, "bottle": draw_bottle, "jug": draw_jug,
    "can": draw_can, "canister": draw_canister, "bag": draw_bag, "tube": draw_tube,
    "blister": draw_blister, "rolls": draw_rolls, "tub": draw_tub, "jar": draw_jar,
    "pouch": draw_pouch, "taperoll": draw_taperoll, "produce": draw_produce,
}  # fmt: skip


def draw_text(img: np.ndarray, it: Item, box: Box) -> None:
    """Logo, brand and product lines inside `box`."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    ink, logo_col = bgr(it.ink), bgr(it.logo_col)
    back = tuple(int(v) for v in img[min(IMG - 1, y0 + 2), min(IMG - 1, x0 + 2)])
    font = FONT[it.font]
    lines = it.lines
    brand_thick = 2 if it.font != "script" else 2
    if it.layout == "left":  # logo to the left of the brand
        r = min(22, h // 5)
        rowh = min(56, int(h * 0.42))
        draw_logo(img, it.logo, x0 + r + 2, y0 + rowh // 2, r, logo_col, back)
        put_fit(img, it.brand, (x0 + 2 * r + 10, y0, x1, y0 + rowh), ink, font, 1.6, brand_thick, "left")
        top = y0 + rowh + 4
    elif it.layout == "band":  # brand in an accent band
        rowh = min(50, int(h * 0.4))
        acc = bgr(it.accent)
        cv2.rectangle(img, (x0 - 2, y0), (x1 + 2, y0 + rowh), acc, -1)
        band_ink = (255, 255, 255) if luma(acc) < 150 else (20, 20, 20)
        r = min(16, rowh // 2 - 4)
        draw_logo(img, it.logo, x1 - r - 6, y0 + rowh // 2, r, logo_col if logo_col != acc else band_ink, acc)
        put_fit(img, it.brand, (x0 + 4, y0 + 4, x1 - 2 * r - 14, y0 + rowh - 4), band_ink, font, 1.5,
                brand_thick)
        top = y0 + rowh + 6
    else:  # stack: logo, brand, lines, centred
        r = max(8, min(20, h // 9))
        draw_logo(img, it.logo, (x0 + x1) // 2, y0 + r + 2, r, logo_col, back)
        rowh = min(48, int((h - 2 * r) * 0.42))
        put_fit(img, it.brand, (x0, y0 + 2 * r + 6, x1, y0 + 2 * r + 6 + rowh), ink, font, 1.6,
                brand_thick)
        top = y0 + 2 * r + 10 + rowh
    if not lines:
        return
    avail = y1 - top
    lh = max(10, min(26, avail // len(lines)))
    for k, line in enumerate(lines):
        ly = top + k * lh
        if ly + lh > y1 + 6:
            break
        put_fit(img, line, (x0 + 2, ly, x1 - 2, ly + lh - 4), ink,
                cv2.FONT_HERSHEY_DUPLEX if k == 0 else cv2.FONT_HERSHEY_SIMPLEX,
                0.8 if k == 0 else 0.6, 2 if k == 0 and lh >= 20 else 1)


def render_product(it: Item) -> np.ndarray:
    sku = full_sku(it)
    rng = np.random.default_rng(int(sku) % (2**32))
    img = background(rng)
    text_box, (orient, bx, by) = SHAPES[it.kind](img, it, rng)
    draw_text(img, it, text_box)
    block = barcode_block(sku)
    if orient == "v":
        block = np.ascontiguousarray(np.rot90(block))  # bars horizontal, read bottom to top
    bh, bw = block.shape
    if not (0 <= bx and bx + bw <= IMG and 0 <= by and by + bh <= IMG):
        raise ValueError(f"{it.name}: barcode at {bx},{by} size {bw}x{bh} is off the image")
    img[by : by + bh, bx : bx + bw] = block[..., None]
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


def put_text(img: np.ndarray, text: str, center: tuple[int, int], scale: float,
             col: tuple[int, int, int], thick: int = 1, font: int = cv2.FONT_HERSHEY_SIMPLEX) -> None:
    (tw, th), _ = cv2.getTextSize(text, font, scale, thick)
    cv2.putText(img, text, (center[0] - tw // 2, center[1] + th // 2), font, scale, col, thick, AA)


def put_text_vertical(img: np.ndarray, text: str, center: tuple[int, int], scale: float,
                      col: tuple[int, int, int], back: tuple[int, int, int], thick: int = 1) -> None:
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
    put_text_vertical(img, "produce cooler", (px0 + 17, (py0 + py1) // 2 + 120), 0.45,
                      bgr("#1b4d1f"), bgr("#8fcf8a"))
    for ty, label in ((330, "Vegetables"), (430, "Salad bar"), (540, "Fruit"), (640, "Bananas, apples")):
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
    (tw, th), _ = cv2.getTextSize("DAIRY COOLER", cv2.FONT_HERSHEY_SIMPLEX, 0.65, 2)
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
    hx0, hy0, hx1, hy1 = PHARMACY
    cv2.rectangle(img, (hx0 + 10, hy0 + 6), (hx1 - 6, hy0 + 46), bgr("#c9a9e6"), -1)
    cv2.rectangle(img, (hx0 + 10, hy0 + 6), (hx1 - 6, hy0 + 46), bgr(DEPT["pharmacy"][1]), 1)
    put_text(img, "Pharmacy counter", ((hx0 + hx1) // 2, hy0 + 26), 0.5, bgr("#3d1f5e"), 1)
    put_text(img, "PHARMACY", ((hx0 + hx1) // 2, hy0 + 110), 0.9, bgr(DEPT["pharmacy"][1]), 2)
    for uy in PH_UNITS_Y:
        cv2.rectangle(img, (hx0 + 18, uy), (hx1 - 12, uy + 20), bgr("#c9a9e6"), -1)
        cv2.rectangle(img, (hx0 + 18, uy), (hx1 - 12, uy + 20), bgr("#777777"), 1)
    for k, what in ((0, "teeth, sun, first aid"), (1, "pain, allergy, cold")):
        y_mid = PH_UNITS_Y[k] + 20 + (PH_UNITS_Y[k + 1] - PH_UNITS_Y[k] - 20) // 2
        put_text(img, f"Aisle {k + 1}", ((hx0 + hx1) // 2, y_mid - 26), 0.6, bgr(DEPT["pharmacy"][1]), 2)
        put_text(img, what, ((hx0 + hx1) // 2, y_mid + 28), 0.45, bgr("#55407a"), 1)
    # checkouts
    for k in range(6):
        x = 400 + k * 92
        cv2.rectangle(img, (x, CHECKOUT_Y[0]), (x + 22, CHECKOUT_Y[1]), bgr("#c8c8c8"), -1)
        cv2.rectangle(img, (x, CHECKOUT_Y[0]), (x + 22, CHECKOUT_Y[1]), bgr("#777777"), 1)
        cv2.rectangle(img, (x + 24, CHECKOUT_Y[1] - 22), (x + 44, CHECKOUT_Y[1]), bgr("#9e9e9e"), -1)
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
    cv2.arrowedLine(img, (ecx, MAP_H - 18), (ecx, MAP_H - 62), bgr("#2e7d32"), 3, AA, tipLength=0.35)
    put_text(img, "ENTRANCE", (ecx, MAP_H - 84), 0.6, bgr("#2e7d32"), 2)
    # the kiosk
    kx, ky = ex0 - 30, MAP_H - 64
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
        "",
        "# --- shelves " + "-" * 80,
    ]
    for s in SHELVES:
        out += ["", f"[[shelf]]  # {s.area}", f"id = {q(s.id)}", f"label = {q(s.label)}",
                f"map_xy = [{s.xy[0]}, {s.xy[1]}]"]
    out += ["", "# --- products " + "-" * 78]
    label = {s.id: s.label for s in SHELVES}
    last = None
    for it in PRODUCTS:
        sku = full_sku(it)
        if it.shelf != last:
            out += ["", f"# {it.shelf}: {label[it.shelf]}"]
            last = it.shelf
        aliases = ", ".join(q(a) for a in it.aliases)
        out += ["", "[[product]]", f"sku = {q(sku)}", f"name = {q(it.name)}",
                f"aliases = [{aliases}]", f"shelf = {q(it.shelf)}", f"price = {it.price:.2f}",
                f'images = ["images/{sku}.jpg"]']
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------


def decode(img: np.ndarray) -> str:
    detector = cv2.barcode.BarcodeDetector()
    text, _points, _ = detector.detectAndDecode(img)
    return text or ""


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
    print(f"{len(doc['product'])} products on {len(shelves)} shelves; "
          f"barcodes decoded {decoded}/{len(doc['product'])}")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="store pack folder")
    ap.add_argument("--check-only", action="store_true", help="only check an existing pack")
    args = ap.parse_args(argv)
    out: Path = args.out
    assert full_sku(PRODUCTS[[p.name for p in PRODUCTS].index("Duracell AA batteries, 8 pack")]) \
        == "0041333424019"
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
