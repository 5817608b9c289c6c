"""Fuzzing what the cloud sends back. The kiosk's Gemini Live client, the real one over TLS on
loopback, talks to a hostile server that answers each turn with random, truncated, mistyped
or garbage messages. Each turn must end in a reply or a `CloudError` (which the engine turns
into the honest fallback) in bounded time: never another exception, never a hang. The pure
reply assembly is fuzzed on its own as well, on every message google-genai accepts."""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import trustme
from google.genai import types
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from kiosk.agent.ports import CloudError, CloudReply, CloudRequest
from kiosk.cloud.budget import TokenBudget
from kiosk.cloud.client import GeminiLiveClient, LiveSettings
from kiosk.cloud.connection import Inbound
from kiosk.cloud.reply import ReplyState
from kiosk.cloud.tools import ToolHandler
from kiosk.store.catalog import Catalog
from kiosk.store.pack import demo_store_path, load_store

pytestmark = pytest.mark.unit
TURN_BOUND_S = 20.0
"""A turn that has not ended after this long is hung (the client's own limits are far lower)."""

text = st.text(max_size=30)
numbers = st.one_of(st.integers(-(2**40), 2**40), st.floats(allow_nan=False), st.none(), text)
blobs = st.builds(
    lambda mime, data: {"mimeType": mime, "data": data},
    st.sampled_from(["audio/pcm;rate=24000", "audio/pcm", "audio/pcm;rate=0", "image/png", ""]),
    st.one_of(
        st.binary(max_size=301).map(lambda b: base64.b64encode(b).decode()),
        st.text(max_size=20),
        st.integers(),
    ),
)
function_calls = st.fixed_dictionaries(
    {
        "id": st.one_of(text, st.none()),
        "name": st.sampled_from(["lookup_product", "point_to_shelf", "x"]),
    },
    optional={"args": st.dictionaries(text, st.one_of(text, numbers), max_size=3)},
)
server_messages = st.one_of(
    st.builds(
        lambda parts: {"serverContent": {"modelTurn": {"parts": parts}}},
        st.lists(st.builds(lambda b: {"inlineData": b}, blobs), max_size=3),
    ),
    st.builds(
        lambda t: {"serverContent": {"outputTranscription": {"text": t}}}, st.one_of(text, numbers)
    ),
    st.builds(lambda flag: {"serverContent": {"interrupted": flag}}, st.booleans()),
    st.builds(lambda flag: {"serverContent": {"generationComplete": flag}}, st.booleans()),
    st.builds(
        lambda calls: {"toolCall": {"functionCalls": calls}}, st.lists(function_calls, max_size=3)
    ),
    st.builds(lambda ids: {"toolCallCancellation": {"ids": ids}}, st.lists(text, max_size=3)),
    st.builds(
        lambda p, r, t: {
            "usageMetadata": {"promptTokenCount": p, "responseTokenCount": r, "totalTokenCount": t}
        },
        numbers,
        numbers,
        numbers,
    ),
    st.builds(lambda left: {"goAway": {"timeLeft": left}}, st.one_of(text, numbers)),
    st.builds(
        lambda h, r: {"sessionResumptionUpdate": {"newHandle": h, "resumable": r}},
        st.one_of(text, numbers),
        st.one_of(st.booleans(), numbers),
    ),
    st.dictionaries(text, st.one_of(text, numbers), max_size=3),
)
TURN_COMPLETE = {"serverContent": {"turnComplete": True}}
RATE_ZERO = {"mimeType": "audio/pcm;rate=0", "data": "AA=="}
"""Found by this test: a rate of 0 reached the speaker."""
GOOD_AUDIO = {
    "serverContent": {
        "modelTurn": {
            "parts": [
                {
                    "inlineData": {
                        "mimeType": "audio/pcm;rate=24000",
                        "data": base64.b64encode(b"\1\0" * 2400).decode(),
                    }
                }
            ]
        }
    }
}


@dataclass(frozen=True)
class Frame:
    """What the hostile server sends: text, bytes, or a close with a code."""

    kind: str
    data: Any


frames = st.one_of(
    server_messages.map(lambda m: Frame("text", json.dumps(m))),
    st.tuples(server_messages, st.integers(0, 60)).map(
        lambda mk: Frame("text", json.dumps(mk[0])[: mk[1]])
    ),
    st.text(max_size=40).map(lambda t: Frame("text", t)),
    st.binary(max_size=40).map(lambda b: Frame("bytes", b)),
    st.sampled_from(["[]", "null", "42", '"x"', "{}"]).map(lambda t: Frame("text", t)),
)
endings = st.sampled_from(["complete", "close", "nothing"])
close_codes = st.sampled_from([1000, 1001, 1007, 1008, 1011, 3000, 4000])


@dataclass
class Script:
    frames: list[Frame] = field(default_factory=list)
    ending: str = "complete"
    close_code: int = 1011


class HostileServer:
    """A TLS websocket server that completes setup, then answers each activityEnd with the
    current script."""

    def __init__(self) -> None:
        self.script = Script([Frame("text", json.dumps(GOOD_AUDIO))])
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1")
        self._server_ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(self._server_ssl)
        self.client_ssl = ssl.create_default_context()
        ca.configure_trust(self.client_ssl)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self.port = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)

    async def _start(self) -> int:
        self._server = await serve(self._serve, "127.0.0.1", 0, ssl=self._server_ssl)
        return int(self._server.sockets[0].getsockname()[1])

    async def _serve(self, ws: ServerConnection) -> None:
        try:
            await ws.recv()  # setup
            await ws.send(json.dumps({"setupComplete": {}}))
            async for raw in ws:
                message = json.loads(raw)
                realtime = message.get("realtime_input") or message.get("realtimeInput") or {}
                if "activityEnd" in realtime or "activity_end" in realtime:
                    await self._play(ws, self.script)
        except ConnectionClosed:
            pass

    async def _play(self, ws: ServerConnection, script: Script) -> None:
        for frame in script.frames:
            await ws.send(frame.data)
        if script.ending == "complete":
            await ws.send(json.dumps(TURN_COMPLETE))
        elif script.ending == "close":
            await ws.close(script.close_code, "fuzz")

    def close(self) -> None:
        async def stop() -> None:
            self._server.close()
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog(load_store(demo_store_path()))


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    server = HostileServer()
    yield server
    server.close()


def _client(server: HostileServer, catalog: Catalog) -> GeminiLiveClient:
    settings = LiveSettings(
        base_url=f"https://127.0.0.1:{server.port}",
        reply_timeout_s=0.8,
        max_reply_s=5.0,
        connect_timeout_s=3.0,
    )
    return GeminiLiveClient(
        catalog, "fuzz-key-0123456789", settings, TokenBudget(10**12), server.client_ssl
    )


def _turn(client: GeminiLiveClient) -> CloudReply | CloudError:
    """One turn in a thread of its own, so a hang fails the test instead of stopping it."""
    outcome: list[CloudReply | BaseException] = []

    def run() -> None:
        try:
            outcome.append(
                client.respond(CloudRequest("is this safe?", np.zeros(1600, np.float32), "fuzz"))
            )
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(TURN_BOUND_S)
    assert outcome, f"the turn did not end within {TURN_BOUND_S:.0f} s"
    result = outcome[0]
    if isinstance(result, CloudError | CloudReply):
        return result
    raise AssertionError(f"the turn raised {type(result).__name__}: {result}") from result


@settings(
    deadline=None,
    max_examples=30,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(frames, max_size=6), endings, close_codes)
def test_any_server_answer_ends_in_a_reply_or_a_cloud_error(
    hostile: HostileServer, catalog: Catalog, sent: list[Frame], ending: str, code: int
) -> None:
    hostile.script = Script(sent, ending, code)
    client = _client(hostile, catalog)
    try:
        first = _turn(client)
        if isinstance(first, CloudReply):
            assert first.audio.dtype == np.int16 and first.sample_rate > 0
        hostile.script = Script([Frame("text", json.dumps(GOOD_AUDIO))])
        _turn(client)  # and the client is not wedged: the next turn ends too
    finally:
        client.close()


def test_after_garbage_the_next_turn_gets_a_real_reply(
    hostile: HostileServer, catalog: Catalog
) -> None:
    client = _client(hostile, catalog)
    try:
        hostile.script = Script(
            [Frame("text", '{"serverContent": {"modelTurn": {"parts": [{"inlineDa')], "nothing"
        )
        assert isinstance(_turn(client), CloudError)
        hostile.script = Script([Frame("text", json.dumps(GOOD_AUDIO))])
        reply = _turn(client)
        assert isinstance(reply, CloudReply) and len(reply.audio) == 2400
    finally:
        client.close()


class CountingSink:
    def __init__(self) -> None:
        self.samples = 0
        self.clears = 0

    def play_chunk(self, samples: np.ndarray, rate: int) -> None:
        assert samples.dtype == np.int16 and rate > 0
        self.samples += len(samples)

    def clear(self) -> None:
        self.clears += 1


@settings(
    deadline=None, max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(server_messages, min_size=1, max_size=8))
@example([{"serverContent": {"modelTurn": {"parts": [{"inlineData": RATE_ZERO}]}}}])
def test_reply_assembly_takes_any_message_google_genai_accepts(
    catalog: Catalog, messages: list[dict[str, Any]]
) -> None:
    state = ReplyState("turn-1", activity_end_ns=0)
    tools = ToolHandler(catalog)
    sink = CountingSink()
    for number, raw in enumerate(messages):
        try:
            message = types.LiveServerMessage.model_validate(raw)
        except ValidationError:
            continue  # google-genai refuses it: the connection reports it as malformed
        responses = state.absorb(Inbound(message, number + 1), tools, sink)
        for response in responses:
            assert response.name in ("lookup_product", "point_to_shelf", "x")
            assert isinstance(response.response, dict)
    assert sink.samples == sum(len(a) for a in state.audio)
    assert all(isinstance(v, int) for v in state.tokens.values())
    assert state.shelf_id is None or state.shelf_id in catalog.store.shelves
