"""The simulator speaks Google's protocol: every message it sends validates as google-genai's
own `LiveServerMessage`, it detects turns itself when automatic activity detection is on, and
it withdraws pending tool calls on a barge-in."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from google import genai
from google.genai import _live_converters, types

from kiosk.cloud.client import GeminiLiveClient
from kiosk.cloud.sim.options import parse_fault
from kiosk.cloud.sim.server import SimThread
from kiosk.cloud.wire import AUDIO_MIME
from tests.cloud.conftest import set_sim, wait_for

pytestmark = pytest.mark.models
TOP_LEVEL = {
    "setupComplete",
    "serverContent",
    "toolCall",
    "toolCallCancellation",
    "usageMetadata",
    "goAway",
    "sessionResumptionUpdate",
}
LOOKUP = types.Tool(
    function_declarations=[
        types.FunctionDeclaration(
            name="lookup_product",
            parameters_json_schema={"type": "object", "properties": {"query": {"type": "string"}}},
        )
    ]
)


def raw_client(sim: SimThread) -> genai.Client:
    options = types.HttpOptions(
        base_url=sim.server.base_url, async_client_args={"ssl": sim.server.client_ssl()}
    )
    return genai.Client(api_key="test-key", http_options=options)


def pcm(audio: np.ndarray) -> bytes:
    return (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()


async def barge_in_on_a_pending_tool_call(sim: SimThread, audio: np.ndarray) -> list[str]:
    """Speak, leave the tool call unanswered, speak again: the call must be withdrawn."""
    config = types.LiveConnectConfig(
        response_modalities=[types.Modality.AUDIO],
        input_audio_transcription=types.AudioTranscriptionConfig(),
        tools=[LOOKUP],
        realtime_input_config=types.RealtimeInputConfig(
            automatic_activity_detection=types.AutomaticActivityDetection(disabled=True)
        ),
    )
    seen: list[str] = []
    async with raw_client(sim).aio.live.connect(model="models/x", config=config) as session:
        await session.send_realtime_input(activity_start=types.ActivityStart())
        await session.send_realtime_input(audio=types.Blob(data=pcm(audio), mime_type=AUDIO_MIME))
        await session.send_realtime_input(activity_end=types.ActivityEnd())
        async for message in _messages(session):
            if message.tool_call is not None:
                seen.append("toolCall")
                await session.send_realtime_input(activity_start=types.ActivityStart())
            if message.tool_call_cancellation is not None:
                seen.append("toolCallCancellation")
            if message.server_content is not None and message.server_content.interrupted:
                seen.append("interrupted")
                return seen
    return seen


async def automatic_turn(sim: SimThread, audio: np.ndarray, silence_ms: int) -> dict[str, Any]:
    """No activity signals at all: the server's VAD must find the end of the question."""
    detection = types.AutomaticActivityDetection(silence_duration_ms=silence_ms)
    config = types.LiveConnectConfig(
        response_modalities=[types.Modality.AUDIO],
        output_audio_transcription=types.AudioTranscriptionConfig(),
        tools=[LOOKUP],
        realtime_input_config=types.RealtimeInputConfig(automatic_activity_detection=detection),
    )
    got: dict[str, Any] = {"audio": 0, "text": "", "calls": []}
    stream = np.concatenate([np.zeros(8000, np.float32), audio, np.zeros(24000, np.float32)])
    async with raw_client(sim).aio.live.connect(model="models/x", config=config) as session:
        for offset in range(0, len(stream), 1600):  # 100 ms blocks, as fast as they go
            chunk = pcm(stream[offset : offset + 1600])
            await session.send_realtime_input(audio=types.Blob(data=chunk, mime_type=AUDIO_MIME))
        async for message in _messages(session):
            if message.tool_call is not None:
                for call in message.tool_call.function_calls or []:
                    got["calls"].append((call.name, dict(call.args or {})))
                    response = types.FunctionResponse(
                        id=call.id, name=call.name, response={"matches": []}
                    )
                    await session.send_tool_response(function_responses=[response])
            content = message.server_content
            if content is not None:
                if content.output_transcription is not None:
                    got["text"] += content.output_transcription.text or ""
                got["audio"] += len(message.data or b"")
                if content.turn_complete:
                    return got
    return got


async def _messages(session: Any) -> Any:
    while True:
        async for message in session.receive():
            yield message


def test_server_vad_ends_the_turn_and_the_reply_uses_the_heard_words(
    sim: SimThread, sunscreen: np.ndarray
) -> None:
    got = asyncio.run(asyncio.wait_for(automatic_turn(sim, sunscreen, 400), 60))
    [(name, args)] = got["calls"]
    assert name == "lookup_product" and "sunscreen" in args["query"].lower()
    assert got["audio"] > 24000 * 2
    assert "not sure" in got["text"]  # no matches: the scripted honest answer
    [setup] = sim.server.stats.setups
    assert (
        setup["realtimeInputConfig"]["automatic_activity_detection"]["silence_duration_ms"] == 400
    )


def test_barge_in_withdraws_the_pending_tool_call(sim: SimThread, sunscreen: np.ndarray) -> None:
    seen = asyncio.run(asyncio.wait_for(barge_in_on_a_pending_tool_call(sim, sunscreen), 60))
    assert seen == ["toolCall", "toolCallCancellation", "interrupted"]


def test_every_message_the_simulator_sends_validates_as_live_server_message(
    sim: SimThread, sunscreen: np.ndarray, make_client: Callable[..., GeminiLiveClient]
) -> None:
    from kiosk.agent.ports import CloudRequest

    client = make_client()
    client.respond(CloudRequest("", sunscreen, "open"))
    asyncio.run(asyncio.wait_for(barge_in_on_a_pending_tool_call(sim, sunscreen), 60))
    asyncio.run(asyncio.wait_for(automatic_turn(sim, sunscreen, 500), 60))
    set_sim(sim, parse_fault("goaway-after=0"), goaway_grace_s=0.5)
    make_client().prepare()
    wait_for(lambda: sim.server.stats.go_aways >= 1, "a goAway")
    sent = list(sim.server.sent)
    kinds: set[str] = set()
    for raw in sent:
        message = json.loads(raw)
        assert set(message) <= TOP_LEVEL, message.keys()
        converted = _live_converters._LiveServerMessage_from_mldev(message)
        types.LiveServerMessage.model_validate(converted)  # extra fields are refused
        kinds |= set(message)
        kinds |= {f"serverContent.{k}" for k in message.get("serverContent", {})}
    assert kinds >= TOP_LEVEL | {
        "serverContent.modelTurn",
        "serverContent.outputTranscription",
        "serverContent.inputTranscription",
        "serverContent.generationComplete",
        "serverContent.turnComplete",
        "serverContent.interrupted",
    }
