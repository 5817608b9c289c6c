"""Pure logic of the cloud client and simulator: no sockets, no models."""

from __future__ import annotations

import base64
import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from google.genai import types

from kiosk.cloud.backoff import Backoff, CircuitBreaker
from kiosk.cloud.budget import TokenBudget
from kiosk.cloud.connection import Inbound
from kiosk.cloud.factory import resolve_mode
from kiosk.cloud.instructions import system_instruction
from kiosk.cloud.reply import ReplyState
from kiosk.cloud.sim.brain import compose, find_place, usage
from kiosk.cloud.sim.options import Fault, SimOptionsError, VadDefaults, parse_fault
from kiosk.cloud.sim.vad import TurnDetector, VadConfig
from kiosk.cloud.tools import ToolHandler
from kiosk.cloud.wire import b64decode, pick
from kiosk.state import state_dir
from kiosk.store.catalog import Catalog
from kiosk.store.pack import load_store

pytestmark = pytest.mark.unit


@pytest.fixture
def catalog(mini_store_dir: Path) -> Catalog:
    return Catalog(load_store(mini_store_dir))


def test_base64_in_either_alphabet_with_or_without_padding() -> None:
    data = bytes(range(250, 256)) + b"\x00\x01"
    for text in (
        base64.b64encode(data).decode(),
        base64.urlsafe_b64encode(data).decode().rstrip("="),
    ):
        assert b64decode(text) == data
    with pytest.raises(ValueError):
        b64decode("not base64!")


def test_fields_in_either_spelling() -> None:
    assert pick({"mime_type": "a"}, "mimeType") == "a"
    assert pick({"mimeType": "b"}, "mimeType") == "b"
    assert pick({}, "mimeType", 3) == 3


def test_fault_specs() -> None:
    assert parse_fault("stall") == Fault("stall", 1)
    assert parse_fault("close-1011@3") == Fault("close-1011", 3)
    assert parse_fault("drop-mid-turn@every") == Fault("drop-mid-turn", 0)
    assert parse_fault("goaway-after=2.5") == Fault("goaway-after", seconds=2.5)
    for bad in ("explode", "stall@0", "goaway-after=x"):
        with pytest.raises(SimOptionsError, match="--fault"):
            parse_fault(bad)


def test_server_vad_honours_prefix_padding_and_silence_duration() -> None:
    setup = {
        "automaticActivityDetection": {
            "prefixPaddingMs": 96,
            "silenceDurationMs": 320,
            "startOfSpeechSensitivity": "START_SENSITIVITY_LOW",
        }
    }
    config = VadConfig.from_setup(setup, VadDefaults())
    assert config.start_threshold == 0.7 and not config.disabled
    detector = TurnDetector(config)
    events = [detector.push(p) for p in [0.9, 0.9, 0.5, 0.9, 0.9, 0.9]]
    assert events == [None, None, None, None, None, "start"]  # 3 windows of 32 ms in a row
    gap = [detector.push(0.0) for _ in range(9)] + [detector.push(0.9)]
    assert "end" not in gap  # 288 ms of silence is not enough
    ends = [detector.push(0.0) for _ in range(10)]
    assert ends[-1] == "end" and ends.count("end") == 1
    assert VadConfig.from_setup(
        {"automatic_activity_detection": {"disabled": True}}, VadDefaults()
    ).disabled


def test_budget_persists_and_rolls_over(tmp_path: Path) -> None:
    day = [date(2026, 11, 20)]
    path = tmp_path / "state" / "usage.json"
    budget = TokenBudget(100, path, today=lambda: day[0])
    budget.record(60)
    assert TokenBudget(100, path, today=lambda: day[0]).spent() == 60
    budget.record(50)
    assert budget.exhausted()
    day[0] = date(2026, 11, 21)
    assert budget.remaining() == 100
    assert json.loads(path.read_text())["day"] == "2026-11-20"
    assert state_dir(None, {"XDG_STATE_HOME": "/x"}) == Path("/x/kiosk")


def test_backoff_is_jittered_and_capped_and_the_breaker_opens() -> None:
    backoff = Backoff(base_s=0.1, cap_s=0.4, rand=lambda: 1.0)
    assert [backoff.next_delay() for _ in range(4)] == [0.1, 0.2, 0.4, 0.4]
    now = [0.0]
    breaker = CircuitBreaker(threshold=2, cooldown_s=10, clock=lambda: now[0])
    breaker.failure()
    assert breaker.allow()
    breaker.failure()
    assert not breaker.allow()
    now[0] = 10.0
    assert breaker.allow()
    breaker.success()
    assert breaker.failures == 0


def test_tools_answer_from_the_catalog_and_act_once(catalog: Catalog) -> None:
    pointed: list[str] = []
    tools = ToolHandler(catalog, pointer=pointed.append)
    found = tools.call("c1", "lookup_product", {"query": "double a batteries"}, "t1")
    assert found.response["matches"][0]["shelf_id"] == "A5-L"
    assert found.response["matches"][0]["price"] == 9.99
    first = tools.call("c2", "point_to_shelf", {"shelf_id": "A5-L"}, "t1")
    again = tools.call("c2", "point_to_shelf", {"shelf_id": "A5-L"}, "t1")
    retried = tools.call("c9", "point_to_shelf", {"shelf_id": "A5-L"}, "t1")
    assert first.acted and not again.acted and not retried.acted
    assert pointed == ["A5-L"]
    assert tools.call("c3", "point_to_shelf", {"shelf_id": "Z9"}, "t1").response["ok"] is False
    assert "unknown function" in tools.call("c4", "order_pizza", {}, "t1").response["error"]


def _inbound(**fields: object) -> Inbound:
    return Inbound(types.LiveServerMessage.model_validate(fields), 1)


class Sink:
    def __init__(self) -> None:
        self.played = 0
        self.cleared = 0

    def play_chunk(self, samples: np.ndarray, rate: int) -> None:
        self.played += len(samples)

    def clear(self) -> None:
        self.cleared += 1


def test_reply_assembles_audio_text_tools_usage_and_honours_cancellation(
    catalog: Catalog,
) -> None:
    state, sink, tools = ReplyState("t"), Sink(), ToolHandler(catalog)
    pcm = np.arange(480, dtype="<i2").tobytes()
    audio = {
        "model_turn": {
            "parts": [{"inline_data": {"data": pcm, "mime_type": "audio/pcm;rate=24000"}}]
        }
    }
    state.absorb(_inbound(server_content=audio), tools, sink)
    state.absorb(
        _inbound(server_content={"output_transcription": {"text": "In aisle 5. "}}), tools, sink
    )
    call = {
        "function_calls": [{"id": "p1", "name": "point_to_shelf", "args": {"shelf_id": "A5-L"}}]
    }
    [response] = state.absorb(_inbound(tool_call=call), tools, sink)
    assert response.id == "p1" and state.shelf_id == "A5-L"
    state.absorb(_inbound(tool_call_cancellation={"ids": ["p1"]}), tools, sink)
    assert state.shelf_id is None
    usage_fields = {
        "prompt_token_count": 10,
        "response_token_count": 5,
        "prompt_tokens_details": [
            {"modality": "AUDIO", "token_count": 8},
            {"modality": "IMAGE", "token_count": 2},
        ],
    }
    state.absorb(
        _inbound(server_content={"turn_complete": True}, usage_metadata=usage_fields), tools, sink
    )
    assert state.complete and state.text == "In aisle 5."
    assert sink.played == 480 and len(state.samples()) == 480
    assert state.tokens == {
        "prompt": 10,
        "response": 5,
        "total": 15,
        "prompt_audio": 8,
        "prompt_image": 2,
    }


def test_server_interruption_drops_queued_audio(catalog: Catalog) -> None:
    state, sink = ReplyState("t"), Sink()
    state.absorb(_inbound(server_content={"interrupted": True}), ToolHandler(catalog), sink)
    assert state.interrupted and state.complete and sink.cleared == 1


def test_system_instruction_is_built_from_the_store(catalog: Catalog) -> None:
    text = system_instruction(catalog.store)
    assert "Mini Mart" in text
    assert "always call point_to_shelf" in text
    assert "service desk" in text
    assert "You may not" in text


def test_a_second_frame_only_for_a_visual_question() -> None:
    from kiosk.cloud.client import is_visual

    assert is_visual("Is this safe for a three year old?")
    assert is_visual("")  # audio only: cannot tell, so yes
    assert not is_visual("What wine goes well with salmon?")


def test_mode_resolution() -> None:
    assert resolve_mode("auto", None, has_key=True) == "gemini"
    assert resolve_mode("auto", None, has_key=False) == "sim"
    assert resolve_mode("gemini", "off", has_key=True) == "off"


def test_scripted_brain_is_deterministic() -> None:
    response = {
        "matches": [
            {
                "name": "Duracell AA batteries, 8 pack",
                "shelf_id": "A5-L",
                "shelf": "Aisle 5, left side",
            }
        ]
    }
    place = find_place(response)
    assert place is not None and place.shelf_id == "A5-L"
    assert compose("where are the batteries", place) == (
        "You'll find the Duracell AA batteries in aisle 5, left side. I've marked it on the map."
    )
    assert "not sure" in compose("what is love", None)
    counted = usage(2.0, 0, 1, 3.0, 0)
    assert counted["promptTokenCount"] == 64 + 1 + 258
    types.UsageMetadata.model_validate({"prompt_token_count": counted["promptTokenCount"]})
