"""End of turn in the live loop: the evaluation's finished questions fed in real time through
the kiosk's own `ConversationLoop`, wired as `kiosk run` wires it (AEC3, the residual gate,
Silero, Smart Turn, the store's transcript judge, the speculative transcript).

`kiosk.bench.turn_eval` replays each probe's answer after the time the model took alone. Live,
the probes share the cores with the microphone's front end, so the turn ends later than that
replay says. This measures
the delay a shopper meets: from the true end of the question's audio to the loop starting to
answer it (its "thinking" status), one question at a time with `GAP_S` of quiet after each.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from edge.audio_io import AudioBlock, FileMic
from edge.playback import VirtualSpeaker
from edge.vad import SAMPLE_RATE, SileroVad
from kiosk.audio_setup import listening, loop_options
from kiosk.bench.stats import summary_ms
from kiosk.bench.turn_eval import EvalItem
from kiosk.conversation import ConversationLoop
from kiosk.events import Event, StatusChanged
from kiosk.runtime import Runtime

GAP_S = 8.0
"""Quiet after each question's end of speech: its reply (up to about 6.5 s on the demo store)
has been said before the next one starts."""
LEAD_S = 0.5


class _StampedMic:
    """A real-time file microphone that keeps the capture stamp of its first block."""

    def __init__(self, samples: np.ndarray) -> None:
        self._mic = FileMic.from_samples(samples, realtime=True)
        self.first_ns: int | None = None

    def blocks(self) -> Iterator[AudioBlock]:
        for block in self._mic.blocks():
            if self.first_ns is None:
                self.first_ns = block.captured_ns
            yield block

    def drain(self) -> None:
        self._mic.drain()

    def close(self) -> None:
        self._mic.close()


def live_end_of_turn(runtime: Runtime, items: list[EvalItem]) -> dict[str, Any]:
    """Delay from each question's end of speech to the live loop answering it."""
    noise = np.random.default_rng(0)
    parts: list[np.ndarray] = []
    spans: list[tuple[int, int, int]] = []  # samples: question starts, speech ends, next starts
    length = 0
    for item in items:
        lead = (noise.standard_normal(int(LEAD_S * SAMPLE_RATE)) * 0.001).astype(np.float32)
        span = int((item.speech_end_s + GAP_S) * SAMPLE_RATE)
        body = item.audio[:span]
        tail = (noise.standard_normal(span - len(body)) * 0.001).astype(np.float32)
        body = np.concatenate([body, tail])
        parts += [lead, body]
        end = length + len(lead) + int(item.speech_end_s * SAMPLE_RATE)
        spans.append((length, end, length + len(lead) + len(body)))
        length += len(lead) + len(body)
    mic = _StampedMic(np.concatenate(parts))
    speaker = VirtualSpeaker()
    answered: list[int] = []

    def emit(event: Event) -> None:
        if isinstance(event, StatusChanged) and event.state == "thinking":
            answered.append(time.monotonic_ns())

    hearing = listening(runtime.config, runtime.models, runtime.engine)
    loop = ConversationLoop(
        runtime.engine,
        SileroVad(runtime.models.require_file("silero-vad")),
        hearing.endpointer,
        mic,
        speaker,
        emit,
        turn_model=hearing.turn_model,
        echo=hearing.echo,
        gate=hearing.gate,
        options=loop_options(runtime.config),
    )
    try:
        loop.run(threading.Event())
    finally:
        speaker.close()
    return _delays(spans, mic.first_ns or 0, answered)


def _delays(
    spans: list[tuple[int, int, int]], first_ns: int, answered: list[int]
) -> dict[str, Any]:
    """The first answer within each question's stretch of audio: before its end of speech it
    was cut off; none at all, it was not answered."""
    delays, cut, missed = [], 0, 0
    for start, end, after in spans:
        start_ns, end_ns, after_ns = (
            first_ns + x * 1_000_000_000 // SAMPLE_RATE for x in (start, end, after)
        )
        ours = [t for t in answered if start_ns <= t < after_ns]
        if not ours:
            missed += 1
        elif ours[0] < end_ns:
            cut += 1
        else:
            delays.append((ours[0] - end_ns) / 1e6)
    return {
        "questions": len(spans),
        "delay": summary_ms(delays),
        "cut_off": cut,
        "not_answered": missed,
    }
