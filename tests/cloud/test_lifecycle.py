"""Session lifecycle against the simulator: connect early, rotate at the cap, close when idle
or when the shopper leaves, one frame per view, and ephemeral tokens."""

from __future__ import annotations

import json
import signal
import ssl
import subprocess
import sys
from collections.abc import Callable

import numpy as np
import pytest
from google import genai
from google.genai import types

from kiosk.agent.ports import CloudRequest
from kiosk.cloud.client import GeminiLiveClient
from kiosk.cloud.sim.server import SimThread
from tests.cloud.conftest import wait_for

pytestmark = pytest.mark.models
Client = Callable[..., GeminiLiveClient]
JPEG = b"\xff\xd8\xff\xe0" + bytes(200) + b"\xff\xd9"


def test_connects_early_so_the_turn_pays_no_dial(
    make_client: Client, sunscreen: np.ndarray
) -> None:
    client = make_client()
    client.prepare()
    wait_for(lambda: client.connection_number == 1 or client.stats.connects == 1, "the session")
    reply = client.respond(CloudRequest("", sunscreen, "open"))
    assert "connect" not in reply.timings_ms
    assert client.stats.connects == 1


def test_rotates_before_the_session_cap_between_turns(
    make_client: Client, sunscreen: np.ndarray
) -> None:
    client = make_client(session_max_s=1.5, rotate_lead_s=1.0)
    client.respond(CloudRequest("", sunscreen, "open"))
    wait_for(lambda: client.stats.connects >= 2, "the next session, before the cap")
    client.respond(CloudRequest("", sunscreen, "open"))
    assert client.connection_number >= 2
    assert client.stats.resumed >= 1 and client.stats.failed_turns == 0


def test_closes_when_idle_and_when_the_shopper_leaves(
    make_client: Client, sim: SimThread, sunscreen: np.ndarray
) -> None:
    client = make_client(idle_close_s=0.3)
    client.respond(CloudRequest("", sunscreen, "open"))
    wait_for(lambda: client.connection_number == 0, "the idle session to close")
    client.prepare()
    wait_for(lambda: client.connection_number > 0, "a session for the next shopper")
    client.shopper_left()
    assert client.connection_number == 0
    client.respond(CloudRequest("", sunscreen, "open"))
    assert "handle" not in sim.server.stats.setups[-1]["sessionResumption"]  # a new visit


def test_sends_one_frame_per_view(make_client: Client, sunscreen: np.ndarray) -> None:
    client = make_client()
    first = client.respond(CloudRequest("", sunscreen, "open", frame_jpeg=JPEG))
    same = client.respond(CloudRequest("", sunscreen, "open", frame_jpeg=JPEG))
    assert first.tokens.get("prompt_image") == 258
    assert "prompt_image" not in same.tokens  # the model has seen this view already


def test_an_ephemeral_token_dials_the_constrained_endpoint(
    make_client: Client, sim: SimThread, sunscreen: np.ndarray, catalog: object
) -> None:
    from kiosk.cloud.client import LiveSettings

    client = GeminiLiveClient(
        catalog,  # type: ignore[arg-type]
        "auth_tokens/test-ephemeral",
        LiveSettings(base_url=sim.server.base_url, reply_timeout_s=30),
        ssl_context=sim.server.client_ssl(),
    )
    try:
        reply = client.respond(CloudRequest("", sunscreen, "open"))
    finally:
        client.close()
    assert reply.shelf_id == "P1"


def test_kiosk_sim_prints_its_ready_line_and_serves_google_genai() -> None:
    command = [sys.executable, "-m", "kiosk", "sim", "--port", "0", "--ttfb-ms", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        ready = json.loads(process.stdout.readline())
        assert ready["base_url"].startswith("https://127.0.0.1:")
        context = ssl.create_default_context(cafile=ready["ca"])
        options = types.HttpOptions(base_url=ready["base_url"], async_client_args={"ssl": context})
        client = genai.Client(api_key="any", http_options=options)

        async def setup() -> bool:
            async with client.aio.live.connect(model="models/gemini-3.8-live") as session:
                return session.setup_complete is not None

        import asyncio

        assert asyncio.run(asyncio.wait_for(setup(), 30))
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


def test_kiosk_sim_refuses_a_bad_fault_in_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kiosk", "sim", "--fault", "explode"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0 and "--fault explode" in done.stderr
