"""Wiring: build the real stages from config and the model cache, in one place."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from edge.cpu import single_thread_blas
from edge.stt import WhisperStt
from edge.tts import PiperTts, TtsOptions
from edge.vad import SileroVad
from kiosk.agent.turn import TurnEngine
from kiosk.config import KioskConfig
from kiosk.models import ModelCache, default_cache_dir
from kiosk.store.catalog import Catalog
from kiosk.store.pack import StorePack, demo_store_path, load_store

if TYPE_CHECKING:
    from kiosk.cloud.factory import CloudSetup


@dataclass(frozen=True)
class Runtime:
    config: KioskConfig
    store: StorePack
    catalog: Catalog
    engine: TurnEngine
    models: ModelCache
    cloud: CloudSetup | None = None
    """The cloud (Gemini Live or the local simulator), when escalation is on."""


def store_path(config: KioskConfig, override: Path | None = None) -> Path:
    return override or config.store.path or demo_store_path()


def open_voice(
    config: KioskConfig, models: ModelCache, options: TtsOptions | None = None
) -> PiperTts:
    """The configured voice (`options` instead of the config's, when given), its graph cut
    once and kept in the model cache."""
    return PiperTts(
        models.require_file(config.tts.voice),
        options or config.tts.options(),
        split_cache=models.voice_graphs,
    )


def build_runtime(
    config: KioskConfig, store_dir: Path | None = None, cloud_mode: str | None = None
) -> Runtime:
    """`cloud_mode` ('gemini', 'sim', 'off', 'auto') overrides config.cloud.mode; None keeps it."""
    single_thread_blas()
    store = load_store(store_path(config, store_dir))
    catalog = Catalog(store)
    models = ModelCache(default_cache_dir(config.models.cache_dir))
    vad = SileroVad(models.require_file("silero-vad"))
    stt = WhisperStt(models.require(config.stt.model), config.stt.options())
    tts = open_voice(config, models)
    engine = TurnEngine(
        catalog=catalog,
        vad=vad,
        stt=stt,
        tts=tts,
        vad_options=config.vad.options(),
        router_options=config.router.options(),
        bias_stt=config.stt.bias_to_catalog,
    )
    engine.warm_up()
    cloud = _build_cloud(config, catalog, stt, tts, models, cloud_mode)
    engine.cloud = cloud.client
    return Runtime(config, store, catalog, engine, models, cloud)


def _build_cloud(
    config: KioskConfig,
    catalog: Catalog,
    stt: WhisperStt,
    tts: PiperTts,
    models: ModelCache,
    mode: str | None,
) -> CloudSetup:
    from kiosk.cloud.factory import build_cloud, vad_model_factory

    vad_factory = vad_model_factory(models.require_file("silero-vad"))
    return build_cloud(config, catalog, stt, tts, vad_factory, mode=mode)
