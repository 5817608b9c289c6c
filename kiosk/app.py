"""`kiosk run`: choose the mode, the microphone and the speaker, then run the live loop.

This is the only module of `kiosk` that may start the Qt window (it imports `ui` lazily), so
the agent runs headless without Qt.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from dataclasses import dataclass

import numpy as np

from edge.audio_io import AudioDeviceError, FileMic, Microphone, Speaker
from edge.playback import VirtualSpeaker
from edge.vad import SileroVad
from edge.wav import resample
from kiosk import room_memory
from kiosk.agent.observers import start_observers
from kiosk.audio_setup import (
    DeviceRelay,
    hears_the_speaker,
    listening,
    loop_options,
    open_device_mic,
    speaker_missing,
)
from kiosk.audio_setup import open_speaker as open_audio_speaker
from kiosk.config import KioskConfig, gemini_api_key, load_config
from kiosk.conversation import ConversationLoop
from kiosk.errors import KioskError
from kiosk.events import (
    DeviceStatus,
    Event,
    EventSink,
    ReplyProgress,
    ReplyStarted,
    StatusChanged,
)
from kiosk.runtime import Runtime, build_runtime
from kiosk.service import ServiceHooks
from kiosk.state import state_dir
from kiosk.vision import open_vision

log = logging.getLogger("kiosk")

DEMO_QUESTIONS = (
    "Where can I find the AA batteries?",
    "How much is the whole milk?",
    "Is this sunscreen safe for a three year old?",
)


@dataclass(frozen=True)
class Mode:
    name: str
    note: str = ""


SCREENLESS_PLATFORMS = ("offscreen", "eglfs", "linuxfb", "vnc")
"""Qt platforms that draw without a display server."""


def choose_mode(
    flag: str | None, configured: str, environ: dict[str, str], platform: str | None = None
) -> Mode:
    """The UI mode: the flag, then the config; `auto` is windowed when a display exists."""
    wanted = flag or configured
    has_display = bool(
        environ.get("DISPLAY")
        or environ.get("WAYLAND_DISPLAY")
        or environ.get("QT_QPA_PLATFORM", "") in SCREENLESS_PLATFORMS
        or platform in SCREENLESS_PLATFORMS
    )
    if wanted == "headless":
        return Mode("headless")
    if not has_display:
        return Mode(
            "headless",
            "no display found ($DISPLAY and $WAYLAND_DISPLAY are unset): running headless",
        )
    return Mode("windowed" if wanted == "auto" else wanted)


def choose_platform(configured: str | None, environ: dict[str, str]) -> str | None:
    """The Qt platform plugin: the config (eglfs on a device), then $QT_QPA_PLATFORM (offscreen
    in tests), then wayland (falling back to xcb) or xcb from the session; None lets Qt pick."""
    if configured:
        return configured
    if environ.get("QT_QPA_PLATFORM"):
        return environ["QT_QPA_PLATFORM"]
    if environ.get("WAYLAND_DISPLAY"):
        return "wayland;xcb" if environ.get("DISPLAY") else "wayland"
    if environ.get("DISPLAY"):
        return "xcb"
    return None


def run_kiosk(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for chatty in ("faster_whisper", "piper"):  # piper logs each sentence it speaks at DEBUG
        logging.getLogger(chatty).setLevel(logging.WARNING)
    config = load_config(args.config)
    mode = choose_mode(args.mode, config.ui.mode, dict(os.environ), config.ui.platform)
    platform = choose_platform(config.ui.platform, dict(os.environ))
    if args.screenshot is not None and mode.name == "headless":
        if args.mode == "headless":
            raise KioskError("--screenshot draws the window: it cannot be used with --headless")
        mode = Mode("windowed", "no display: drawing the screenshot offscreen")
        platform = "offscreen"
    if mode.note:
        print(f"kiosk: {mode.note}", file=sys.stderr)
    if mode.name != "headless" and platform:
        os.environ["QT_QPA_PLATFORM"] = platform  # read when the QApplication starts
    print(f"kiosk: {cloud_note(config)}", file=sys.stderr)
    service = ServiceHooks(args.config, getattr(args, "control_socket", None))
    service.starting()
    runtime = build_runtime(config, args.store)
    if runtime.cloud is not None and runtime.cloud.client is not None:
        runtime.cloud.client.prepare()  # connect now: the first escalation pays no dial
    relay = DeviceRelay()  # device losses and returns, as events once the loop's sink exists
    mic, mic_note = open_mic(args, config, runtime, relay)
    room = hears_the_speaker(mic)  # a file does not: no echo to cancel
    live = service.attach(runtime, windowed=mode.name != "headless", store_override=args.store)
    mic = live.watch_mic(mic)  # its blocks are the agent loop's heartbeat
    speaker, speaker_note = open_speaker(args, config, relay)
    vision, vision_note = open_vision(
        runtime,
        windowed=mode.name != "headless",
        enabled=args.screenshot is None,  # a screenshot shows the demo, not this room
    )
    for note in (mic_note, speaker_note, vision_note):
        if note:
            print(f"kiosk: {note}", file=sys.stderr)
    stop = threading.Event()
    turns = args.turns or (len(DEMO_QUESTIONS) if args.screenshot is None and _is_demo(mic) else 0)
    if args.screenshot is not None:
        turns = 1
    vad = SileroVad(runtime.models.require_file("silero-vad"))
    hearing = listening(config, runtime.models, runtime.engine)  # end of turn, echo canceller
    observers = start_observers(runtime.engine, config)  # visit state machine, telemetry
    prewarmer = runtime.engine.prewarm()  # common answers, synthesised while idle
    print(f"kiosk: {observers.note()}", file=sys.stderr)

    def observed(emit: EventSink) -> EventSink:
        return live.observe(observers.sink(emit))

    echo_path = state_dir(config.telemetry.state_dir) / room_memory.FILE_NAME
    linear = room_memory.recall(echo_path) if room and hearing.echo is not None else None
    keeper = room_memory.RoomKeeper(linear, echo_path) if linear is not None else None
    loops: list[ConversationLoop] = []

    def build_loop(emit: EventSink) -> ConversationLoop:
        sink = observed(emit)
        vision.start(sink)  # camera frames, presence and its status reach the same observers
        relay.attach(sink)
        loop = ConversationLoop(
            runtime.engine,
            vad,
            hearing.endpointer,
            mic,
            speaker,
            sink,
            turns,
            turn_model=hearing.turn_model,
            echo=hearing.echo if room else None,
            gate=hearing.gate if room else None,
            options=loop_options(config),
            linear_echo=linear,
            room_learned=keeper.learned if keeper is not None else None,
        )
        loops.append(loop)
        return loop

    def on_sigterm(*_: object) -> None:
        stop.set()
        mic.close()
        vision.stop()  # the camera thread releases the device on its way out

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        if mode.name == "headless":
            build_loop(EventPrinter()).run(stop)
            return 0
        from ui.app import run_window

        return run_window(
            runtime,
            build_loop,
            stop,
            fullscreen=mode.name == "fullscreen",
            screenshot=args.screenshot,
            heartbeat=live.gui_tick,
            speaker=speaker,
            observe=observed,  # typed turns reach telemetry like spoken ones
            devices=device_events(speaker, speaker_note),
        )
    finally:
        mic.close()
        vision.close()
        speaker.close()
        if keeper is not None:
            keeper.wait()
        if linear is not None and any(learned_the_room(loop) for loop in loops):
            room_memory.remember(linear, echo_path)
        if isinstance(speaker, VirtualSpeaker) and args.speaker_file is not None:
            speaker.save(args.speaker_file)
        prewarmer.stop()
        observers.close()
        service.close()
        if runtime.cloud is not None:
            runtime.cloud.close()


def learned_the_room(loop: ConversationLoop) -> bool:
    detector = loop.double_talk
    return detector is not None and detector.linear_armed


def device_events(speaker: Speaker, speaker_note: str) -> list[Event]:
    """What the screen should say about the devices at start: a kiosk with no speaker tells
    the shopper to read its answers."""
    if speaker_missing(speaker):
        return [DeviceStatus("speaker", ok=False, detail=speaker_note)]
    return []


def cloud_note(config: KioskConfig) -> str:
    if config.cloud.mode == "off":
        return "cloud escalation is off (config): answering catalog questions only"
    from kiosk.cloud.factory import resolve_mode

    key = gemini_api_key() is not None
    if resolve_mode(config.cloud.mode, None, key) == "gemini":
        return f"GEMINI_API_KEY is set: open questions go to Gemini Live ({config.cloud.model})"
    reason = "no GEMINI_API_KEY" if not key else "cloud mode sim (config)"
    return (
        f"{reason}: open questions go to the local Gemini Live simulator "
        "(dev mode: scripted answers, not Gemini)"
    )


def open_mic(
    args: argparse.Namespace, config: KioskConfig, runtime: Runtime, relay: DeviceRelay
) -> tuple[Microphone, str]:
    if args.mic_file is not None:
        loop = bool(getattr(args, "mic_loop", False))
        note = f"microphone: file {args.mic_file}{' (looped)' if loop else ''}"
        return FileMic(
            args.mic_file, realtime=True, block_ms=config.audio.block_ms, loop=loop
        ), note
    if args.demo:
        return demo_mic(runtime), "microphone: the demo shopper (Piper speaking demo questions)"
    try:
        return open_device_mic(config, relay)  # reopened with backoff if unplugged later
    except AudioDeviceError as exc:
        first = str(exc).splitlines()[0]
        return demo_mic(runtime), f"{first}; playing the demo shopper instead"


def open_speaker(
    args: argparse.Namespace, config: KioskConfig, relay: DeviceRelay
) -> tuple[Speaker, str]:
    """The configured speaker (streaming, reopened if unplugged), or with --speaker-file a
    virtual one whose recording is saved there at exit."""
    return open_audio_speaker(config, relay, getattr(args, "speaker_file", None))


DEMO_PAUSES_S = (3.0, 7.0, 6.0)
"""Silence after each demo question. The first answer (about 5 s) is still playing 3 s after
its question, so the second question talks over it: the demo shows a barge-in every time.
The others leave room for the whole answer."""


def demo_mic(runtime: Runtime) -> FileMic:
    """A virtual shopper: Piper speaks the demo questions, with pauses for the answers."""
    tts = runtime.engine.tts
    parts = [np.zeros(8000, dtype=np.float32)]
    for question, pause_s in zip(DEMO_QUESTIONS, DEMO_PAUSES_S, strict=True):
        chunks = [c.samples for c in tts.stream(question)]
        voice = np.concatenate(chunks).astype(np.float32) / 32768.0
        gap = np.zeros(int(16000 * pause_s), dtype=np.float32)
        parts += [resample(voice, tts.sample_rate, 16000), gap]
    mic = FileMic.from_samples(np.concatenate(parts), realtime=True)
    mic.is_demo = True  # type: ignore[attr-defined]
    return mic


def _is_demo(mic: Microphone) -> bool:
    return bool(getattr(mic, "is_demo", False))


class EventPrinter:
    """Headless observer: one line per reply and state. Never prints what the shopper said."""

    def __call__(self, event: Event) -> None:
        if isinstance(event, ReplyStarted):
            shelf = f", shelf {event.shelf_id}" if event.shelf_id else ""
            print(f"kiosk: [{event.route}{shelf}] {event.text}", flush=True)
        elif isinstance(event, StatusChanged):
            print(
                f"kiosk: state {event.state}{': ' + event.detail if event.detail else ''}",
                flush=True,
            )
        elif isinstance(event, ReplyProgress) and event.done and event.interrupted:
            print(f"kiosk: barge-in: reply stopped after {event.played_s:.1f} s", flush=True)
        elif isinstance(event, DeviceStatus):
            state = "back" if event.ok else "lost"
            print(f"kiosk: {event.device} {state}: {event.detail}", flush=True)
