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

from edge.audio_io import (
    AudioDeviceError,
    FileMic,
    Microphone,
    RecordingSpeaker,
    SoundDeviceMic,
    SoundDeviceSpeaker,
    Speaker,
)
from edge.endpoint import UtteranceSegmenter
from edge.vad import SileroVad
from edge.wav import resample
from kiosk.config import KioskConfig, gemini_api_key, load_config
from kiosk.conversation import ConversationLoop
from kiosk.events import Event, EventSink, ReplyStarted, StatusChanged
from kiosk.runtime import Runtime, build_runtime

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


def choose_mode(flag: str | None, configured: str, environ: dict[str, str]) -> Mode:
    """The UI mode: the flag, then the config; `auto` is windowed when a display exists."""
    wanted = flag or configured
    has_display = bool(
        environ.get("DISPLAY")
        or environ.get("WAYLAND_DISPLAY")
        or environ.get("QT_QPA_PLATFORM", "") in ("offscreen", "eglfs", "linuxfb", "vnc")
    )
    if wanted == "headless":
        return Mode("headless")
    if not has_display:
        return Mode(
            "headless",
            "no display found ($DISPLAY and $WAYLAND_DISPLAY are unset): running headless",
        )
    return Mode("windowed" if wanted == "auto" else wanted)


def run_kiosk(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)
    config = load_config(args.config)
    mode = choose_mode(args.mode, config.ui.mode, dict(os.environ))
    if mode.note:
        print(f"kiosk: {mode.note}", file=sys.stderr)
    print(f"kiosk: {cloud_note(config)}", file=sys.stderr)
    runtime = build_runtime(config, args.store)
    mic, mic_note = open_mic(args, config, runtime)
    speaker, speaker_note = open_speaker(config)
    for note in (mic_note, speaker_note):
        if note:
            print(f"kiosk: {note}", file=sys.stderr)
    stop = threading.Event()
    turns = args.turns or (len(DEMO_QUESTIONS) if args.screenshot is None and _is_demo(mic) else 0)
    if args.screenshot is not None:
        turns = 1
    vad = SileroVad(runtime.models.require_file("silero-vad"))
    segmenter = UtteranceSegmenter(config.vad.options(), config.audio.max_turn_s)

    def build_loop(emit: EventSink) -> ConversationLoop:
        return ConversationLoop(runtime.engine, vad, segmenter, mic, speaker, emit, turns)

    def on_sigterm(*_: object) -> None:
        stop.set()
        mic.close()

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
        )
    finally:
        mic.close()
        speaker.close()


def cloud_note(config: KioskConfig) -> str:
    if config.cloud.mode == "off":
        return "cloud escalation is off (config): answering catalog questions only"
    key = "GEMINI_API_KEY is set" if gemini_api_key() else "no GEMINI_API_KEY"
    return (
        f"{key}; cloud escalation (Gemini Live or its local simulator) is not in this build "
        "yet: answering catalog questions only, open questions get an honest fallback"
    )


def open_mic(
    args: argparse.Namespace, config: KioskConfig, runtime: Runtime
) -> tuple[Microphone, str]:
    if args.mic_file is not None:
        return FileMic(args.mic_file, realtime=True), f"microphone: file {args.mic_file}"
    if args.demo:
        return demo_mic(runtime), "microphone: the demo shopper (Piper speaking demo questions)"
    try:
        mic = SoundDeviceMic(config.audio.input_device, config.audio.block_ms)
    except AudioDeviceError as exc:
        first = str(exc).splitlines()[0]
        return demo_mic(runtime), f"{first}; playing the demo shopper instead"
    return mic, f"microphone: {mic.name} at {mic.native_rate} Hz"


def open_speaker(config: KioskConfig) -> tuple[Speaker, str]:
    try:
        speaker = SoundDeviceSpeaker(config.audio.output_device)
    except AudioDeviceError as exc:
        first = str(exc).splitlines()[0]
        return RecordingSpeaker(realtime=True), f"{first}; replies are not played"
    return speaker, f"speaker: {speaker.name} at {speaker.rate} Hz"


def demo_mic(runtime: Runtime) -> FileMic:
    """A virtual shopper: Piper speaks the demo questions, with pauses for the answers."""
    tts = runtime.engine.tts
    gap = np.zeros(int(16000 * 6.0), dtype=np.float32)
    parts = [np.zeros(8000, dtype=np.float32)]
    for question in DEMO_QUESTIONS:
        chunks = [c.samples for c in tts.stream(question)]
        voice = np.concatenate(chunks).astype(np.float32) / 32768.0
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
