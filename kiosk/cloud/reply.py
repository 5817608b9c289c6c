"""One escalated turn's reply, assembled from the server's messages as they arrive.

Pure logic over google-genai's `LiveServerMessage`: reply audio goes to the sink at once and is
kept for the whole reply; tool calls are answered from the catalog; `interrupted` and tool call
cancellations are honoured; `usageMetadata` becomes tokens by modality.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from google.genai import types

from kiosk.cloud.connection import Inbound
from kiosk.cloud.tools import ToolHandler
from kiosk.cloud.wire import REPLY_RATE, pcm_rate


class ReplyAudioSink(Protocol):
    """Where reply audio goes the moment it arrives (the speaker). Called on the client's
    event-loop thread: it must not block."""

    def play_chunk(self, samples: np.ndarray, rate: int) -> None: ...

    def clear(self) -> None:
        """Drop whatever is queued and not yet played (a barge-in)."""
        ...


class NullSink:
    def play_chunk(self, samples: np.ndarray, rate: int) -> None:
        """Nothing plays; the whole reply is returned at the end of the turn."""

    def clear(self) -> None:
        """Nothing is queued."""


class TurnSink:
    """The client's sink, and the turn's own listener (`CloudRequest.on_audio`) beside it."""

    def __init__(self, sink: ReplyAudioSink, listener: Callable[[np.ndarray, int], None]):
        self.sink = sink
        self.listener = listener

    def play_chunk(self, samples: np.ndarray, rate: int) -> None:
        self.sink.play_chunk(samples, rate)
        self.listener(samples, rate)

    def clear(self) -> None:
        self.sink.clear()


@dataclass
class ReplyState:
    turn_key: str
    audio: list[np.ndarray] = field(default_factory=list)
    rate: int = REPLY_RATE
    text_parts: list[str] = field(default_factory=list)
    shelf_id: str | None = None
    product_sku: str | None = None
    tokens: dict[str, int] = field(default_factory=dict)
    interrupted: bool = False
    complete: bool = False
    activity_end_ns: int = 2**63 - 1
    """When this turn's activityEnd went out; anything that arrived earlier is stale."""
    send_error: str | None = None
    first_audio_received_ns: int | None = None
    first_audio_sunk_ns: int | None = None

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.text_parts)).strip()

    @property
    def has_audio(self) -> bool:
        return bool(self.audio)

    def samples(self) -> np.ndarray:
        return np.concatenate(self.audio) if self.audio else np.zeros(0, dtype=np.int16)

    def absorb(
        self, item: Inbound, tools: ToolHandler, sink: ReplyAudioSink
    ) -> list[types.FunctionResponse]:
        """Take one message; returns the function responses to send back."""
        message = item.message
        content = message.server_content
        if content is not None:
            self._content(content, item.received_ns, sink)
        responses: list[types.FunctionResponse] = []
        if message.tool_call is not None:
            for call in message.tool_call.function_calls or []:
                outcome = tools.call(call.id or "", call.name or "", call.args or {}, self.turn_key)
                self.shelf_id = outcome.shelf_id or self.shelf_id
                self.product_sku = outcome.product_sku or self.product_sku
                if call.id in tools.cancelled:
                    continue
                responses.append(
                    types.FunctionResponse(id=call.id, name=call.name, response=outcome.response)
                )
        if message.tool_call_cancellation is not None:
            withdrawn = tools.cancel(list(message.tool_call_cancellation.ids or []))
            if any(o.shelf_id and o.shelf_id == self.shelf_id for o in withdrawn):
                self.shelf_id = None
        if message.usage_metadata is not None:
            self.tokens = usage_tokens(message.usage_metadata)
        return responses

    def interrupt(self, sink: ReplyAudioSink) -> None:
        self.interrupted = True
        self.complete = True
        sink.clear()

    def _content(
        self, content: types.LiveServerContent, received_ns: int, sink: ReplyAudioSink
    ) -> None:
        if content.interrupted:
            self.interrupt(sink)
        if content.model_turn is not None and not self.interrupted:
            for part in content.model_turn.parts or []:
                blob = part.inline_data
                if blob is None or not blob.data or not (blob.mime_type or "").startswith("audio/"):
                    continue
                usable = len(blob.data) - len(blob.data) % 2
                samples = np.frombuffer(blob.data[:usable], dtype="<i2").astype(np.int16)
                self.rate = pcm_rate(blob.mime_type or "", REPLY_RATE)
                sink.play_chunk(samples, self.rate)
                if self.first_audio_received_ns is None:
                    self.first_audio_received_ns = received_ns
                    self.first_audio_sunk_ns = time.monotonic_ns()
                self.audio.append(samples)
        if content.output_transcription is not None and content.output_transcription.text:
            self.text_parts.append(content.output_transcription.text)
        if content.turn_complete:
            self.complete = True


def usage_tokens(usage: types.UsageMetadata) -> dict[str, int]:
    """Tokens by direction and modality: prompt, response, total, prompt_audio, ..."""
    prompt = usage.prompt_token_count or 0
    response = usage.response_token_count or 0
    tokens = {
        "prompt": prompt,
        "response": response,
        "total": usage.total_token_count or prompt + response,
    }
    for prefix, details in (
        ("prompt", usage.prompt_tokens_details),
        ("response", usage.response_tokens_details),
    ):
        for detail in details or []:
            modality = detail.modality.value.lower() if detail.modality else "unknown"
            key = f"{prefix}_{modality}"
            tokens[key] = tokens.get(key, 0) + (detail.token_count or 0)
    return tokens
