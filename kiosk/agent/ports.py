"""The seams between the turn engine and the stages that land separately: the cloud and the
camera. The engine depends only on these protocols; tests use hand-written fakes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from kiosk.errors import KioskError


@dataclass(frozen=True)
class HeldProduct:
    """What the camera says the shopper is holding up."""

    sku: str
    how: str
    """'barcode' or 'embedding'."""
    score: float


@dataclass(frozen=True)
class Scene:
    """The latest analysed frame. `frame_jpeg` is already redacted (faces blurred) and is the
    only image that may leave the device."""

    captured_ns: int
    people: int = 0
    held: HeldProduct | None = None
    unknown_item_held: bool = False
    """Something is held up in the show zone but matches no product."""
    frame_jpeg: bytes | None = field(default=None, repr=False)


class SceneProvider(Protocol):
    def latest(self, not_after_ns: int | None = None) -> Scene | None:
        """The newest scene captured no later than `not_after_ns` (the utterance's end)."""
        ...


@dataclass(frozen=True)
class CloudRequest:
    transcript: str
    audio: np.ndarray = field(repr=False)
    """The utterance, float32 16 kHz mono."""
    reason: str
    context: str = ""
    """A short summary of the visit so far, so the shopper never repeats themselves."""
    frame_jpeg: bytes | None = field(default=None, repr=False)
    speech_ended_ns: int | None = None
    """When the shopper stopped speaking (time.monotonic_ns): the reply deadline counts from
    here, not from the escalation, so slow recognition cannot push the fallback past it."""
    on_audio: Callable[[np.ndarray, int], None] | None = field(
        default=None, repr=False, compare=False
    )
    """Called with each chunk of reply audio (int16, its rate) the moment it arrives, on the
    cloud client's thread, so a live loop plays it before the reply is complete. Must not
    block."""


@dataclass(frozen=True)
class CloudReply:
    text: str
    audio: np.ndarray = field(repr=False)
    """int16 mono."""
    sample_rate: int
    shelf_id: str | None = None
    """Set when the model called point_to_shelf with a shelf of this store."""
    product_sku: str | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)
    interrupted: bool = False
    attempts: int = 1
    """Sessions opened for this reply (a dropped connection is resumed on a new one)."""


class CloudError(KioskError):
    """The cloud could not answer this turn. `retryable` says whether a later turn may fare
    better (a dropped socket) or not (no credentials, budget spent)."""

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class CloudResponder(Protocol):
    def available(self) -> bool:
        """False when the cloud is off, over budget, or its circuit breaker is open."""
        ...

    def respond(self, request: CloudRequest) -> CloudReply:
        """Answer one escalated turn; raises CloudError."""
        ...


@runtime_checkable
class VisitAwareCloud(Protocol):
    """A cloud that keeps a session per visit (Gemini Live does): it connects when a shopper
    arrives, closes and forgets when they leave, and is told at once about a barge-in."""

    def prepare(self) -> None: ...

    def shopper_left(self) -> None: ...

    def interrupt(self) -> None: ...
