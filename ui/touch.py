"""The touch fallback for noisy stores: a search field, an on-screen keyboard and tappable
suggestions. Each search goes to `ask`, which runs the same answer path as speech off the GUI
thread (kiosk.text_questions); the answer arrives back as ordinary events."""

from __future__ import annotations

import re
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from kiosk.store.pack import StorePack
from ui import theme

Ask = Callable[[str], object]

ROWS = ("1234567890", "qwertyuiop", "asdfghjkl'", "zxcvbnm-.")


def pick_suggestions(
    store: StorePack, answers_locally: Callable[[str], bool] | None = None, count: int = 6
) -> list[str]:
    """A few searches spread across the store: one everyday name per chosen shelf, each one
    the local path answers (checked with `answers_locally` when given)."""
    shelves = [s for s in store.shelves.values() if s.id != store.service_desk] or list(
        store.shelves.values()
    )
    by_shelf: dict[str, list[str]] = {}
    for product in store.products:
        words = re.findall(r"[\w'-]+", product.name.lower())
        names = sorted(
            (a for a in product.aliases if len(a.split()) <= 2),
            key=lambda a: (not _within(a.lower().split(), words), -len(a.split()), len(a)),
        )
        by_shelf.setdefault(product.shelf, []).extend(names)
    order = [i * len(shelves) // count for i in range(count)]
    order += [i for i in range(len(shelves)) if i not in order]
    picked: list[str] = []
    for index in order:
        for alias in by_shelf.get(shelves[index].id, [])[:3]:
            label = alias[:1].upper() + alias[1:]
            if label.lower() in (p.lower() for p in picked):
                continue
            if answers_locally is None or answers_locally(alias):
                picked.append(label)
                break
        if len(picked) >= count:
            break
    return picked


def _within(part: list[str], whole: list[str]) -> bool:
    n = len(part)
    return any(whole[i : i + n] == part for i in range(len(whole) - n + 1))


class OnScreenKeyboard(QWidget):
    """Letter keys that type into `target`; Search submits, Hide closes the keyboard."""

    def __init__(self, target: QLineEdit, submit: Callable[[], None]) -> None:
        super().__init__()
        self._target = target
        self._submit = submit
        self.keys: dict[str, QPushButton] = {}
        grid = QGridLayout(self)
        grid.setSpacing(8)
        for r, row in enumerate(ROWS):
            for c, char in enumerate(row):
                self._key(grid, char.upper() if char.isalpha() else char, char, r, c * 2, 2)
        self._key(grid, "⌫ Delete", "\b", 1, 20, 3)
        self._key(grid, "Space", " ", 4, 4, 10)
        self._key(grid, "Search", "\n", 2, 20, 3)
        self._key(grid, "Hide", "hide", 4, 16, 4)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setObjectName("keyboard")
        self.apply_scale(1.0)

    def _key(
        self, grid: QGridLayout, label: str, value: str, row: int, col: int, span: int
    ) -> None:
        button = QPushButton(label)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        button.clicked.connect(lambda: self.press(value))
        grid.addWidget(button, row, col, 1, span)
        self.keys[value] = button

    def apply_scale(self, scale: float) -> None:
        height = theme.touch_px(scale)
        pad = round(16 * scale)
        self.setStyleSheet(
            f"QWidget#keyboard {{ background: {theme.PANEL}; border: 2px solid {theme.UNSPOKEN};"
            f" border-radius: {pad}px; }}"
        )
        layout = self.layout()
        if layout is not None:
            layout.setContentsMargins(pad, pad, pad, pad)
        for value, button in self.keys.items():
            button.setMinimumHeight(height)
            button.setMinimumWidth(height if len(value) == 1 else 2 * height)
            strong = value in ("\n",)
            button.setFont(theme.font(round(30 * scale), bold=True))
            bg, ink = (theme.SPEAKING, "#ffffff") if strong else (theme.CHIP, theme.INK)
            button.setStyleSheet(
                f"QPushButton {{ background: {bg}; color: {ink}; border: none;"
                f" border-radius: {round(10 * scale)}px; }}"
                f"QPushButton:pressed {{ background: {theme.UNSPOKEN}; }}"
            )

    def press(self, value: str) -> None:
        if value == "\b":
            self._target.backspace()
        elif value == "\n":
            self._submit()
        elif value == "hide":
            self.hide()
        else:
            self._target.insert(value)


class SearchField(QLineEdit):
    """Opens the on-screen keyboard when touched."""

    def __init__(self, on_touch: Callable[[], None]) -> None:
        super().__init__()
        self._on_touch = on_touch

    def mousePressEvent(self, event: object) -> None:
        super().mousePressEvent(event)  # type: ignore[arg-type]
        self._on_touch()


class TouchBar(QWidget):
    """Search field, Search button and suggestion chips in one row; the keyboard sits above."""

    def __init__(self, ask: Ask | None, suggestions: list[str]) -> None:
        super().__init__()
        self._ask = ask
        self.field = SearchField(self.open_keyboard)
        self.field.setPlaceholderText("Search products…")
        self.field.setMaxLength(80)
        self.field.returnPressed.connect(self.submit)
        self.field.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # no caret until touched
        self.go = QPushButton("Search")
        self.go.clicked.connect(self.submit)
        self.chips = [QPushButton(text) for text in suggestions]
        for chip, text in zip(self.chips, suggestions, strict=True):
            chip.clicked.connect(lambda _=False, t=text: self.search(t))
        for button in [self.go, *self.chips]:
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.keyboard = OnScreenKeyboard(self.field, self.submit)
        self.keyboard.hide()
        self.place_keyboard: Callable[[OnScreenKeyboard], None] | None = None
        """The window floats the keyboard over its lower half; set by the window."""
        self.scale = 1.0
        row = QHBoxLayout(self)
        row.addWidget(self.field, 1)
        row.addWidget(self.go)
        for chip in self.chips:
            row.addWidget(chip)
        self._row = row
        self.setEnabled(ask is not None)
        self.apply_scale(1.0)

    def apply_scale(self, scale: float) -> None:
        height = theme.touch_px(scale)
        radius = height // 2
        self.field.setMinimumHeight(height)
        self.field.setFont(theme.font(round(30 * scale)))
        self.field.setStyleSheet(
            f"QLineEdit {{ background: #ffffff; color: {theme.INK};"
            f" border: {max(2, round(3 * scale))}px solid {theme.MUTED};"
            f" border-radius: {radius}px; padding: 0 {round(24 * scale)}px; }}"
        )
        buttons = [(self.go, theme.SPEAKING, "#ffffff")]
        buttons += [(c, theme.CHIP, theme.CHIP_INK) for c in self.chips]
        for button, bg, ink in buttons:
            button.setMinimumHeight(height)
            button.setFont(theme.font(round(28 * scale), bold=True))
            button.setStyleSheet(
                f"QPushButton {{ background: {bg}; color: {ink}; border: none;"
                f" border-radius: {radius}px; padding: 0 {round(26 * scale)}px; }}"
                f"QPushButton:pressed {{ background: {theme.UNSPOKEN}; }}"
            )
        self.field.setMinimumWidth(round(560 * scale))
        self._row.setSpacing(round(14 * scale))
        m = round(18 * scale)
        self._row.setContentsMargins(round(28 * scale), m, round(28 * scale), m)
        self.scale = scale
        self.keyboard.apply_scale(scale)
        self._fit_chips()

    def resizeEvent(self, event: object) -> None:
        self._fit_chips()

    def _fit_chips(self) -> None:
        """Show as many suggestions as fit beside the field, in order; never widen the window."""
        spacing = self._row.spacing()
        margins = self._row.contentsMargins()
        room = self.width() - margins.left() - margins.right()
        room -= self.field.minimumWidth() + self.go.sizeHint().width() + spacing
        for chip in self.chips:
            need = chip.sizeHint().width() + spacing
            chip.setVisible(need <= room)
            room -= need if need <= room else room + 1

    def open_keyboard(self) -> None:
        if self._ask is not None:
            if self.place_keyboard is not None:
                self.place_keyboard(self.keyboard)
            self.keyboard.show()
            self.keyboard.raise_()

    def submit(self) -> None:
        text = self.field.text()
        if self.search(text):
            self.field.clear()
            self.keyboard.hide()

    def search(self, text: str) -> bool:
        """Hand a search to the answer path; never waits for the answer."""
        if self._ask is None or not text.strip():
            return False
        self._ask(text.strip())
        return True
