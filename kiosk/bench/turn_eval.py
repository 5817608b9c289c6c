"""End-of-turn evaluation: delay and false cut-offs of three policies on the same speech.

The set: finished questions (`tests/data/speech`, spoken without pauses) and questions with
pauses inside the sentence (`tests/data/turns`, "where are the ... um ... batteries", built with
the pause lengths in its manifest). Each clip gets 3.5 s of silence after it and is fed window
by window, as the live loop would, through the real Silero VAD, and each policy's probes are
answered by the real models: Smart Turn v3.2 and faster-whisper for the transcript.

A probe's answer reaches the policy after the time the model really took in this run (so the
delay includes model time on this machine, under whatever load it has), or, with
`compute="none"`, at once (the policy's own waiting only). A turn that ends before the shopper
has finished (inside a pause, or between words) is a false cut-off; otherwise its delay is the
time from the true end of speech to the decision. The false cut-off rate is counted on the
questions with pauses; cut-offs of finished questions are reported too.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from edge.endpoint import (
    Action,
    Endpointer,
    Heard,
    Probe,
    ProbeAnswer,
    Utterance,
    UtteranceSegmenter,
)
from edge.eot import EndOfTurnOptions, PipecatEndpoint, SmartEndpoint
from edge.vad import SAMPLE_RATE, WINDOW, VadOptions
from edge.wav import read_wav
from kiosk.agent.completeness import CatalogJudge
from kiosk.bench.stats import summary_ms
from kiosk.store.catalog import Catalog
from kiosk.store.pack import demo_store_path, load_store

DATA = Path(__file__).resolve().parents[2] / "tests" / "data"
TAIL_S = 3.5
SPEECH_FLOOR = 10 ** (-50 / 20)
WINDOW_S = WINDOW / SAMPLE_RATE


@dataclass(frozen=True)
class EvalItem:
    name: str
    kind: Literal["complete", "pause"]
    audio: np.ndarray = field(repr=False)
    speech_end_s: float
    last_piece_s: float
    """Start of the last spoken piece."""
    pauses_s: tuple[float, ...] = ()


def _noise(n: int, seed: int) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(n) * 0.001).astype(np.float32)


def complete_items(data: Path = DATA) -> list[EvalItem]:
    manifest = json.loads((data / "speech" / "manifest.json").read_text(encoding="utf-8"))
    items = []
    for i, entry in enumerate(manifest["files"]):
        if not entry.get("text"):
            continue
        audio = read_wav(data / "speech" / entry["file"])
        loud = np.flatnonzero(np.abs(audio) > SPEECH_FLOOR)
        end = float(loud[-1] + 1) / SAMPLE_RATE
        start = float(loud[0]) / SAMPLE_RATE
        clip = np.concatenate([audio, np.zeros(int(TAIL_S * SAMPLE_RATE), np.float32)])
        clip = clip + _noise(len(clip), i)
        items.append(EvalItem(entry["file"], "complete", clip, end, start))
    return items


def pause_items(data: Path = DATA) -> list[EvalItem]:
    manifest = json.loads((data / "turns" / "manifest.json").read_text(encoding="utf-8"))
    items = []
    for i, entry in enumerate(manifest["items"]):
        stored = read_wav(data / "turns" / entry["file"])
        spans = entry["spans"]
        parts = [stored[: spans[0][0]]]
        for k, (a, b) in enumerate(spans):
            parts.append(stored[a:b])
            if k < len(entry["pauses_s"]):
                parts.append(np.zeros(int(entry["pauses_s"][k] * SAMPLE_RATE), np.float32))
        last_start = sum(len(p) for p in parts[:-1]) / SAMPLE_RATE
        end = sum(len(p) for p in parts) / SAMPLE_RATE
        parts.append(np.zeros(int(TAIL_S * SAMPLE_RATE), np.float32))
        clip = np.concatenate(parts)
        clip = clip + _noise(len(clip), 1000 + i)
        items.append(
            EvalItem(entry["file"], "pause", clip, end, last_start, tuple(entry["pauses_s"]))
        )
    return items


class Models(Protocol):
    def vad(self, audio: np.ndarray) -> np.ndarray: ...

    def turn(self, audio: np.ndarray) -> float: ...

    def text(self, audio: np.ndarray) -> str | Heard: ...


class CachedModels:
    """Real models with answers cached by audio, and the time each first answer took."""

    def __init__(self, models: Models) -> None:
        self.models = models
        self._cache: dict[tuple[str, int, bytes], tuple[ProbeAnswer, float]] = {}
        self._vad: dict[str, np.ndarray] = {}
        self.calls: dict[str, list[float]] = {"turn": [], "text": []}

    def vad(self, item: EvalItem) -> np.ndarray:
        if item.name not in self._vad:
            self._vad[item.name] = self.models.vad(item.audio)
        return self._vad[item.name]

    def answer(self, kind: str, audio: np.ndarray) -> tuple[ProbeAnswer, float]:
        key = (kind, len(audio), audio[-WINDOW:].tobytes())
        if key not in self._cache:
            start = time.perf_counter()
            value = self.models.turn(audio) if kind == "turn" else self.models.text(audio)
            ms = (time.perf_counter() - start) * 1000
            self.calls[kind].append(ms)
            self._cache[key] = (value, ms)
        return self._cache[key]


@dataclass
class Outcome:
    item: EvalItem
    decided_s: float | None
    reason: str
    probes: int
    text_ready_s: float | None = None
    """When the last transcript asked for before the decision was (or would be) ready."""

    @property
    def transcript_after_ms(self) -> float | None:
        """How long after the decision the speculative transcript was ready (0: before)."""
        if self.decided_s is None or self.text_ready_s is None or self.cut_off:
            return None
        return max(0.0, self.text_ready_s - self.decided_s) * 1000

    @property
    def cut_off(self) -> bool:
        """The turn ended before the shopper had finished speaking."""
        return self.decided_s is not None and self.decided_s < self.item.speech_end_s

    @property
    def delay_ms(self) -> float | None:
        if self.decided_s is None or self.cut_off:
            return None
        return (self.decided_s - self.item.speech_end_s) * 1000


def simulate(
    policy: Endpointer,
    item: EvalItem,
    probs: np.ndarray,
    models: CachedModels,
    compute: Literal["measured", "none"] = "measured",
) -> Outcome:
    """Feed one clip to a policy; the first utterance it finishes is its end of turn."""
    pending: list[tuple[float, int, ProbeAnswer]] = []  # (deliver at s, probe id, answer)
    probes = 0
    text_ready: float | None = None

    def ask(actions: list[Action], now_s: float) -> None:
        """Answer each probe after the time its model took alone on this audio."""
        nonlocal probes, text_ready
        for action in actions:
            if isinstance(action, Probe):
                probes += 1
                value, ms = models.answer(action.kind, action.audio)
                at = now_s + (ms / 1000 if compute == "measured" else 0.0)
                pending.append((at, action.id, value))
                if action.kind == "text":
                    text_ready = at

    for i, p in enumerate(probs):
        ready_s = (i + 1) * WINDOW_S  # the window is complete when its last sample arrives
        pending.sort(key=lambda x: x[0])
        while pending and pending[0][0] <= ready_s:
            at, probe_id, value = pending.pop(0)
            actions = policy.resolve(probe_id, value)
            found = _utterance(actions)
            if found is not None:
                decided = max(at, found.decided_ns / 1e9)
                return Outcome(item, decided, found.reason, probes, text_ready)
            ask(actions, at)
            pending.sort(key=lambda x: x[0])
        window = item.audio[i * WINDOW : (i + 1) * WINDOW]
        actions = policy.step(window, float(p), int(i * WINDOW_S * 1e9))
        ask(actions, ready_s)
        found = _utterance(actions)
        if found is not None:
            return Outcome(item, found.decided_ns / 1e9, found.reason, probes, text_ready)
    return Outcome(item, None, "never", probes, text_ready)


def _utterance(actions: list[Action]) -> Utterance | None:
    return next((a for a in actions if isinstance(a, Utterance)), None)


def _kiosk_policy() -> Endpointer:
    """The live loop's policy, judging transcripts against the demo store it is asked about."""
    return SmartEndpoint(EndOfTurnOptions(max_turn_s=30), _demo_judge())


@cache
def _demo_judge() -> CatalogJudge:
    return CatalogJudge(Catalog(load_store(demo_store_path())))


def _kiosk_unsure_any_length() -> Endpointer:
    """The kiosk's policy with `audio.unsure_transcript_max_words = 0`: every transcript heard
    with confidence under 0.5 waits, not only those of one or two words."""
    options = EndOfTurnOptions(max_turn_s=30, unsure_max_words=0)
    return SmartEndpoint(options, _demo_judge())


POLICIES: dict[str, Callable[[], Endpointer]] = {
    "silence_800ms": lambda: UtteranceSegmenter(VadOptions(min_silence_ms=800), max_turn_s=30),
    "pipecat_default": lambda: PipecatEndpoint(),
    "kiosk": _kiosk_policy,
    "kiosk_unsure_any_length": _kiosk_unsure_any_length,
    "kiosk_words_only": lambda: SmartEndpoint(EndOfTurnOptions(max_turn_s=30)),
}


def evaluate(
    items: list[EvalItem],
    models: Models | CachedModels,
    compute: Literal["measured", "none"] = "measured",
    policies: dict[str, Callable[[], Endpointer]] | None = None,
) -> dict[str, Any]:
    """Every policy on every item, in one run: figures per policy, and the models' times.
    Pass a `CachedModels` to share answers between runs (a parameter sweep)."""
    cached = models if isinstance(models, CachedModels) else CachedModels(models)
    report: dict[str, Any] = {}
    for name, make in (policies or POLICIES).items():
        outcomes = [simulate(make(), item, cached.vad(item), cached, compute) for item in items]
        report[name] = summarise(outcomes)
    report["model_ms"] = {kind: summary_ms(ms) for kind, ms in cached.calls.items()}
    report["compute"] = compute
    return report


def summarise(outcomes: list[Outcome]) -> dict[str, Any]:
    delays = [o.delay_ms for o in outcomes if o.delay_ms is not None]
    paused = [o for o in outcomes if o.item.kind == "pause"]
    cuts = [o for o in paused if o.cut_off]
    never = [o for o in outcomes if o.decided_s is None]
    reasons: dict[str, int] = {}
    for o in outcomes:
        reasons[o.reason] = reasons.get(o.reason, 0) + 1
    delay = summary_ms(delays)
    after = [o.transcript_after_ms for o in outcomes if o.transcript_after_ms is not None]
    return {
        "n": len(outcomes),
        "delay_p50_ms": delay["p50_ms"],
        "delay_p95_ms": delay["p95_ms"],
        "delay_max_ms": delay.get("max_ms", math.nan),
        "pause_items": len(paused),
        "false_cutoffs": len(cuts),
        "false_cutoff_rate": round(len(cuts) / len(paused), 3) if paused else 0.0,
        "cutoffs_of_finished_questions": sum(o.cut_off for o in outcomes if o.item.kind != "pause"),
        "cut_items": [o.item.name for o in cuts],
        "never_ended": len(never),
        "reasons": reasons,
        "probes_per_turn": round(sum(o.probes for o in outcomes) / max(len(outcomes), 1), 2),
        "transcript_after_eot": summary_ms(after) if after else None,
    }
