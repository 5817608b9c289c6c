from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from edge.audio_io import RecordingSpeaker
from edge.stt import Transcript
from kiosk.agent.turn import TurnEngine, TurnResult
from kiosk.events import Event, StatusChanged
from kiosk.store.pack import StorePack
from kiosk.text_questions import TextQuestions
from tests.ui.conftest import WindowFactory
from ui import theme
from ui.bridge import EventBridge
from ui.touch import pick_suggestions
from ui.window import KioskWindow

pytestmark = pytest.mark.ui


def _wire(
    make_window: WindowFactory, engine: object, speaker: RecordingSpeaker | None = None
) -> tuple[KioskWindow, TextQuestions, list[Event]]:
    bridge = EventBridge()
    events: list[Event] = []
    play = (lambda r: speaker.play(r.reply_audio, r.reply_rate)) if speaker else None
    questions = TextQuestions(engine, play, bridge.post)  # type: ignore[arg-type]
    win = make_window(ask=questions.ask)
    win.wake()
    bridge.connect_to(events.append)
    bridge.connect_to(win.on_event)
    return win, questions, events


def test_a_tapped_suggestion_answers_and_moves_the_pointer(
    make_window: WindowFactory, demo_engine: TurnEngine, qtbot: QtBot
) -> None:
    speaker = RecordingSpeaker()
    win, questions, events = _wire(make_window, demo_engine, speaker)
    chip = next(c for c in win.touch.chips if c.text() == "AA batteries")
    qtbot.mouseClick(chip, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.map_view.shelf_id == "A5-L", timeout=5000)
    qtbot.waitUntil(lambda: win.state == "listening", timeout=5000)
    assert win.captions.asked.text() == "“AA batteries”"
    assert win.captions.asked_title.text() == "YOU TYPED"
    track = win.captions.track
    assert track is not None and "aisle 5, left side" in " ".join(track.words)
    assert win.captions.words_shown == len(track.words)  # finished when speaking ended
    assert len(speaker.played) == 1  # spoken, like a voice answer
    states = [e.state for e in events if isinstance(e, StatusChanged)]
    assert states == ["thinking", "speaking", "listening"]
    questions.close()


def test_typing_on_the_on_screen_keyboard_searches(
    make_window: WindowFactory, demo_engine: TurnEngine, qtbot: QtBot
) -> None:
    win, questions, _ = _wire(make_window, demo_engine)
    keyboard = win.touch.keyboard
    assert keyboard.isHidden()
    qtbot.mouseClick(win.touch.field, Qt.MouseButton.LeftButton)
    assert keyboard.isVisible()
    for key in ("m", "i", "l", "x", "\b", "k"):
        qtbot.mouseClick(keyboard.keys[key], Qt.MouseButton.LeftButton)
    assert win.touch.field.text() == "milk"
    qtbot.mouseClick(keyboard.keys["\n"], Qt.MouseButton.LeftButton)
    assert keyboard.isHidden() and win.touch.field.text() == ""
    qtbot.waitUntil(lambda: win.map_view.shelf_id == "D1", timeout=5000)
    assert "dairy cooler" in win.banner.text()
    questions.close()


def test_an_empty_search_does_nothing(make_window: WindowFactory, demo_engine: TurnEngine) -> None:
    asked: list[str] = []
    win = make_window(ask=asked.append)
    win.wake()
    win.touch.field.setText("   ")
    win.touch.submit()
    assert asked == []


def test_touch_targets_are_at_least_9_mm(window: KioskWindow) -> None:
    window.touch.open_keyboard()
    minimum = theme.mm_to_px(9.0)
    buttons = window.touch.findChildren(QPushButton) + window.touch.keyboard.findChildren(
        QPushButton
    )
    assert len(buttons) > 40
    for button in buttons:
        assert button.minimumHeight() >= minimum, button.text()
    assert window.touch.field.minimumHeight() >= minimum


def test_suggestions_are_answered_locally_and_spread_over_the_store(
    demo_store: StorePack, demo_engine: TurnEngine
) -> None:
    def local(text: str) -> bool:
        return demo_engine.route(Transcript(text, 1.0, 0.0)).route == "local"

    picks = pick_suggestions(demo_store, local, count=6)
    assert len(picks) == 6 and len({p.lower() for p in picks}) == 6
    assert all(local(p) for p in picks)
    shelves = set()
    for pick in picks:
        decision = demo_engine.route(Transcript(pick, 1.0, 0.0))
        assert decision.product is not None
        shelves.add(decision.product.shelf)
    assert len(shelves) == 6


class _SlowEngine:
    """Answers only when the test lets it: the agent stuck in a slow model call."""

    def __init__(self, real: TurnEngine) -> None:
        self.real = real
        self.entered = threading.Event()
        self.release = threading.Event()

    def answer(self, transcript: Transcript) -> TurnResult:
        self.entered.set()
        self.release.wait(10)
        return self.real.answer(transcript)


def test_the_ui_thread_stays_responsive_while_the_agent_is_busy(
    make_window: WindowFactory, demo_engine: TurnEngine, qtbot: QtBot
) -> None:
    slow = _SlowEngine(demo_engine)
    win, questions, _ = _wire(make_window, slow)
    beats: list[int] = []
    win.heartbeat.append(lambda: beats.append(1))
    ticks: list[int] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()

    chip = next(c for c in win.touch.chips if c.text() == "Whole milk")
    qtbot.mouseClick(chip, Qt.MouseButton.LeftButton)  # returns at once
    assert slow.entered.wait(5)
    # while the answer is stuck, the GUI thread keeps running its timers and drawing
    qtbot.waitUntil(lambda: len(ticks) >= 10 and len(beats) >= 1, timeout=5000)
    assert win.state == "thinking" and win.status.text == "Thinking…"
    frame = np.zeros((36, 64, 3), np.uint8)
    from kiosk.events import FramePreview

    win.on_event(FramePreview(frame, 1))
    assert win.camera.live
    slow.release.set()
    qtbot.waitUntil(lambda: win.map_view.shelf_id == "D1", timeout=5000)
    timer.stop()
    questions.close()
