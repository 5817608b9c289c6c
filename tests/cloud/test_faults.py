"""Real turns through the real google-genai client and the simulator over TLS on loopback, one
test per fault. Every turn must end in a reply, or in the engine's honest fallback."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from edge.vad import SileroVad
from kiosk.agent.ports import CloudError, CloudRequest
from kiosk.agent.turn import TurnEngine
from kiosk.cloud.client import GeminiLiveClient
from kiosk.cloud.sim.options import parse_fault
from kiosk.cloud.sim.server import SimThread
from kiosk.models import ModelCache
from kiosk.store.catalog import Catalog
from tests.cloud.conftest import Models, RecordingSink, set_sim, wait_for

pytestmark = pytest.mark.models
Client = Callable[..., GeminiLiveClient]


def ask(client: GeminiLiveClient, audio: np.ndarray):  # type: ignore[no-untyped-def]
    return client.respond(CloudRequest("", audio, "open question"))


def assert_sunscreen_reply(reply) -> None:  # type: ignore[no-untyped-def]
    assert "sunscreen" in reply.text.lower()
    assert reply.shelf_id == "P1"
    assert reply.sample_rate == 24000 and len(reply.audio) > 24000
    assert not reply.interrupted


def test_a_clean_turn_answers_with_audio_tools_and_usage(
    make_client: Client, sim: SimThread, sunscreen: np.ndarray
) -> None:
    sink = RecordingSink()
    reply = ask(make_client(sink=sink), sunscreen)
    assert_sunscreen_reply(reply)
    assert reply.product_sku == "0079656002201"
    assert reply.tokens["prompt_audio"] > 0 and reply.tokens["total"] > 0
    assert {"activity_end", "first_audio", "to_speaker"} <= set(reply.timings_ms)
    assert sum(len(c) for c in sink.chunks) == len(reply.audio)
    [setup] = sim.server.stats.setups
    detection = setup["realtimeInputConfig"]["automatic_activity_detection"]
    assert detection["disabled"] is True
    assert "sliding_window" in setup["contextWindowCompression"]
    assert setup["generationConfig"]["responseModalities"] == ["AUDIO"]


def test_drop_mid_turn_reconnects_and_answers(
    make_client: Client, sim: SimThread, sunscreen: np.ndarray
) -> None:
    set_sim(sim, parse_fault("drop-mid-turn"))
    sink = RecordingSink()
    client = make_client(sink=sink)
    reply = ask(client, sunscreen)
    assert_sunscreen_reply(reply)
    assert client.stats.closes == [1006]
    assert len(client.stats.reconnect_ms) == 1
    assert client.stats.retries == 1
    assert sink.clears >= 1  # the cut-off first attempt's audio was dropped
    assert sim.server.stats.connections == 2


def test_goaway_dials_the_next_session_and_switches_between_turns(
    make_client: Client, sim: SimThread, sunscreen: np.ndarray
) -> None:
    set_sim(sim, parse_fault("goaway-after=0.5"), goaway_grace_s=20.0)
    client = make_client()
    client.prepare()
    wait_for(lambda: client.stats.go_aways >= 1, "a goAway")
    wait_for(lambda: client.stats.connects >= 2, "the next session, dialled at once")
    assert_sunscreen_reply(ask(client, sunscreen))
    served_first = client.connection_number
    assert served_first >= 2  # the turn went over the new session
    wait_for(lambda: client.stats.go_aways >= 2, "the serving session's goAway")
    wait_for(lambda: client.stats.connects >= 3, "the session after it")
    assert_sunscreen_reply(ask(client, sunscreen))
    assert client.connection_number > served_first
    assert client.stats.failed_turns == 0 and client.stats.retries == 0
    assert client.stats.resumed >= 1  # dialled after a turn: it resumes the conversation
    assert any(s["sessionResumption"].get("handle") for s in sim.server.stats.setups)


def test_close_1011_resumes_with_the_handle(
    make_client: Client, sim: SimThread, sunscreen: np.ndarray
) -> None:
    set_sim(sim, parse_fault("close-1011@2"))
    client = make_client()
    assert_sunscreen_reply(ask(client, sunscreen))
    assert_sunscreen_reply(ask(client, sunscreen))
    assert 1011 in client.stats.closes
    assert client.stats.resumed == 1
    last_setup = sim.server.stats.setups[-1]
    assert last_setup["sessionResumption"].get("handle")


def test_close_1007_starts_afresh_without_the_handle(
    make_client: Client, sim: SimThread, sunscreen: np.ndarray
) -> None:
    set_sim(sim, parse_fault("close-1007@2"))
    client = make_client()
    assert_sunscreen_reply(ask(client, sunscreen))
    assert_sunscreen_reply(ask(client, sunscreen))
    assert client.stats.closes == [1007]
    assert client.stats.fresh_starts == 1
    assert "handle" not in sim.server.stats.setups[-1]["sessionResumption"]
    assert client.available()


def test_close_1007_again_after_a_fresh_start_never_loops(
    make_client: Client, sim: SimThread, sunscreen: np.ndarray
) -> None:
    set_sim(sim, parse_fault("close-1007@every"))
    client = make_client()
    with pytest.raises(CloudError) as info:
        ask(client, sunscreen)
    assert info.value.retryable is False
    assert sim.server.stats.connections == 2
    assert not client.available()  # the breaker is open: the kiosk answers locally


def test_malformed_message_reconnects_and_answers(
    make_client: Client, sim: SimThread, sunscreen: np.ndarray
) -> None:
    set_sim(sim, parse_fault("malformed"))
    client = make_client()
    assert_sunscreen_reply(ask(client, sunscreen))
    assert client.stats.closes == [-1]
    assert client.stats.retries == 1


def test_stall_becomes_an_honest_fallback_and_the_next_turn_works(
    make_client: Client,
    sim: SimThread,
    sunscreen: np.ndarray,
    sim_models: Models,
    catalog: Catalog,
    model_cache: ModelCache,
) -> None:
    set_sim(sim, parse_fault("stall"))
    client = make_client(reply_timeout_s=1.0)
    engine = TurnEngine(
        catalog=catalog,
        vad=SileroVad(model_cache.require_file("silero-vad")),
        stt=sim_models.stt,
        tts=sim_models.tts,
        cloud=client,
    )
    stalled = engine.run(sunscreen)
    assert stalled.decision.route == "fallback"
    assert stalled.decision.reason.endswith("cloud failed")
    assert "can't answer it here" in stalled.reply_text
    assert len(stalled.reply_audio) > 0
    wait_for(lambda: client.stats.connects >= 2, "a new session after the stall")
    client.settings = type(client.settings)(**{**client.settings.__dict__, "reply_timeout_s": 30})
    answered = engine.run(sunscreen)
    assert answered.decision.route == "cloud"
    assert answered.shelf is not None and answered.shelf.id == "P1"


def test_barge_in_interrupts_the_reply(
    make_client: Client, sim: SimThread, sunscreen: np.ndarray
) -> None:
    set_sim(sim, pace=1.0)  # the reply takes seconds to stream: time to interrupt it
    sink = RecordingSink()
    client = make_client(sink=sink)
    outcome: list[object] = []
    import threading

    worker = threading.Thread(target=lambda: outcome.append(ask(client, sunscreen)))
    worker.start()
    assert sink.first_chunk.wait(30)
    client.interrupt()
    worker.join(30)
    [reply] = outcome
    assert reply.interrupted  # type: ignore[attr-defined]
    assert sink.clears >= 1
    wait_for(lambda: sim.server.stats.turns >= 1, "the simulator's turn")


def test_spent_budget_makes_the_cloud_unavailable(
    make_client: Client, sim: SimThread, sunscreen: np.ndarray
) -> None:
    client = make_client(budget=50)
    assert client.available()
    assert_sunscreen_reply(ask(client, sunscreen))
    assert not client.available()
    assert "budget" in (client.unavailable_reason() or "")
    with pytest.raises(CloudError) as info:
        ask(client, sunscreen)
    assert info.value.retryable is False
