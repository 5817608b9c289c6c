"""The developer HUD (windowed mode only): each turn's route and reason, stage latencies,
cloud tokens this session, the microphone's VAD level and the camera preview's frame rate.
It shows no transcript: the captions already do, and a HUD ends up in screen recordings."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from kiosk.events import AudioLevel, ReplyStarted, TurnCompleted
from ui import theme


class DevHud(QLabel):
    def __init__(self) -> None:
        super().__init__()
        self.turns = 0
        self.route = "-"
        self.reason = ""
        self.timings: dict[str, float] = {}
        self.tokens = 0
        self.latency_ms: float | None = None
        self.vad = 0.0
        self.level_db = -90.0
        self.camera_fps = 0.0
        self.people = 0
        self.setWordWrap(True)
        self.apply_scale(1.0)
        self.refresh()

    def apply_scale(self, scale: float) -> None:
        self.setFont(theme.font(round(17 * scale), family="DejaVu Sans Mono"))
        pad = round(10 * scale)
        self.setStyleSheet(
            f"color: #e8eaed; background: rgba(32, 33, 36, 215); padding: {pad}px;"
            f" border-radius: {pad}px;"
        )

    def on_reply(self, event: ReplyStarted) -> None:
        self.turns += 1
        self.route, self.reason, self.timings = event.route, event.reason, dict(event.timings_ms)
        self.refresh()

    def on_turn(self, event: TurnCompleted) -> None:
        """The finished turn: cloud tokens and the end-to-end latency."""
        self.tokens += event.total_tokens
        self.latency_ms = event.latency_ms
        self.refresh()

    def on_level(self, event: AudioLevel) -> None:
        self.vad, self.level_db = event.speech_probability, event.rms_dbfs
        self.refresh()

    def on_fps(self, camera_fps: float) -> None:
        self.camera_fps = camera_fps
        self.refresh()

    def refresh(self) -> None:
        bar = "█" * round(self.vad * 10) + "·" * (10 - round(self.vad * 10))
        stages = "  ".join(f"{k} {v:.0f}" for k, v in self.timings.items()) or "-"
        self.setText(
            f"DEV  turn {self.turns}  route {self.route}\n"
            f"why  {self.reason or '-'}\n"
            f"ms   {stages}\n"
            f"e2e  {'-' if self.latency_ms is None else f'{self.latency_ms:.0f} ms'}"
            " (end of speech to first reply audio)\n"
            f"tok  {self.tokens} this session\n"
            f"vad  {bar} {self.vad:.2f}  {self.level_db:.0f} dBFS\n"
            f"cam  {self.camera_fps:.1f} fps  people {self.people}"
        )
