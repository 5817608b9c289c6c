"""The simulator with the real models, started once; each test sets its own faults and gets
its own real google-genai client talking to it over TLS on loopback."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from edge.stt import WhisperStt
from edge.tts import PiperTts
from edge.wav import read_wav
from kiosk.cloud.budget import TokenBudget
from kiosk.cloud.client import GeminiLiveClient, LiveSettings
from kiosk.cloud.factory import vad_model_factory
from kiosk.cloud.sim.brain import Brain
from kiosk.cloud.sim.options import Fault, SimOptions
from kiosk.cloud.sim.server import SimServer, SimThread
from kiosk.models import ModelCache
from kiosk.store.catalog import Catalog
from kiosk.store.pack import demo_store_path, load_store
from tests.conftest import SPEECH

SUNSCREEN = SPEECH / "open_sunscreen__piper_en-US-joe-medium_x100.wav"
PATIENT = 30.0
"""Reply timeout for tests that assert what happens, not how fast: CI machines are slow."""


@dataclasses.dataclass
class Models:
    stt: WhisperStt
    tts: PiperTts
    vad: Callable[[], object]


@pytest.fixture(scope="session")
def sim_models(model_cache: ModelCache) -> Models:
    return Models(
        WhisperStt(model_cache.require("whisper-tiny-en")),
        PiperTts(model_cache.require_file("piper-joe-medium")),
        vad_model_factory(model_cache.require_file("silero-vad")),
    )


@pytest.fixture(scope="session")
def sim_thread(sim_models: Models) -> Iterator[SimThread]:
    server = SimServer(Brain(sim_models.stt, sim_models.tts), vad_factory=sim_models.vad)
    thread = SimThread(server)
    yield thread
    thread.stop()


@pytest.fixture
def sim(sim_thread: SimThread) -> Iterator[SimThread]:
    """The shared simulator, with no faults and fresh counters for this test."""
    server = sim_thread.server

    def reset() -> None:
        server.set_faults()
        server.options = SimOptions()
        server.stats = type(server.stats)()
        server.sent.clear()

    sim_thread.call(reset)
    yield sim_thread
    sim_thread.call(reset)


def set_sim(sim: SimThread, *faults: Fault, **options: object) -> None:
    def apply() -> None:
        sim.server.set_faults(*faults)
        sim.server.options = dataclasses.replace(sim.server.options, **options)  # type: ignore[arg-type]

    sim.call(apply)


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog(load_store(demo_store_path()))


@pytest.fixture(scope="session")
def sunscreen() -> np.ndarray:
    return read_wav(SUNSCREEN)


class RecordingSink:
    """A speaker stand-in that records what the client handed it."""

    def __init__(self) -> None:
        self.chunks: list[np.ndarray] = []
        self.clears = 0
        self.first_chunk = threading.Event()

    def play_chunk(self, samples: np.ndarray, rate: int) -> None:
        assert rate == 24000
        self.chunks.append(samples)
        self.first_chunk.set()

    def clear(self) -> None:
        self.clears += 1


@pytest.fixture
def make_client(
    sim: SimThread, catalog: Catalog, tmp_path: Path
) -> Iterator[Callable[..., GeminiLiveClient]]:
    clients: list[GeminiLiveClient] = []

    def make(
        sink: RecordingSink | None = None, budget: int = 10**9, **settings: object
    ) -> GeminiLiveClient:
        live = LiveSettings(
            base_url=sim.server.base_url, **{"reply_timeout_s": PATIENT, **settings}
        )  # type: ignore[arg-type]
        client = GeminiLiveClient(
            catalog,
            "test-key",
            live,
            TokenBudget(budget, tmp_path / "usage.json"),
            sim.server.client_ssl(),
            sink=sink,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 30.0) -> None:
    """Wait for something to happen (a bound against hanging, not a speed assertion)."""
    end = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
