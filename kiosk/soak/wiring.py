"""The soak's kiosk, wired as `kiosk run --headless` wires it, plus the simulator, the capture
proxy and the fault injectors; and, when it is done, the report."""

from __future__ import annotations

import logging
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from edge.audio_io import ResilientMic
from edge.playback import VirtualSpeaker
from edge.vad import SileroVad
from edge.vision.faces import BlazeFace
from kiosk.agent.observers import AgentObservers, start_observers
from kiosk.audio_setup import DeviceRelay, listening, loop_options
from kiosk.cloud.budget import TokenBudget
from kiosk.cloud.client import GeminiLiveClient, LiveSettings
from kiosk.cloud.factory import vad_model_factory
from kiosk.cloud.sim.brain import Brain
from kiosk.cloud.sim.options import SimOptions
from kiosk.cloud.sim.server import SimThread
from kiosk.config import gemini_api_key, load_config
from kiosk.control import request
from kiosk.conversation import ConversationLoop
from kiosk.errors import KioskError
from kiosk.runtime import Runtime, build_runtime
from kiosk.service import ServiceHooks
from kiosk.soak.capture import CaptureProxy
from kiosk.soak.faults import (
    ConfigChanges,
    FaultySim,
    FramesFolder,
    SimFaults,
    TelemetryDisk,
    faults_at,
)
from kiosk.soak.monitor import LATE_MS, TurnMonitor
from kiosk.soak.privacy import check_capture, raw_digits_in
from kiosk.soak.props import EscalationLog, write_camera_frames
from kiosk.soak.shopper import PII_DIGITS, Question, ShopperMic, speak_questions
from kiosk.telemetry.turnlog import FILE_NAME, TurnLog
from kiosk.vision import FACE_FULL, FACE_SHORT, open_vision

if TYPE_CHECKING:
    from kiosk.soak.run import Crashes, SoakOptions

log = logging.getLogger(__name__)
HUNG_S = 120.0
"""No new question for this long while the agent loop lives: it is hung."""


class Rig:
    def __init__(self, work: Path, options: SoakOptions, crashes: Crashes) -> None:
        self.work = work
        self.options = options
        self.crashes = crashes
        self.note = ""
        self.config_path = work / "config" / "kiosk.toml"
        self.socket_path = work / "control.sock"
        self.disk = TelemetryDisk(work / "state")
        self.frames = FramesFolder(work / "camera")
        self.loop_restarts = 0
        self.hung = False
        self._stop = threading.Event()
        self._closers: list[tuple[str, Callable[[], None]]] = []
        self._pending_sim: list[str] = []
        self.fault_log: list[tuple[int, str]] = []
        self.vision_note = "camera: off"
        self.camera_frames = 0

    # ----- building it -----

    def start(self) -> None:
        """Build the kiosk as `kiosk run --headless --speaker-file` does (kiosk.app), with the
        soak's shopper as its microphone device and its own cloud behind the capture."""
        self.disk.prepare()
        self.base_config = (
            f'[telemetry]\nstate_dir = "{self.disk.path}"\n\n'
            f'[vision]\ncamera = "{self.frames.path}"\n'
        )
        self.config_path.parent.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(self.base_config, encoding="utf-8")
        config = load_config(self.config_path)
        self.config = config
        self.service = ServiceHooks(self.config_path, self.socket_path)
        self.service.starting()
        self._closers.append(("service", self.service.close))
        runtime = build_runtime(config, cloud_mode="off")  # the soak wires its own cloud
        self.runtime = runtime
        self.local, self.open = speak_questions(runtime.engine.tts)
        self._start_cloud(runtime)
        self.camera_frames = write_camera_frames(self.frames.path, runtime.store)
        self.relay = DeviceRelay()
        self.speaker = VirtualSpeaker()
        self._closers.append(("speaker", self.speaker.close))
        self.monitor = TurnMonitor(
            lambda: self.shopper.position, self.speaker, self._tracker_state
        ).start()
        self._closers.append(("monitor", self.monitor.close))
        self.shopper = ShopperMic(self.options.turns, self._plan, self.monitor, self.options.pace)
        self.mic = ResilientMic(self.shopper.open, self.relay.callback("microphone"))
        self.shopper.on_finished = self.mic.close
        self.live = self.service.attach(runtime, windowed=False, store_override=None)
        self.vision, self.vision_note = open_vision(runtime, windowed=False)
        self._closers.insert(0, ("vision", self.vision.close))
        self.vad = SileroVad(runtime.models.require_file("silero-vad"))
        self.hearing = listening(config, runtime.models, runtime.engine)
        self.observers: AgentObservers = start_observers(runtime.engine, config)
        self._closers.append(("observers", self.observers.close))
        prewarmer = runtime.engine.prewarm()
        self._closers.append(("prewarmer", prewarmer.stop))
        self.changes = ConfigChanges(self.config_path, self.socket_path, self.base_config)
        self.note = f"telemetry disk: {self.disk.mode}; {self.vision_note}; work: {self.work}"

    def _start_cloud(self, runtime: Runtime) -> None:
        engine = runtime.engine
        models = runtime.models
        server = FaultySim(
            Brain(engine.stt, engine.tts),
            SimOptions(record_messages=False),
            vad_factory=vad_model_factory(models.require_file("silero-vad")),
        )
        self.sim = SimThread(server)
        self._closers.append(("simulator", self.sim.stop))
        self.sim_faults = SimFaults(self.sim, self.options.goaway_s)
        self.proxy = CaptureProxy(
            ("127.0.0.1", server.port), server.client_ssl(), self.work / "capture"
        ).start()
        self._closers.append(("capture proxy", self.proxy.stop))
        key = gemini_api_key()
        if key is None:
            raise KioskError("soak: no API key in the environment")
        cloud = self.config.cloud
        settings = LiveSettings(
            model=cloud.model,
            base_url=self.proxy.base_url,
            session_max_s=cloud.session_max_s,
            idle_close_s=cloud.idle_close_s,
            reply_timeout_s=cloud.reply_timeout_s,
        )
        budget = TokenBudget(cloud.daily_token_budget, self.disk.path / "cloud-usage.json")
        self.client = GeminiLiveClient(
            runtime.catalog,
            key.get_secret_value(),
            settings,
            budget,
            ssl_context=self.proxy.client_ssl(),
        )
        self._closers.insert(0, ("cloud client", self.client.close))
        self.escalations = EscalationLog(self.client)
        engine.cloud = self.escalations
        self.client.prepare()

    def _tracker_state(self) -> str:
        observers = getattr(self, "observers", None)
        return str(observers.tracker.state.value) if observers is not None else "idle"

    # ----- the conversation -----

    def _plan(self, turn: int) -> Question:
        """Called by the shopper as it is about to ask question `turn`: inject what is due."""
        self.monitor.sample_memory()
        del self.speaker.handles[:-16]  # the speaker keeps every handle; the loop holds its own
        for fault in faults_at(turn):
            self.fault_log.append((turn, fault))
            self._inject(fault)
        fired = self.sim_faults.fired()
        armed = self.sim_faults.armed
        if len(fired) >= len(armed) and self._pending_sim:
            self.sim_faults.arm(self._pending_sim.pop(0))
        waiting = len(self.sim_faults.fired()) < len(self.sim_faults.armed)
        if waiting or turn % 2:
            return self.open[(turn // 2) % len(self.open)]
        return self.local[(turn // 2) % len(self.local)]

    def _inject(self, fault: str) -> None:
        kind, _, what = fault.partition(":")
        log.info("soak: injecting %s", fault)
        if kind == "sim":
            self._pending_sim.append(what)
        elif kind == "camera" and what == "unplug":
            self.frames.unplug()
        elif kind == "camera":
            self.frames.replug()
        elif kind == "mic":
            self.shopper.fail_next()
        elif kind == "disk":
            if what == "full":
                self.disk.fill(self.observers.telemetry.turn_log)
            else:
                self.disk.free()
        elif kind == "config":
            self.changes.apply(what)

    def converse(self, progress: Callable[[int, TurnMonitor], None]) -> None:
        """Run the agent loop until every question is asked. If it dies, it is started again,
        as systemd would restart the kiosk, and the death counts as a crash."""
        while not self._stop.is_set():
            emit = self.live.observe(self.observers.sink(self.monitor))
            if not self.loop_restarts:
                self.vision.start(emit)  # camera frames, presence and its status
            self.relay.attach(emit)
            loop = ConversationLoop(
                self.runtime.engine,
                self.vad,
                self.hearing.endpointer,
                self.live.watch_mic(self.mic),
                self.speaker,
                emit,
                0,
                turn_model=self.hearing.turn_model,
                echo=self.hearing.echo,
                gate=self.hearing.gate,
                options=loop_options(self.config),
            )
            died: list[BaseException] = []
            agent = threading.Thread(
                target=_guarded(loop.run, self._stop, died), name="agent", daemon=True
            )
            agent.start()
            if self._supervise(agent, progress):
                return
            if not died:
                if not self.shopper.finished:
                    self.crashes.add("agent loop", RuntimeError("the loop returned early"))
                return
            self.crashes.add("agent loop", died[0])
            self.loop_restarts += 1
            self.vad.reset()
            self.hearing.endpointer.reset()

    def _supervise(
        self, agent: threading.Thread, progress: Callable[[int, TurnMonitor], None]
    ) -> bool:
        """Wait for the loop; True when it hung (no new question for HUNG_S)."""
        last_turn, last_change = -1, time.monotonic()
        while agent.is_alive():
            agent.join(timeout=1.0)
            if self.shopper.turn != last_turn:
                last_turn, last_change = self.shopper.turn, time.monotonic()
                progress(self.shopper.turn, self.monitor)
            elif time.monotonic() - last_change > HUNG_S:
                self.hung = True
                self.crashes.add("agent loop", TimeoutError(f"hung for {HUNG_S:.0f} s"))
                return True
        return False

    def stop(self) -> None:
        self._stop.set()
        shopper: ShopperMic | None = getattr(self, "shopper", None)
        if shopper is not None:
            shopper.finish()
        mic: ResilientMic | None = getattr(self, "mic", None)
        if mic is not None:
            mic.close()
        changes = getattr(self, "changes", None)
        if changes is not None:
            changes.wait()
        self._dump_config()
        self.frames.replug()
        for name, close in self._closers:
            try:
                close()
            except Exception as exc:
                self.crashes.add(f"closing {name}", exc)
        self.disk.release(self.work / "state-final")

    def _dump_config(self) -> None:
        """What an operator could dump: the config, the health reply."""
        dumps = self.work / "dumps"
        dumps.mkdir(parents=True, exist_ok=True)
        if hasattr(self, "config"):
            (dumps / "config.json").write_text(self.config.model_dump_json(indent=1))
        try:
            health = request(self.socket_path, "health", timeout=5.0)
        except KioskError as exc:
            health = {"error": str(exc)}
        (dumps / "health.json").write_text(str(health))

    # ----- the report -----

    def report(self, key: str) -> dict[str, Any]:
        monitor = getattr(self, "monitor", None)
        records = monitor.records if monitor is not None else []
        pace = self.options.pace
        latency = {r.turn: r.latency_ms(pace) for r in records}
        latencies = [v for r in records if (v := latency[r.turn]) is not None and not r.gave_up]
        unanswered = sum(1 for r in records if r.gave_up or not r.done.is_set())
        late = sum(1 for r in records if not r.gave_up and (latency[r.turn] or 0.0) > LATE_MS)
        routes: dict[str, int] = {}
        for r in records:
            if r.route:
                routes[r.route] = routes.get(r.route, 0) + 1
        privacy, faces_sent = self._privacy(key)
        turns = getattr(getattr(self, "shopper", None), "turns", 0)
        return {
            "turns": len(records),
            "turns_planned": turns,
            "crashes": len(self.crashes.reports),
            "lost_turns": unanswered + late,
            "faces_sent": faces_sent,
            "memory_growth_pct": self._memory()["growth_pct"],
            "answered": len(records) - unanswered,
            "unanswered": unanswered,
            "late": late,
            "routes": routes,
            "fallbacks_after_cloud_error": sum(1 for r in records if r.error),
            "extra_turns": monitor.extra_turns if monitor else 0,
            "extra_turns_heard": monitor.extra_heard if monitor else [],
            "latency_ms": _percentiles(latencies),
            "stuck": [vars(s) for s in monitor.stuck] if monitor else [],
            "silent_replies": monitor.silent_replies if monitor else 0,
            "loop_restarts": self.loop_restarts,
            "hung": self.hung,
            "crash_reports": self.crashes.reports,
            "logged_errors": dict(self.crashes.logged_errors),
            "cloud": self._cloud(),
            "faults": self._faults(),
            "devices": dict(monitor.devices) if monitor else {},
            "presence": dict(monitor.presence) if monitor else {},
            "telemetry": self._telemetry(len(records) - unanswered),
            "config_applies": dict(self.changes.outcomes) if hasattr(self, "changes") else {},
            "config_apply_errors": self.changes.errors if hasattr(self, "changes") else [],
            "memory": self._memory(),
            "privacy": privacy,
            "pace": self.options.pace,
            "setup": self.note,
            "kiosk_latency_ms": _percentiles(
                [r.kiosk_latency_ms for r in records if r.kiosk_latency_ms is not None]
            ),
            "per_turn": [r.summary(pace) for r in records],
        }

    def _cloud(self) -> dict[str, Any]:
        client = getattr(self, "client", None)
        if client is None:
            return {}
        stats = client.stats
        closes: dict[str, int] = {}
        for code in stats.closes:
            closes[str(code)] = closes.get(str(code), 0) + 1
        return {
            "connects": stats.connects,
            "resumed": stats.resumed,
            "fresh": stats.connects - stats.resumed,
            "fresh_after_1007": stats.fresh_starts,
            "reconnects": len(stats.reconnect_ms),
            "reconnect_ms": _percentiles(stats.reconnect_ms),
            "go_aways": stats.go_aways,
            "closes": closes,
            "turns": stats.turns,
            "retries": stats.retries,
            "failed_turns": stats.failed_turns,
            "escalations": self.escalations.requests,
            "capture_connections": self.proxy.stats.connections,
        }

    def _faults(self) -> dict[str, Any]:
        injected: dict[str, int] = {}
        for _, fault in self.fault_log:
            injected[fault] = injected.get(fault, 0) + 1
        fired: dict[str, int] = {}
        sim_faults = getattr(self, "sim_faults", None)
        for kind in sim_faults.fired() if sim_faults else []:
            fired[f"sim:{kind}"] = fired.get(f"sim:{kind}", 0) + 1
        shopper = getattr(self, "shopper", None)
        fired["mic:error"] = shopper.errors if shopper else 0
        fired["camera:unplug"] = self.frames.unplugs
        fired["disk:full"] = self.disk.fills
        return {"injected": injected, "fired": fired}

    def _telemetry(self, answered: int) -> dict[str, Any]:
        path = self.work / "state-final" / FILE_NAME
        if not path.is_file():
            return {"disk": self.disk.mode, "rows": 0, "note": "no turn log"}
        turn_log = TurnLog(path, ttl_days=3650.0)
        try:
            rows = turn_log.turns()
        finally:
            turn_log.close()
        texts = [t for r in rows for t in (r.transcript, r.reply, r.reason, r.error or "")]
        return {
            "disk": self.disk.mode,
            "rows": len(rows),
            "rows_missing": max(answered - len(rows), 0),
            "raw_phone_numbers": raw_digits_in(texts, PII_DIGITS),
            "redacted_phone_numbers": sum(1 for r in rows if "[phone]" in r.transcript),
        }

    def _memory(self) -> dict[str, Any]:
        monitor = getattr(self, "monitor", None)
        samples = monitor.rss_kb if monitor is not None else []
        warm_up = max(20, len(samples) // 10)
        if len(samples) < warm_up + 10:
            return {"growth_pct": None, "warm_mib": None, "end_mib": None, "samples": len(samples)}
        warm = statistics.mean(samples[warm_up : warm_up + 10])
        end = statistics.mean(samples[-10:])
        return {
            "growth_pct": round((end - warm) / warm * 100.0, 2),
            "warm_mib": round(warm / 1024, 1),
            "end_mib": round(end / 1024, 1),
            "start_mib": round(samples[0] / 1024, 1),
            "peak_mib": round(max(samples) / 1024, 1),
            "warm_up_turns": warm_up,
            "samples": len(samples),
        }

    def _privacy(self, key: str) -> tuple[dict[str, Any], int]:
        proxy = getattr(self, "proxy", None)
        if proxy is None:
            return {"note": "no capture"}, 0
        models = self.runtime.models
        detectors = tuple(
            BlazeFace(models.require("blazeface", name)) for name in (FACE_SHORT, FACE_FULL)
        )
        found = check_capture(proxy.files(), detectors, self.escalations.digests, key)
        faces_in_camera = 0
        for picture in sorted(self.frames.path.glob("*.png")):
            image = cv2.imread(str(picture))
            if image is not None:
                faces_in_camera += sum(len(d.detect(image)) for d in detectors)
        return {
            "capture_bytes": proxy.stats.bytes_up,
            "connections": found.connections,
            "messages": found.messages,
            "frames_sent": found.frames,
            "faces_in_camera_pictures": faces_in_camera,
            "audio_turns_sent": found.audio_turns,
            "escalated_utterances": len(self.escalations.digests),
            "audio_outside_escalation": found.audio_outside_escalation,
            "best_face_candidate_score": found.best_candidate,
            "key_in_handshakes": found.key_in_headers,
            "key_elsewhere_in_capture": found.key_elsewhere_in_capture,
            "problems": found.problems[:20],
        }, found.faces_sent


def _guarded(
    run: Callable[[threading.Event], object], stop: threading.Event, died: list[BaseException]
) -> Callable[[], None]:
    def target() -> None:
        try:
            run(stop)
        except BaseException as exc:  # the loop died: the supervisor records and restarts it
            died.append(exc)

    return target


def _percentiles(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0, "p50": None, "p95": None, "max": None}
    array = np.asarray(values, dtype=np.float64)
    return {
        "n": len(values),
        "p50": round(float(np.percentile(array, 50)), 1),
        "p95": round(float(np.percentile(array, 95)), 1),
        "max": round(float(array.max()), 1),
    }
