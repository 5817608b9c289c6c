"""A live loop plays the cloud's reply while it is still arriving, not once it is complete."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pytest

from edge.tts import ReplyStopped, SpeechChunk, speech_tap
from edge.vad import SileroVad
from kiosk.agent.turn import TurnEngine
from kiosk.cloud.client import GeminiLiveClient
from kiosk.cloud.sim.server import SimThread
from kiosk.models import ModelCache
from kiosk.store.catalog import Catalog
from tests.cloud.conftest import Models, set_sim

pytestmark = pytest.mark.models
Client = Callable[..., GeminiLiveClient]


def test_reply_audio_reaches_the_speech_tap_as_it_streams(
    make_client: Client,
    sim: SimThread,
    sunscreen: np.ndarray,
    sim_models: Models,
    catalog: Catalog,
    model_cache: ModelCache,
) -> None:
    set_sim(sim, pace=1.0)  # the simulator speaks in real time: seconds of reply
    engine = TurnEngine(
        catalog=catalog,
        vad=SileroVad(model_cache.require_file("silero-vad")),
        stt=sim_models.stt,
        tts=sim_models.tts,
        cloud=make_client(),
    )
    heard: list[tuple[float, SpeechChunk]] = []
    token = speech_tap.set(lambda chunk: heard.append((time.monotonic(), chunk)))
    try:
        result = engine.run(sunscreen)
    finally:
        speech_tap.reset(token)
    assert result.decision.route == "cloud"
    assert len(heard) > 1
    assert heard[-1][0] - heard[0][0] > 0.5  # the first chunk played long before the last came
    played = np.concatenate([chunk.samples for _, chunk in heard])
    assert np.array_equal(played, result.reply_audio)  # all of it, once, in order


def test_a_stopped_tap_gets_no_more_of_the_reply(
    make_client: Client,
    sim: SimThread,
    sunscreen: np.ndarray,
    sim_models: Models,
    catalog: Catalog,
    model_cache: ModelCache,
) -> None:
    set_sim(sim, pace=1.0)
    engine = TurnEngine(
        catalog=catalog,
        vad=SileroVad(model_cache.require_file("silero-vad")),
        stt=sim_models.stt,
        tts=sim_models.tts,
        cloud=make_client(),
    )
    calls: list[SpeechChunk] = []

    def barged_in(chunk: SpeechChunk) -> None:
        calls.append(chunk)
        raise ReplyStopped  # the shopper talked over it

    token = speech_tap.set(barged_in)
    try:
        result = engine.run(sunscreen)
    finally:
        speech_tap.reset(token)
    assert result.decision.route == "cloud"  # the client kept its session and finished the turn
    assert len(calls) == 1
    assert result.interrupted  # the turn log will say the shopper cut it short
