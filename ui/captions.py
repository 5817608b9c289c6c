"""Captions: what the shopper asked, and the kiosk's reply word by word as it plays.

`CaptionTrack` is the pure part: given the reply text and its audio length it says how many
words have been spoken after `played_s`. The view follows the speaker's `ReplyProgress` events
and, between them (or when the audio stage sends none), its own clock from the reply's start.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from kiosk.events import ReplyProgress, ReplyStarted, UserSaid
from ui import theme

CHARS_PER_SECOND = 14.0
"""Piper's voices speak about 14 characters a second; used when the audio length is unknown."""
_PAUSE_CHARS = {",": 2.0, ";": 3.0, ":": 3.0, ".": 5.0, "!": 5.0, "?": 5.0}
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class CaptionTrack:
    words: tuple[str, ...]
    starts_s: tuple[float, ...]
    """When each word starts, spread over the audio by its length and the pause after it."""
    total_s: float

    @classmethod
    def of(cls, text: str, total_s: float = 0.0) -> CaptionTrack:
        words = tuple(_WORD.findall(text))
        weights = [len(w) + 1.0 + _PAUSE_CHARS.get(w[-1], 0.0) for w in words]
        chars = sum(weights)
        total = total_s if total_s > 0 else chars / CHARS_PER_SECOND
        starts, at = [], 0.0
        for weight in weights:
            starts.append(at * total / chars if chars else 0.0)
            at += weight
        return cls(words, tuple(starts), total)

    def spoken(self, played_s: float) -> int:
        """How many words have started after `played_s` seconds of audio."""
        if played_s >= self.total_s:
            return len(self.words)
        return sum(1 for start in self.starts_s if start <= played_s)


class CaptionView(QWidget):
    """'You asked' and the reply, with the words still to come in grey."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._clock = clock
        self.asked_title = QLabel("")
        self.asked = QLabel("")
        self.reply_title = QLabel("")
        self.reply = QLabel("")
        self.reply.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for label in (self.asked_title, self.asked, self.reply_title, self.reply):
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
            layout.addWidget(label)
        layout.setSpacing(6)
        layout.addStretch(1)
        # take the room that is left and fit the text to it, never grow the window
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        self.track: CaptionTrack | None = None
        self.scale = 1.0
        self.words_shown = 0
        self._anchor_played = 0.0
        self._anchor_at = 0.0
        self._done = False
        self._timer = QTimer(self)
        self._timer.setInterval(60)
        self._timer.timeout.connect(self.tick)
        self.apply_scale(1.0)

    def apply_scale(self, scale: float) -> None:
        self.scale = scale
        px = round(24 * scale)
        for title in (self.asked_title, self.reply_title):
            title.setFont(theme.font(px, bold=True))
            title.setStyleSheet(f"color: {theme.MUTED};")
        self.asked.setFont(theme.font(round(36 * scale)))
        self.asked.setStyleSheet(f"color: {theme.INK};")
        self.asked.setContentsMargins(0, 0, 0, round(18 * scale))
        self._fit_reply()

    def resizeEvent(self, event: object) -> None:
        self._fit_reply()

    def _fit_reply(self) -> None:
        """The largest reply type (56 px at 1080p, never below 26) that fits the panel whole."""
        text = " ".join(self.track.words) if self.track else ""
        room = self.height() - self.reply.y() if self.reply.y() > 0 else self.height()
        width = max(100, self.width())
        for size in (56, 50, 44, 40, 36, 32, 29, 26):
            f = theme.font(round(size * self.scale), bold=True)
            need = QFontMetrics(f).boundingRect(
                QRect(0, 0, width, 100_000), Qt.TextFlag.TextWordWrap, text
            )
            if need.height() <= room:
                break
        self.reply.setFont(f)

    def show_question(self, event: UserSaid) -> None:
        self.asked_title.setText("YOU TYPED" if event.source == "touch" else "YOU ASKED")
        self.asked.setText(f"“{event.text}”" if event.text else "…")
        self.reply_title.setText("")
        self.reply.setText("")
        self.track = None
        self._timer.stop()

    def start_reply(self, event: ReplyStarted) -> None:
        self.track = CaptionTrack.of(event.text, event.audio_s)
        self.reply_title.setText("ANSWER")
        self._anchor_played, self._anchor_at, self._done = 0.0, self._clock(), False
        self.words_shown = -1
        self._fit_reply()
        self._render(self.track.spoken(0.0))
        self._timer.start()

    def follow(self, event: ReplyProgress) -> None:
        """The speaker's own account of how far it got; it wins over the local clock."""
        if self.track is None:
            return
        if event.done:
            self._done = True
            self._timer.stop()
            played = self.track.total_s if not event.interrupted else event.played_s
            self._render(self.track.spoken(played), cut=event.interrupted)
            return
        if event.total_s > 0 and abs(event.total_s - self.track.total_s) > 0.05:
            self.track = CaptionTrack.of(" ".join(self.track.words), event.total_s)
        self._anchor_played, self._anchor_at = event.played_s, self._clock()
        self.tick()

    def finish(self) -> None:
        """The reply is over (the agent went back to listening): show every word."""
        if self.track is not None and not self._done:
            self._done = True
            self._timer.stop()
            self._render(len(self.track.words))

    def tick(self) -> None:
        if self.track is None or self._done:
            return
        played = self._anchor_played + (self._clock() - self._anchor_at)
        shown = self.track.spoken(played)
        self._render(shown)
        if shown >= len(self.track.words):
            self._timer.stop()

    def _render(self, shown: int, cut: bool = False) -> None:
        if self.track is None or (shown == self.words_shown and not cut):
            return
        self.words_shown = shown
        said = html.escape(" ".join(self.track.words[:shown]), quote=False)
        rest = html.escape(" ".join(self.track.words[shown:]), quote=False)
        if cut and rest:
            self.reply.setText(f'<span style="color:{theme.INK}">{said} …</span>')
            return
        gap = " " if said and rest else ""
        self.reply.setText(
            f'<span style="color:{theme.INK}">{said}</span>{gap}'
            f'<span style="color:{theme.UNSPOKEN}">{rest}</span>'
        )
