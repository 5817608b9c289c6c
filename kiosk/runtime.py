"""Wiring: build the real stages from config and the model cache, in one place."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from edge.stt import WhisperStt
from edge.tts import PiperTts
from edge.vad import SileroVad
from kiosk.agent.router import RouterOptions
from kiosk.agent.turn import TurnEngine
from kiosk.config import KioskConfig
from kiosk.models import ModelCache, default_cache_dir
from kiosk.store.catalog import Catalog
from kiosk.store.pack import StorePack, demo_store_path, load_store


@dataclass(frozen=True)
class Runtime:
    config: KioskConfig
    store: StorePack
    catalog: Catalog
    engine: TurnEngine
    models: ModelCache


def store_path(config: KioskConfig, override: Path | None = None) -> Path:
    return override or config.store.path or demo_store_path()


def build_runtime(config: KioskConfig, store_dir: Path | None = None) -> Runtime:
    store = load_store(store_path(config, store_dir))
    catalog = Catalog(store)
    models = ModelCache(default_cache_dir(config.models.cache_dir))
    vad = SileroVad(models.require_file("silero-vad"))
    stt = WhisperStt(models.require(config.stt.model), config.stt.options())
    tts = PiperTts(models.require_file(config.tts.voice), config.tts.options())
    engine = TurnEngine(
        catalog=catalog,
        vad=vad,
        stt=stt,
        tts=tts,
        vad_options=config.vad.options(),
        router_options=RouterOptions(
            min_confidence=config.router.min_confidence, min_margin=config.router.min_margin
        ),
        bias_stt=config.stt.bias_to_catalog,
    )
    engine.warm_up()
    return Runtime(config, store, catalog, engine, models)
