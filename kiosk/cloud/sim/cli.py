"""`kiosk sim`: run the local Gemini Live simulator until interrupted.

When it is ready it prints one JSON line, `{"base_url": "https://127.0.0.1:PORT", "ca": PATH}`,
so any google-genai client can use it:
    HttpOptions(base_url=..., async_client_args={"ssl": ssl.create_default_context(cafile=ca)})
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from pathlib import Path

from kiosk.cloud.sim.options import (
    FAULT_HELP,
    SimOptions,
    SimOptionsError,
    VadDefaults,
    parse_fault,
)

_VAD = VadDefaults()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "A local Gemini Live simulator: TLS websocket on Google's BidiGenerateContent path, "
        "google-genai's wire protocol, a scripted brain (local STT, the client's declared "
        "tools, Piper at 24 kHz). When the client leaves automatic activity detection on, its "
        f"server VAD uses prefixPaddingMs={_VAD.prefix_padding_ms}, "
        f"silenceDurationMs={_VAD.silence_duration_ms}, {_VAD.start_sensitivity} and "
        f"{_VAD.end_sensitivity} unless the setup says otherwise."
    )
    parser.add_argument("--host", default="127.0.0.1", help="listen address (loopback)")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--ca-out", type=Path, help="write the CA certificate (PEM) here")
    parser.add_argument("--config", type=Path, help="kiosk config (models, STT, voice)")
    parser.add_argument(
        "--ttfb-ms", type=float, default=0.0, help="extra delay before each reply (default 0)"
    )
    parser.add_argument(
        "--chunk-ms", type=int, default=40, help="reply audio per message (default 40)"
    )
    parser.add_argument(
        "--pace",
        type=float,
        default=0.0,
        help="reply audio pacing, a fraction of real time (0: as fast as made; 1: real time)",
    )
    parser.add_argument("--goaway-grace-s", type=float, default=2.0, help="goAway timeLeft")
    parser.add_argument(
        "--session-max-s", type=float, default=600.0, help="session cap (default 600)"
    )
    parser.add_argument("--fault", action="append", default=[], help=FAULT_HELP)


def options_from(args: argparse.Namespace) -> SimOptions:
    if not 1 <= args.chunk_ms <= 2000:
        raise SimOptionsError(f"--chunk-ms {args.chunk_ms}: must be 1 to 2000")
    if args.ttfb_ms < 0 or args.pace < 0:
        raise SimOptionsError("--ttfb-ms and --pace must be >= 0")
    return SimOptions(
        host=args.host,
        port=args.port,
        ttfb_ms=args.ttfb_ms,
        chunk_ms=args.chunk_ms,
        pace=args.pace,
        goaway_grace_s=args.goaway_grace_s,
        session_max_s=args.session_max_s,
        faults=tuple(parse_fault(f) for f in args.fault),
    )


def run_sim(args: argparse.Namespace) -> int:
    from edge.stt import WhisperStt
    from kiosk.cloud.factory import vad_model_factory
    from kiosk.cloud.sim.brain import Brain
    from kiosk.cloud.sim.server import SimServer
    from kiosk.config import load_config
    from kiosk.models import ModelCache, default_cache_dir
    from kiosk.runtime import open_voice

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    options = options_from(args)
    config = load_config(args.config)
    models = ModelCache(default_cache_dir(config.models.cache_dir))
    stt = WhisperStt(models.require(config.stt.model), config.stt.options())
    tts = open_voice(config, models)
    vad = vad_model_factory(models.require_file("silero-vad"))
    server = SimServer(Brain(stt, tts), options, vad_factory=vad, ca_out=args.ca_out)

    async def serve() -> None:
        await server.start()
        print(json.dumps(server.ready_line()), flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await server.stop()

    asyncio.run(serve())
    print("kiosk sim: stopped", file=sys.stderr)
    return 0
