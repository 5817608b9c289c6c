"""Typed events the agent emits for its observers (the UI, logs, telemetry)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

AgentState = Literal["starting", "idle", "listening", "thinking", "speaking", "offline", "stopped"]


@dataclass(frozen=True)
class StatusChanged:
    state: AgentState
    detail: str = ""
    """A short line for the shopper, e.g. 'Microphone unavailable'. Never a transcript."""


@dataclass(frozen=True)
class UserSaid:
    text: str
    source: Literal["voice", "touch"] = "voice"


@dataclass(frozen=True)
class ReplyStarted:
    text: str
    route: str
    reason: str
    shelf_id: str | None
    timings_ms: dict[str, float] = field(default_factory=dict)
    audio_s: float = 0.0
    """Length of the reply audio about to play; 0 when unknown (the UI then estimates it)."""


@dataclass(frozen=True)
class PointToShelf:
    shelf_id: str


@dataclass(frozen=True)
class ReplyProgress:
    """How much of the current reply the speaker has played. The audio stage emits it a few
    times a second while a reply plays, and once with `done` when it ends or is cut off; the
    captions follow it word by word."""

    played_s: float
    total_s: float
    done: bool = False
    interrupted: bool = False


@dataclass(frozen=True)
class FaceBox:
    """A face in a preview frame, in that frame's pixels (before mirroring)."""

    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True)
class FramePreview:
    """A small camera frame for the screen (about 640 px wide), emitted at up to 15 fps.
    `image` is HxWx3 uint8 in OpenCV's BGR order, never mirrored; `redacted` says its faces are
    already blurred. Never logged, never sent anywhere."""

    image: np.ndarray = field(repr=False)
    captured_ns: int
    faces: tuple[FaceBox, ...] = ()
    redacted: bool = False


@dataclass(frozen=True)
class CloudActivity:
    """True while a frame or the utterance's audio is on its way to the cloud."""

    sending: bool
    what: Literal["frame", "audio"] = "frame"


DeviceName = Literal["camera", "microphone", "speaker", "cloud"]


@dataclass(frozen=True)
class DeviceStatus:
    """A device or service went away or came back. `detail` is technical, for logs and the
    developer HUD; the screen shows its own plain words."""

    device: DeviceName
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class Presence:
    """Whether someone is at the kiosk (from the camera): the screen shows its attract loop
    when nobody is."""

    engaged: bool
    people: int = 0


@dataclass(frozen=True)
class AudioLevel:
    """The microphone's level and speech probability, at most ~10 times a second."""

    speech_probability: float
    rms_dbfs: float


@dataclass(frozen=True)
class SpeechStarted:
    """The VAD heard the shopper start to speak; while the kiosk speaks, a barge-in."""

    captured_ns: int = 0


@dataclass(frozen=True)
class TurnCompleted:
    """One finished turn, for telemetry and the turn state machine. `transcript`, `reply_text`
    and `error` are raw: an observer that stores or logs them redacts them first."""

    transcript: str
    route: str
    reason: str
    intent: str = ""
    shelf_id: str | None = None
    product_sku: str | None = None
    reply_text: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)
    latency_ms: float | None = None
    """End of speech to the first reply audio handed to the speaker."""
    tokens: dict[str, int] = field(default_factory=dict)
    interrupted: bool = False
    error: str | None = None
    source: Literal["voice", "touch"] = "voice"

    @property
    def total_tokens(self) -> int:
        return int(self.tokens.get("total", sum(self.tokens.values())))


Event = (
    StatusChanged
    | UserSaid
    | ReplyStarted
    | PointToShelf
    | ReplyProgress
    | FramePreview
    | CloudActivity
    | DeviceStatus
    | Presence
    | AudioLevel
    | SpeechStarted
    | TurnCompleted
)
EventSink = Callable[[Event], None]
