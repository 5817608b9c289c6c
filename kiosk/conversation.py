"""The live loop: microphone blocks in, utterances cut by the VAD, answered turns out.

It is half duplex until echo cancellation lands: while the kiosk speaks, what the microphone
heard is dropped, so the kiosk never answers its own voice.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import numpy as np

from edge.audio_io import Microphone, Speaker
from edge.endpoint import UtteranceSegmenter
from edge.vad import WINDOW, SileroVad
from kiosk.agent.turn import TurnEngine, TurnResult
from kiosk.events import EventSink, PointToShelf, ReplyStarted, StatusChanged, UserSaid

log = logging.getLogger(__name__)


@dataclass
class ConversationLoop:
    engine: TurnEngine
    vad: SileroVad
    segmenter: UtteranceSegmenter
    mic: Microphone
    speaker: Speaker
    emit: EventSink
    max_turns: int = 0

    def run(self, stop: threading.Event) -> list[TurnResult]:
        """Listen and answer until `stop` is set, the mic ends, or `max_turns` are done."""
        results: list[TurnResult] = []
        pending = np.zeros(0, dtype=np.float32)
        pending_ns = 0
        self.emit(StatusChanged("listening"))
        for block in self.mic.blocks():
            if stop.is_set():
                break
            if not pending.size:
                pending_ns = block.captured_ns
            pending = np.concatenate([pending, block.samples])
            while len(pending) >= WINDOW:
                window, pending = pending[:WINDOW], pending[WINDOW:]
                probability = float(self.vad.process(window)[0])
                utterance = self.segmenter.push(window, probability, pending_ns)
                pending_ns += WINDOW * 1_000_000_000 // 16000
                if utterance is None:
                    continue
                results.append(self._answer(utterance.audio))
                pending = np.zeros(0, dtype=np.float32)
                self.mic.drain()
                self.vad.reset()
                self.segmenter.reset()
                if self.max_turns and len(results) >= self.max_turns:
                    self.emit(StatusChanged("stopped"))
                    return results
                self.emit(StatusChanged("listening"))
        self.emit(StatusChanged("stopped"))
        return results

    def _answer(self, audio: np.ndarray) -> TurnResult:
        self.emit(StatusChanged("thinking"))
        result = self.engine.run(audio, trim=False)
        timings = " ".join(f"{k}={v:.0f}ms" for k, v in result.timings_ms.items())
        log.info("turn route=%s (%s) %s", result.decision.route, result.decision.reason, timings)
        self.emit(UserSaid(result.transcript))
        shelf_id = result.shelf.id if result.shelf else None
        self.emit(
            ReplyStarted(
                result.reply_text,
                result.decision.route,
                result.decision.reason,
                shelf_id,
                result.timings_ms,
            )
        )
        if shelf_id:
            self.emit(PointToShelf(shelf_id))
        self.emit(StatusChanged("speaking"))
        self.speaker.play(result.reply_audio, result.reply_rate)
        return result
