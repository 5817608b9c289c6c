"""The audio stage's wiring for `kiosk run`: devices, echo canceller and end of turn from config.

- The microphone is opened by name or index at its native rate; if it is unplugged later it is
  reopened with backoff (`ResilientMic`), and each loss and return becomes a `DeviceStatus`.
- The speaker streams (so a barge-in can cut it off) and is reopened the same way. With
  `--speaker-file` a virtual speaker plays in real time and its recording is saved at exit.
- The end of turn is the kiosk's Smart Turn policy unless `audio.end_of_turn = "silence"`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from edge.audio_io import FileMic, Microphone, ResilientMic, SoundDeviceMic
from edge.echo import EchoCanceller, EchoCancellerError, ResidualGate, WebRtcEchoCanceller
from edge.endpoint import Endpointer, UtteranceSegmenter
from edge.eot import EndOfTurnOptions, SmartEndpoint, lexical_cue
from edge.playback import ResilientSpeaker, SoundDeviceSpeaker, VirtualSpeaker
from edge.turn_detect import SmartTurn
from kiosk.agent.completeness import CatalogJudge
from kiosk.agent.turn import TurnEngine
from kiosk.config import KioskConfig
from kiosk.conversation import LoopOptions
from kiosk.events import DeviceName, DeviceStatus, Event, EventSink
from kiosk.models import ModelCache

log = logging.getLogger(__name__)


class DeviceRelay:
    """Device losses and returns as `DeviceStatus` events, held until the loop's sink exists."""

    def __init__(self) -> None:
        self._sink: EventSink | None = None
        self._held: list[Event] = []
        self._lock = threading.Lock()

    def callback(self, device: DeviceName) -> Callable[[bool, str], None]:
        def report(ok: bool, detail: str) -> None:
            (log.info if ok else log.warning)("%s: %s", device, detail)
            self.send(DeviceStatus(device, ok=ok, detail=detail))

        return report

    def send(self, event: Event) -> None:
        with self._lock:
            sink = self._sink
            if sink is None:
                self._held.append(event)
        if sink is not None:
            sink(event)

    def attach(self, sink: EventSink) -> None:
        with self._lock:
            self._sink, held, self._held = sink, self._held, []
        for event in held:
            sink(event)


def open_device_mic(config: KioskConfig, relay: DeviceRelay) -> tuple[Microphone, str]:
    """The configured microphone, kept open across unplugging. Raises AudioDeviceError (with
    the device list) when it cannot be opened at all."""
    first = SoundDeviceMic(config.audio.input_device, config.audio.block_ms)
    opened = [first]

    def reopen() -> Microphone:
        if opened:
            return opened.pop()
        return SoundDeviceMic(config.audio.input_device, config.audio.block_ms)

    mic = ResilientMic(reopen, relay.callback("microphone"))
    return mic, f"microphone: {first.name} at {first.native_rate} Hz"


def open_speaker(
    config: KioskConfig, relay: DeviceRelay, record_to: Path | None = None
) -> tuple[ResilientSpeaker | VirtualSpeaker, str]:
    if record_to is not None:
        return VirtualSpeaker(), f"speaker: virtual, recorded to {record_to}"
    device = config.audio.output_device
    speaker = ResilientSpeaker(
        lambda timeline: SoundDeviceSpeaker(device, timeline), relay.callback("speaker")
    )
    if not speaker.name:
        return speaker, "no speaker found; replies are not played until one appears"
    latency = f", {speaker.output_latency_s * 1000:.0f} ms output latency"
    return speaker, f"speaker: {speaker.name}{latency}"


def hears_the_speaker(mic: Microphone) -> bool:
    """A real microphone hears the kiosk's own voice; a WAV file (dev mode, the demo shopper)
    does not, and echo cancellation would only muffle it."""
    return not isinstance(mic, FileMic)


def speaker_missing(speaker: object) -> bool:
    return isinstance(speaker, ResilientSpeaker) and not speaker.name


@dataclass
class Listening:
    """The end-of-turn policy, its model, and the echo canceller for the live loop."""

    endpointer: Endpointer
    turn_model: SmartTurn | None
    echo: EchoCanceller | None
    gate: ResidualGate | None


def loop_options(config: KioskConfig) -> LoopOptions:
    """The live loop's settings from the config's audio section."""
    audio = config.audio
    return LoopOptions(barge_in=audio.barge_in, barge_in_min_dbfs=audio.barge_in_min_dbfs)


def listening(
    config: KioskConfig, models: ModelCache, engine: TurnEngine | None = None
) -> Listening:
    """With the turn engine, the end-of-turn policy judges transcripts against its catalog
    (and what the camera sees held up); without, by their words alone."""
    audio = config.audio
    echo: EchoCanceller | None = None
    gate = None
    if audio.echo_cancellation:
        try:
            echo, gate = WebRtcEchoCanceller(), ResidualGate()
        except EchoCancellerError as exc:
            log.warning("echo cancellation unavailable (%s): barge-in is off", exc)
    if audio.end_of_turn == "silence":
        return Listening(
            UtteranceSegmenter(config.vad.options(), audio.max_turn_s), None, echo, gate
        )
    vad = config.vad
    options = EndOfTurnOptions(
        threshold=vad.threshold,
        min_speech_ms=vad.min_speech_ms,
        hold_ms=audio.max_pause_ms,
        max_turn_s=audio.max_turn_s,
        min_confidence=audio.unsure_transcript_confidence,
        unsure_max_words=audio.unsure_transcript_max_words,
        unsure_below=audio.unsure_transcript_any_length_confidence,
    )
    model = SmartTurn(models.require_file("smart-turn-v3"))
    judge = lexical_cue if engine is None else CatalogJudge(engine.catalog, held_up_now(engine))
    return Listening(SmartEndpoint(options, judge), model, echo, gate)


def held_up_now(engine: TurnEngine) -> Callable[[], bool]:
    def holding() -> bool:
        scene = engine.scene.latest() if engine.scene is not None else None
        return scene is not None and scene.held is not None

    return holding
