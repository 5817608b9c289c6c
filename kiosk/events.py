"""Typed events the agent emits for its observers (the UI, logs, telemetry)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

AgentState = Literal["starting", "idle", "listening", "thinking", "speaking", "offline", "stopped"]


@dataclass(frozen=True)
class StatusChanged:
    state: AgentState
    detail: str = ""
    """A short line for the shopper, e.g. 'Microphone unavailable'. Never a transcript."""


@dataclass(frozen=True)
class UserSaid:
    text: str


@dataclass(frozen=True)
class ReplyStarted:
    text: str
    route: str
    reason: str
    shelf_id: str | None
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class PointToShelf:
    shelf_id: str


Event = StatusChanged | UserSaid | ReplyStarted | PointToShelf
EventSink = Callable[[Event], None]
