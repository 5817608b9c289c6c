"""Choose and build the cloud from config: Gemini Live, the local simulator, or none."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.cloud.budget import FILE_NAME, TokenBudget
from kiosk.cloud.client import GeminiLiveClient, LiveSettings
from kiosk.cloud.reply import ReplyAudioSink
from kiosk.cloud.sim.brain import Brain, Recognizer, Synthesizer
from kiosk.cloud.sim.options import SimOptions
from kiosk.cloud.sim.server import SimServer, SimThread
from kiosk.cloud.tools import PointerSink
from kiosk.config import KioskConfig, gemini_api_key
from kiosk.errors import KioskError
from kiosk.state import state_dir
from kiosk.store.catalog import Catalog

SIM_KEY = "local-simulator"
"""google-genai dials wss only with an API key; the simulator accepts any."""


@dataclass
class CloudSetup:
    mode: str
    """'gemini', 'sim' or 'off'."""
    note: str
    client: GeminiLiveClient | None = None
    sim: SimThread | None = None

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.sim is not None:
            self.sim.stop()


def resolve_mode(configured: str, override: str | None, has_key: bool) -> str:
    wanted = override or configured
    if wanted == "auto":
        return "gemini" if has_key else "sim"
    return wanted


def build_cloud(
    config: KioskConfig,
    catalog: Catalog,
    stt: Recognizer,
    tts: Synthesizer,
    vad_factory: Callable[[], Any],
    mode: str | None = None,
    sink: ReplyAudioSink | None = None,
    pointer: PointerSink | None = None,
    environ: dict[str, str] | None = None,
) -> CloudSetup:
    """The cloud for this run. `mode` overrides config (`kiosk ask --cloud`). In sim mode the
    simulator runs in-process on its own thread, hearing with `stt` and speaking with `tts`."""
    env = dict(os.environ) if environ is None else environ
    settings = config.cloud
    key = gemini_api_key(env)
    chosen = resolve_mode(settings.mode, mode, key is not None)
    if chosen == "off":
        return CloudSetup("off", "cloud escalation is off: answering catalog questions only")
    live = LiveSettings(
        model=settings.model,
        base_url=settings.base_url,
        session_max_s=settings.session_max_s,
        idle_close_s=settings.idle_close_s,
        reply_timeout_s=settings.reply_timeout_s,
    )
    budget = TokenBudget(
        settings.daily_token_budget,
        state_dir(config.telemetry.state_dir, env) / FILE_NAME,
    )
    if chosen == "gemini":
        if key is None:
            raise KioskError(
                "cloud mode gemini needs GEMINI_API_KEY (or the systemd credential "
                "gemini_api_key); use --cloud sim for the local simulator"
            )
        client = GeminiLiveClient(
            catalog, key.get_secret_value(), live, budget, sink=sink, pointer=pointer
        )
        return CloudSetup("gemini", f"cloud escalation: Gemini Live ({settings.model})", client)
    sim = SimThread(SimServer(Brain(stt, tts), SimOptions(), vad_factory=vad_factory))
    live = LiveSettings(**{**live.__dict__, "base_url": sim.server.base_url})
    client = GeminiLiveClient(
        catalog, SIM_KEY, live, budget, sim.server.client_ssl(), sink=sink, pointer=pointer
    )
    reason = "no GEMINI_API_KEY: " if key is None and settings.mode == "auto" else ""
    note = (
        f"{reason}cloud escalation goes to the local Gemini Live simulator at "
        f"{sim.server.base_url} (dev mode: scripted answers, not Gemini)"
    )
    return CloudSetup("sim", note, client, sim)


def vad_model_factory(model_path: Path) -> Callable[[], Any]:
    def make() -> Any:
        from edge.vad import SileroVad

        return SileroVad(model_path)

    return make
