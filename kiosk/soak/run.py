"""`kiosk soak --turns N [--json OUT.json]`: run the headless agent with injected faults.

Everything the kiosk runs is real and wired as `kiosk run --headless` wires it: the models, the
turn engine, the conversation loop, the visit tracker, telemetry, the control socket and config
reload, the camera and vision, and the Gemini Live client. The cloud is the local simulator,
reached through a capture proxy. The report's contract keys are `turns`, `crashes`,
`lost_turns`, `faces_sent` and `memory_growth_pct`; the rest says what happened in detail.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.soak.monitor import LATE_MS, TurnMonitor

log = logging.getLogger(__name__)


@dataclass
class SoakOptions:
    turns: int = 500
    pace: float = 1.0
    """The shopper speaks (and the speaker plays) this many times faster than real time."""
    goaway_s: float = 45.0
    work_dir: Path | None = None
    """Where the run's files go (kept); None: a temporary folder, removed afterwards."""
    progress: bool = True


@dataclass
class Crashes:
    """Every exception that escaped a kiosk thread, with its traceback."""

    reports: list[dict[str, str]] = field(default_factory=list)
    logged_errors: Counter[str] = field(default_factory=Counter)

    def add(self, where: str, exc: BaseException) -> None:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self.reports.append(
            {
                "where": where,
                "type": type(exc).__name__,
                "message": str(exc)[:300],
                "traceback": text,
            }
        )


class _ErrorCounter(logging.Handler):
    def __init__(self, crashes: Crashes) -> None:
        super().__init__(logging.ERROR)
        self._crashes = crashes

    def emit(self, record: logging.LogRecord) -> None:
        self._crashes.logged_errors[record.name] += 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Run the headless kiosk (real models, loop, vision, telemetry, control socket, Gemini "
        "Live client) against the local simulator behind a capture proxy, asking N spoken "
        "questions while faults are injected on a schedule; print the figures and write the "
        "report as JSON. Needs the test extra (scikit-image) and the model cache."
    )
    parser.add_argument("--turns", type=int, default=500, help="questions to ask (default 500)")
    parser.add_argument("--json", type=Path, dest="json_out", help="write the report here")
    parser.add_argument(
        "--pace", type=float, default=1.0, help="times faster than real time (default 1)"
    )
    parser.add_argument(
        "--goaway-s",
        type=float,
        default=45.0,
        help="the simulator's goAway, this many seconds into each session (default 45)",
    )
    parser.add_argument("--work-dir", type=Path, help="keep the run's files here")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")


def run_soak_command(args: argparse.Namespace) -> int:
    from kiosk.errors import KioskError

    if args.turns < 1 or args.pace <= 0:
        raise KioskError("--turns must be at least 1 and --pace above 0")
    options = SoakOptions(args.turns, args.pace, args.goaway_s, args.work_dir, not args.quiet)
    report = run_soak(options)
    print(summary(report))
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


def run_soak(options: SoakOptions) -> dict[str, Any]:
    if options.work_dir is not None:
        options.work_dir.mkdir(parents=True, exist_ok=True)
        return _Soak(options, options.work_dir).run()
    with tempfile.TemporaryDirectory(prefix="kiosk-soak-") as tmp:
        return _Soak(options, Path(tmp)).run()


class _Soak:
    def __init__(self, options: SoakOptions, work: Path) -> None:
        self.options = options
        self.work = work.absolute()
        self.crashes = Crashes()
        self.key = f"soak-canary-{uuid.uuid4().hex}"
        self.log_path = self.work / "logs" / "kiosk.log"

    def run(self) -> dict[str, Any]:
        started = time.monotonic()
        handlers = self._logging()
        hooks = self._catch_thread_crashes()
        try:
            report = self._run()
        finally:
            threading.excepthook = hooks
            for handler in handlers:
                logging.getLogger().removeHandler(handler)
                handler.close()
        report["seconds"] = round(time.monotonic() - started, 1)
        report["work_dir"] = str(self.work) if self.options.work_dir else None
        self._scan_for_key(report)
        return report

    # ----- setting up -----

    def _logging(self) -> list[logging.Handler]:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        to_file = logging.FileHandler(self.log_path, encoding="utf-8")
        to_file.setFormatter(logging.Formatter("%(asctime)s %(threadName)s %(name)s %(message)s"))
        counter = _ErrorCounter(self.crashes)
        root = logging.getLogger()
        root.setLevel(logging.DEBUG)  # the key must not leak even at the chattiest level
        root.addHandler(to_file)
        root.addHandler(counter)
        return [to_file, counter]

    def _catch_thread_crashes(self) -> Any:
        previous = threading.excepthook

        def hook(args: threading.ExceptHookArgs) -> None:
            if args.exc_value is not None:
                where = f"thread {args.thread.name if args.thread else '?'}"
                self.crashes.add(where, args.exc_value)
            previous(args)

        threading.excepthook = hook
        return previous

    def _run(self) -> dict[str, Any]:
        from kiosk.soak.wiring import Rig

        os.environ["GEMINI_API_KEY"] = self.key  # read back through gemini_api_key(), as run does
        rig = Rig(self.work, self.options, self.crashes)
        try:
            rig.start()
            self._say(f"soak: {self.options.turns} turns at pace {self.options.pace:g}; {rig.note}")
            rig.converse(self._progress)
        except Exception as exc:  # the soak itself failed to run: a crash of the whole kiosk
            self.crashes.add("soak setup", exc)
            log.exception("soak: aborted")
        finally:
            rig.stop()
            os.environ.pop("GEMINI_API_KEY", None)
        return rig.report(self.key)

    def _progress(self, turn: int, monitor: TurnMonitor) -> None:
        if not self.options.progress or turn == 0 or turn % 25:
            return
        records = monitor.records
        late = sum(1 for r in records if (r.latency_ms(self.options.pace) or 0.0) > LATE_MS)
        lost = sum(1 for r in records if r.gave_up)
        self._say(
            f"soak: {turn}/{self.options.turns} turns, {lost} unanswered, {late} late, "
            f"{len(self.crashes.reports)} crashes, rss {monitor.rss_kb[-1] // 1024} MiB"
        )

    def _say(self, line: str) -> None:
        if self.options.progress:
            print(line, file=sys.stderr, flush=True)

    def _scan_for_key(self, report: dict[str, Any]) -> None:
        from kiosk.soak.privacy import files_holding

        privacy = report.setdefault("privacy", {})
        places = [self.log_path, self.work / "state-final", self.work / "dumps"]
        leaks = files_holding(self.key, [p for p in places if p.exists()])
        if self.key in json.dumps(report):
            leaks.append("the soak report")
        if any(
            self.key in c["traceback"] or self.key in c["message"] for c in self.crashes.reports
        ):
            leaks.append("crash reports")
        privacy["api_key_leaks"] = leaks


def summary(report: dict[str, Any]) -> str:
    latency = report.get("latency_ms", {})
    cloud = report.get("cloud", {})
    privacy = report.get("privacy", {})
    return "\n".join(
        [
            f"turns {report['turns']}: {report['answered']} answered "
            f"({report['routes']}), {report['lost_turns']} lost "
            f"({report['unanswered']} unanswered, {report['late']} later than 3 s)",
            f"crashes {report['crashes']}; stuck states {len(report['stuck'])}; "
            f"silent replies {report['silent_replies']}",
            f"latency p50 {latency.get('p50')} ms, p95 {latency.get('p95')} ms, "
            f"max {latency.get('max')} ms",
            f"cloud: {cloud.get('connects')} sessions ({cloud.get('resumed')} resumed, "
            f"{cloud.get('fresh')} fresh), {cloud.get('reconnects')} reconnects, "
            f"{cloud.get('go_aways')} goAways, closes {cloud.get('closes')}",
            f"faults fired {report['faults']['fired']}",
            f"memory growth after warm-up {report['memory_growth_pct']}% "
            f"({report['memory']['warm_mib']} -> {report['memory']['end_mib']} MiB)",
            f"privacy: {privacy.get('frames_sent')} frames sent, {report['faces_sent']} faces "
            f"in them; {privacy.get('audio_outside_escalation')} audio outside escalation; "
            f"key leaks {privacy.get('api_key_leaks')}",
        ]
    )
