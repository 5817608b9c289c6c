"""`kiosk bench audio`: the audio stage's figures, printed beside their targets and returned as
JSON. Every figure comes from the real models on committed or synthesised speech.

- vad: Silero time per 32 ms window.
- end_of_turn: the evaluation in `kiosk.bench.turn_eval` (the kiosk's policy, the plain 800 ms
  silence rule and Pipecat's default on the same clips, in one run).
- end_of_turn_live: `kiosk.bench.turn_live`, the finished questions in real time through the
  live loop, where the probes share the cores: the delay a shopper meets.
- stt: faster-whisper time on 1-5 s utterances, and how long after the end of turn the
  (speculative) transcript is ready.
- tts: Piper's time to the first audio of the store's replies: streamed in pieces (the kiosk's
  way), each clause made whole (Piper's way, the reference, in the same run), and from the
  sentence cache; whether the pieces of a whole reply keep a speaker fed, and how much slower
  the voice could be before they would not.
- echo: ERLE of the WebRTC canceller on simulated echo paths (the kiosk's voice from committed
  Piper clips), and whether echo alone reaches the VAD.
- double_talk: `kiosk.bench.double_talk`, shoppers talking over the kiosk replayed offline
  through the live loop's front end: when the barge-in rule first hears them, run to run
  the same.
- barge_in: live turns in real time through the full-duplex loop: a simulated shopper talks
  over the kiosk's reply, heard through a simulated echo path; the time from the first sample
  of the shopper's speech to the kiosk's speaker going silent. own_echo: replies nobody talks
  over, on the loud path: how often the kiosk's own echo holds the speaker, and for how long.
- listening_cpu: the loop with nobody there, at the configured block length and at 32 ms.
- device_path: the same exchange through real sound devices: a private PulseAudio daemon's
  null sink stands in for the room (sounddevice's `pulse` device): the kiosk and the shopper
  both play into it, and the kiosk's microphone records it. Once as a first reply, once after
  the kiosk has talked for `WARM_UP_S`, as it does through a day in a store.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import threading
import time
from typing import Any

import numpy as np

from edge.audio_io import BLOCK_MS, FileMic, Microphone
from edge.echo import GateOptions, ResidualGate, WebRtcEchoCanceller, erle_db
from edge.endpoint import Endpointer, Heard
from edge.eot import EndOfTurnOptions, SmartEndpoint
from edge.linear_echo import LinearEchoCanceller
from edge.playback import VirtualSpeaker
from edge.room import EchoMic, EchoPath, EchoPathOptions, ScriptedShopper
from edge.stt import WhisperStt
from edge.tts import PiperTts
from edge.turn_detect import SmartTurn
from edge.vad import WINDOW, SileroVad
from edge.wav import read_wav
from kiosk.agent.answers import local_reply
from kiosk.agent.intent import Intent
from kiosk.agent.router import RouteDecision
from kiosk.agent.speech_cache import SentenceCache, Voice
from kiosk.bench import barge_in_stt, double_talk, turn_eval, turn_live
from kiosk.bench.host import describe, finish, machine
from kiosk.bench.stats import speaker_feed, summary_ms
from kiosk.config import load_config
from kiosk.conversation import ConversationLoop
from kiosk.runtime import Runtime, build_runtime, open_voice

SPEECH = turn_eval.DATA / "speech"
STORE_BED = turn_eval.DATA / "e2e" / "store_bed.wav"
WARM_UP_S = 20.0
"""How long the kiosk talks through the sound devices before the converged exchange. Through
PulseAudio its clocks are learned in a few seconds and the linear canceller converges within
10-12 s of speech (4 s on the simulated rooms, whose clocks agree from the start)."""
"""12 s of a store: ventilation hum and scanner beeps, -49 dBFS at the median, beeps to -41."""
TARGETS = {
    "vad_ms_per_window": 1.0,
    "eot_p50_ms": 250,
    "eot_p95_ms": 1000,
    "false_cutoff_rate": 0.03,
    "transcript_after_eot_ms": 150,
    "tts_first_audio_ms": 120,
    "barge_in_ms": 150,
    "erle_db": 20,
}


class RealTurnModels:
    """Silero, Smart Turn and faster-whisper, as the end-of-turn evaluation asks for them."""

    def __init__(self, runtime: Runtime) -> None:
        self._prompt = runtime.engine.stt_prompt  # the live loop's speculative transcripts use it
        self._vad = SileroVad(runtime.models.require_file("silero-vad"))
        self._turn = SmartTurn(runtime.models.require_file("smart-turn-v3"))
        self._stt = WhisperStt(runtime.models.require(runtime.config.stt.model))

    def vad(self, audio: np.ndarray) -> np.ndarray:
        return self._vad.probabilities(audio)

    def turn(self, audio: np.ndarray) -> float:
        return self._turn.probability(audio)

    def text(self, audio: np.ndarray) -> Heard:
        heard = self._stt.transcribe(audio, self._prompt)
        return Heard(heard.text, heard.confidence)


def run_audio_bench(quick: bool = False) -> dict[str, Any]:
    runtime = build_runtime(load_config(None, use_env=False), cloud_mode="off")
    report: dict[str, Any] = {"quick": quick, "targets": TARGETS, "machine": machine()}
    report["vad"] = bench_vad(runtime, repeats=2 if quick else 6)
    report["end_of_turn"] = bench_end_of_turn(runtime, quick)
    finished = turn_eval.complete_items()
    report["end_of_turn_live"] = turn_live.live_end_of_turn(
        runtime, finished[::3] if quick else finished
    )
    report["stt"] = bench_stt(runtime, repeats=1 if quick else 3)
    report["stt"]["transcript_after_eot"] = report["end_of_turn"]["kiosk"]["transcript_after_eot"]
    report["tts"] = bench_tts(runtime, quick)
    report["echo"] = bench_echo(runtime)
    report["double_talk"] = double_talk.bench_double_talk(
        runtime.models.require_file("silero-vad"), SPEECH
    )
    report["barge_in_stt"] = barge_in_stt.bench_barge_in_stt(
        runtime.models.require_file("silero-vad"),
        runtime.models.require(runtime.config.stt.model),
        SPEECH,
        runtime.engine.stt_prompt,
    )
    report["barge_in"] = bench_barge_in(runtime, trials=3 if quick else 18, warm=True)
    report["barge_in_first_reply"] = bench_barge_in(runtime, trials=2 if quick else 9, warm=False)
    report["own_echo"] = bench_own_echo(runtime, trials=3 if quick else 9, warm=True)
    report["own_echo_first_reply"] = bench_own_echo(runtime, trials=2 if quick else 9, warm=False)
    report["device_path"] = bench_device_path(runtime)
    report["listening_cpu"] = bench_listening_cpu(runtime, seconds=10 if quick else 20)
    finish(report["machine"])
    print_report(report)
    return report


def bench_vad(runtime: Runtime, repeats: int) -> dict[str, Any]:
    vad = SileroVad(runtime.models.require_file("silero-vad"))
    audio = read_wav(SPEECH / "local_aa_batteries__piper_en-US-joe-medium_x100.wav")
    windows = [audio[i : i + WINDOW] for i in range(0, len(audio) - WINDOW + 1, WINDOW)]
    times = []
    for _ in range(repeats):
        vad.reset()
        for window in windows:
            start = time.perf_counter()
            vad.process(window)
            times.append((time.perf_counter() - start) * 1000)
    return summary_ms(times)


def bench_end_of_turn(runtime: Runtime, quick: bool) -> dict[str, Any]:
    items = turn_eval.complete_items() + turn_eval.pause_items()
    if quick:
        items = items[::3]
    cached = turn_eval.CachedModels(RealTurnModels(runtime))
    measured = turn_eval.evaluate(items, cached, "measured")
    policy_only = turn_eval.evaluate(items, cached, "none")
    measured["policy_only"] = {
        name: {k: v[k] for k in ("delay_p50_ms", "delay_p95_ms", "false_cutoff_rate")}
        for name, v in policy_only.items()
        if isinstance(v, dict) and "delay_p50_ms" in v
    }
    measured["items"] = {"n": len(items), "paused": sum(i.kind == "pause" for i in items)}
    return measured


def bench_stt(runtime: Runtime, repeats: int) -> dict[str, Any]:
    stt = WhisperStt(runtime.models.require(runtime.config.stt.model))
    speech = [read_wav(p) for p in sorted(SPEECH.glob("local_*.wav"))]
    clips: dict[int, np.ndarray] = {}
    joined = np.concatenate(speech)
    for seconds in (1, 2, 3, 4, 5):
        clips[seconds] = joined[int(0.3 * 16000) : int((0.3 + seconds) * 16000)]
    stt.transcribe(clips[1])
    by_length: dict[str, Any] = {}
    for seconds, clip in clips.items():
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            stt.transcribe(clip)
            times.append((time.perf_counter() - start) * 1000)
        by_length[f"{seconds}s"] = summary_ms(times)
    everything = [v["p50_ms"] for v in by_length.values()]
    return {"by_length": by_length, "p50_ms": float(np.median(everything))}


def bench_tts(runtime: Runtime, quick: bool) -> dict[str, Any]:
    tts = runtime.engine.tts
    store = runtime.catalog.store
    products = list(store.products)[: 6 if quick else 20]
    texts = [
        local_reply(RouteDecision("local", "bench", Intent.LOCATE, product), store)
        for product in products
    ]
    whole_clause = open_voice(
        runtime.config,
        runtime.models,
        dataclasses.replace(runtime.config.tts.options(), stream_pieces=False),
    )
    _first_audio_ms(whole_clause, texts[:2])  # warm its session, as the engine's is
    cold = _first_audio_ms(tts, texts)
    whole = _first_audio_ms(whole_clause, texts)
    cache = SentenceCache(tts)
    for text in texts:
        for _ in cache.stream(text):
            pass
    warm = _first_audio_ms(cache, texts)
    feeds = [_speaker_feed(tts, text) for text in texts]
    dry = [ms for ms, _ in feeds]
    headroom = [factor for _, factor in feeds if np.isfinite(factor)]
    return {
        "streams_pieces": isinstance(tts, PiperTts) and tts.streams_pieces,
        "first_audio": summary_ms(cold),
        "first_audio_whole_clause": summary_ms(whole),
        "first_audio_cached": summary_ms(warm),
        "speaker_fed": {
            "replies": len(texts),
            "replies_run_dry": sum(ms > 0 for ms in dry),
            "dry_ms": summary_ms(dry),
            "headroom_p50": _round(float(np.median(headroom))) if headroom else None,
            "headroom_min": _round(min(headroom)) if headroom else None,
        },
    }


def _speaker_feed(tts: Voice, text: str) -> tuple[float, float]:
    """A whole reply made at the voice's own pace, fed to a speaker as each piece is ready."""
    ready, durations = [], []
    start = time.perf_counter()
    for chunk in tts.stream(text):
        ready.append(time.perf_counter() - start)
        durations.append(len(chunk.samples) / chunk.sample_rate)
    return speaker_feed(ready, durations)


def _first_audio_ms(tts: Voice | SentenceCache, texts: list[str]) -> list[float]:
    times = []
    for text in texts:
        start = time.perf_counter()
        for _ in tts.stream(text):
            times.append((time.perf_counter() - start) * 1000)
            break
    return times


def bench_echo(runtime: Runtime) -> dict[str, Any]:
    # the kiosk's voice from committed clips: Piper varies every synthesis, and the loud
    # path's ERLE with it (19.6-23.7 dB over one day's runs)
    far = np.concatenate(double_talk.kiosk_voice(SPEECH)[:2]) * 0.8
    far = far[: len(far) - len(far) % 160]
    vad = SileroVad(runtime.models.require_file("silero-vad"))
    paths = {
        "room": EchoPathOptions(),
        "loud_reverberant": EchoPathOptions(delay_ms=120, gain_db=0.0, rt60_s=0.5),
    }
    out: dict[str, Any] = {}
    for name, options in paths.items():
        noise = np.random.default_rng(0).standard_normal(len(far)).astype(np.float32) * 3e-4
        path = EchoPath(options)
        mic = path.apply(far) + noise
        cleaned = WebRtcEchoCanceller().process(mic, far)
        gated = ResidualGate(GateOptions()).process(mic, cleaned, far)
        linear = double_talk.converged(path, SPEECH).process(mic, far)
        settled = slice(16000, len(far))  # after the first second the canceller has converged
        probs = vad.probabilities(gated)
        vad.reset()
        out[name] = {
            "path": {"delay_ms": options.delay_ms, "gain_db": options.gain_db},
            "rt60_s": options.rt60_s,
            "erle_db": round(erle_db(mic[settled], cleaned[settled]), 1),
            "erle_with_gate_db": round(erle_db(mic[settled], gated[settled]), 1),
            "erle_whole_clip_db": round(erle_db(mic, cleaned), 1),
            # what STT hears while the kiosk's voice may be in the audio, once converged
            "linear_converged_erle_db": round(erle_db(mic, linear), 1),
            "vad_windows_over_0_5": int((probs > 0.5).sum()),
            "windows": len(probs),
        }
    return out


def bench_barge_in(runtime: Runtime, trials: int, warm: bool) -> dict[str, Any]:
    """Live trials on the room path. `warm`: the double-talk detector's linear canceller has
    converged on the room, as in a kiosk that has been answering for a while; else the trial
    is the first reply after start-up, and the detector works from AEC3's output alone."""
    questions = [
        (
            "local_aa_batteries__piper_en-US-joe-medium_x100.wav",
            "local_duct_tape__espeak-ng_en-us-m3_170wpm.wav",
        ),
        (
            "local_whole_milk__piper_en-US-joe-medium_x110.wav",
            "local_bananas__espeak-ng_en-us-m3_160wpm.wav",
        ),
        (
            "local_double_a_batteries__piper_en-US-joe-medium_x090.wav",
            "local_ibuprofen__espeak-ng_en-us_160wpm.wav",
        ),
    ]
    reactions: list[float] = []
    heard: list[float] = []
    rows = []
    room = double_talk.converged(EchoPath(), SPEECH) if warm else None
    for trial in range(trials):
        first, second = questions[trial % len(questions)]
        linear = copy.deepcopy(room) if room is not None else None
        row = barge_in_trial(
            runtime, read_wav(SPEECH / first), read_wav(SPEECH / second), trial, linear
        )
        rows.append(row)
        if row["reaction_ms"] is not None:
            reactions.append(row["reaction_ms"])
        if row["heard_after_ms"] is not None:
            heard.append(row["heard_after_ms"])
    return {
        "converged_linear_canceller": warm,
        "reaction": summary_ms(reactions),
        "heard_in_audio": summary_ms(heard),
        "trials": rows,
    }


def barge_in_trial(
    runtime: Runtime,
    first: np.ndarray,
    second: np.ndarray,
    seed: int,
    linear: LinearEchoCanceller | None = None,
) -> dict[str, Any]:
    """One live exchange: ask, talk over the answer 1 s into it, get the second answer."""
    speaker = VirtualSpeaker()
    holder: dict[str, ScriptedShopper] = {}

    def answering_since(t_ns: int) -> bool:
        shopper = holder["mic"]
        last = shopper.onsets_ns[-1] if shopper.onsets_ns else 0
        return any(last < h.started_ns <= t_ns for h in list(speaker.handles))

    shopper = ScriptedShopper([first, second * 0.8], answering_since, seed=seed)
    holder["mic"] = shopper
    loop = _live_loop(runtime, shopper, speaker, EchoPath(), max_turns=2, linear=linear)
    onset = shopper.onsets_ns[1] if len(shopper.onsets_ns) > 1 else 0
    # silent from the hold that the barge-in confirmed, or from the clear without one
    silenced = sorted(t for t in [*speaker.held_ns, *speaker.cleared_ns] if onset and t >= onset)
    confirmed = loop.stats.barge_ins > 0 and silenced
    reaction = (silenced[0] - onset) / 1e6 + speaker.output_latency_s * 1000 if confirmed else None
    cleared = [t for t in speaker.cleared_ns if onset and t >= onset]
    heard = [t for t in loop.stats.barge_in_heard_ns if onset and t >= onset]
    return {
        "reaction_ms": round(reaction, 1) if reaction is not None else None,
        "cleared_after_ms": round((cleared[0] - onset) / 1e6, 1) if cleared else None,
        "heard_after_ms": round((heard[0] - onset) / 1e6, 1) if heard else None,
        "held": loop.stats.barge_in_held,
        "held_by_double_talk": loop.stats.held_by_double_talk,
        "resumed": loop.stats.barge_in_resumed,
        "max_processing_lag_ms": round(loop.stats.max_lag_ms, 1),
        "loop_ms": loop.stats.barge_in_ms,
        "barge_ins": loop.stats.barge_ins,
        "turns": [r.transcript for r in loop.results],
        "echo_dropped": loop.stats.echo_utterances_dropped,
    }


def _duplex_loop(
    runtime: Runtime,
    mic: Microphone,
    speaker: VirtualSpeaker,
    max_turns: int = 0,
    linear: LinearEchoCanceller | None = None,
) -> ConversationLoop:
    """The live loop as the kiosk wires it: AEC3, the residual gate, Silero, Smart Turn, and
    the double-talk detector with `linear` (a fresh one when None)."""
    return ConversationLoop(
        runtime.engine,
        SileroVad(runtime.models.require_file("silero-vad")),
        _endpointer(),
        mic,
        speaker,
        lambda event: None,
        max_turns=max_turns,
        turn_model=SmartTurn(runtime.models.require_file("smart-turn-v3")),
        echo=WebRtcEchoCanceller(),
        gate=ResidualGate(),
        linear_echo=linear,
    )


def _live_loop(
    runtime: Runtime,
    shopper: ScriptedShopper,
    speaker: VirtualSpeaker,
    path: EchoPath,
    max_turns: int,
    linear: LinearEchoCanceller | None = None,
) -> ConversationLoop:
    """The full-duplex loop on a shopper heard through `path` with the kiosk's own echo, run
    to its end (at most 90 s)."""
    heard = EchoMic(shopper, speaker.timeline, path)
    loop = _duplex_loop(runtime, heard, speaker, max_turns, linear)
    runner = threading.Thread(target=loop.run, args=(threading.Event(),), daemon=True)
    runner.start()
    runner.join(timeout=90)
    speaker.close()
    return loop


def bench_own_echo(runtime: Runtime, trials: int, warm: bool) -> dict[str, Any]:
    """Replies nobody talks over, on the loud reverberant echo path, in the store's noise: the
    canceller lets runs of the kiosk's own voice through, and scanners beep, which may hold the
    speaker; none may stop the reply. `warm` as in `bench_barge_in`."""
    questions = [
        "local_aa_batteries__piper_en-US-joe-medium_x100.wav",
        "local_whole_milk__piper_en-US-joe-medium_x110.wav",
        "local_double_a_batteries__piper_en-US-joe-medium_x090.wav",
    ]
    totals = dict.fromkeys(
        ["replies", "held", "held_by_double_talk", "resumed", "self_interruptions", "extra_turns"],
        0,
    )
    paused_ms: list[float] = []
    bed = read_wav(STORE_BED)
    for trial in range(trials):
        speaker = VirtualSpeaker()
        question = read_wav(SPEECH / questions[trial % len(questions)])
        shopper = ScriptedShopper([question], lambda t_ns: False, seed=trial, bed=bed)
        path = EchoPath(EchoPathOptions(delay_ms=120, gain_db=0.0, rt60_s=0.5, seed=trial))
        linear = double_talk.converged(path, SPEECH) if warm else None
        loop = _live_loop(runtime, shopper, speaker, path, max_turns=2, linear=linear)
        totals["replies"] += 1
        totals["held"] += loop.stats.barge_in_held
        totals["held_by_double_talk"] += loop.stats.held_by_double_talk
        totals["resumed"] += loop.stats.barge_in_resumed
        paused_ms += loop.stats.resumed_after_ms
        totals["self_interruptions"] += loop.stats.barge_ins
        totals["extra_turns"] += max(0, len(loop.results) - 1)
    return {
        "path": "delay 120 ms, 0 dB, RT60 0.5 s, store noise",
        "converged_linear_canceller": warm,
        **totals,
        "paused": summary_ms(paused_ms),
    }


def bench_device_path(runtime: Runtime) -> dict[str, Any]:
    """Ask-and-interrupt exchanges through a PulseAudio null sink and the real PortAudio
    streams. One sink is the room: the kiosk hears its own voice at a fixed delay, as through
    air. (Two sinks joined by PulseAudio's loopback module are not: the module resamples
    between the sinks' clocks adaptively, and the echo's delay wanders by tens of samples.)"""
    from edge.audio_io import SoundDeviceMic
    from edge.playback import SoundDeviceSpeaker
    from kiosk.bench.pulse import PulseUnavailable, null_sinks

    saved = {k: os.environ.get(k) for k in ("PULSE_SERVER", "PULSE_SOURCE", "PULSE_SINK")}
    out: dict[str, Any] = {}
    try:
        with null_sinks("room") as env:
            os.environ.update(env)
            os.environ["PULSE_SOURCE"] = "room.monitor"  # read when a stream opens
            os.environ["PULSE_SINK"] = "room"
            for name, warm_up_s in (("first_reply", 0.0), ("converged", WARM_UP_S)):
                mic = SoundDeviceMic("pulse")
                speaker = SoundDeviceSpeaker("pulse")
                shopper = SoundDeviceSpeaker("pulse")
                try:
                    out[name] = _device_exchange(runtime, mic, speaker, shopper, warm_up_s)
                finally:
                    for device in (shopper, speaker, mic):
                        device.close()
        return out
    except PulseUnavailable as exc:
        return {"skipped": str(exc)}
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _device_exchange(
    runtime: Runtime, mic: Any, speaker: Any, shopper: Any, warm_up_s: float
) -> dict[str, Any]:
    first = read_wav(SPEECH / "local_aa_batteries__piper_en-US-joe-medium_x100.wav")
    second = read_wav(SPEECH / "local_duct_tape__espeak-ng_en-us-m3_170wpm.wav")
    loop = ConversationLoop(
        runtime.engine,
        SileroVad(runtime.models.require_file("silero-vad")),
        _endpointer(),
        mic,
        speaker,
        lambda event: None,
        max_turns=2,
        turn_model=SmartTurn(runtime.models.require_file("smart-turn-v3")),
        echo=WebRtcEchoCanceller(),
        gate=ResidualGate(),
    )
    stop = threading.Event()
    onset: list[int] = []
    before_barge_in: list[float | None] = []

    def shopper_speaks() -> None:
        time.sleep(1.0)
        if warm_up_s:  # the kiosk's own voice: heard only as echo, learned from
            talking = speaker.play(_kiosk_voice(warm_up_s), 16000)
            talking.finished.wait(warm_up_s + 30)
            time.sleep(1.0)
        shopper.play(first, 16000)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not stop.is_set():
            if loop.replying:
                break
            time.sleep(0.02)
        time.sleep(1.0)  # then talk over the answer
        detector = loop.double_talk
        before_barge_in.append(detector.linear_taken_db if detector is not None else None)
        handle = shopper.play(second, 16000)
        while not handle.started_ns and not stop.is_set():
            time.sleep(0.005)
        loud = int(np.argmax(np.abs(second) > 0.01))
        onset.append(handle.started_ns + int(loud / 16000 * 1e9))

    script = threading.Thread(target=shopper_speaks, daemon=True)
    script.start()
    timer = threading.Timer(90 + warm_up_s, stop.set)
    timer.start()
    try:
        loop.run(stop)
    finally:
        stop.set()
        timer.cancel()
    heard = [t for t in loop.stats.barge_in_heard_ns if onset and t >= onset[0]]
    detector = loop.double_talk
    taken = detector.linear_taken_db if detector is not None else None
    armed_at = detector.options.linear_armed_db if detector is not None else None
    at_barge_in = before_barge_in[0] if before_barge_in else None
    return {
        "kiosk_talked_before_s": warm_up_s,
        "linear_canceller_taken_db_at_barge_in": _round(at_barge_in),
        "linear_canceller_listened_to_at_barge_in": (
            at_barge_in is not None and armed_at is not None and at_barge_in >= armed_at
        ),
        "linear_canceller_taken_db_at_end": _round(taken),
        "turns": [r.transcript for r in loop.results],
        "shelves": [r.shelf.id if r.shelf else None for r in loop.results],
        "barge_ins": loop.stats.barge_ins,
        "heard_after_shopper_played_ms": round((heard[0] - onset[0]) / 1e6, 1) if heard else None,
        "note": "measured from the shopper's own playback stamp: includes PulseAudio's path "
        "from the sink to the kiosk's microphone",
        "speaker_output_latency_ms": round(speaker.output_latency_s * 1000, 1),
        "echo_dropped": loop.stats.echo_utterances_dropped,
        "max_processing_lag_ms": round(loop.stats.max_lag_ms, 1),
    }


def _kiosk_voice(seconds: float) -> np.ndarray:
    """`seconds` of what the kiosk said before: `double_talk.earlier_speech`, 0.2 s apart."""
    gap = np.zeros(3200, np.float32)
    clips = [np.concatenate([clip, gap]) for clip in double_talk.earlier_speech(SPEECH)]
    voice = np.concatenate(clips)
    return np.tile(voice, int(np.ceil(seconds * 16000 / len(voice))))[: int(seconds * 16000)]


def bench_listening_cpu(runtime: Runtime, seconds: float) -> dict[str, Any]:
    """The full-duplex loop listening to the store's noise bed with nobody talking, in real
    time: this process's CPU in % of one core, at the configured block length and at 32 ms."""
    bed = read_wav(STORE_BED)
    noise = np.tile(bed, int(np.ceil(seconds * 16000 / len(bed))))[: int(seconds * 16000)]
    out: dict[str, Any] = {"seconds": seconds}
    for block_ms in sorted({BLOCK_MS, 32}):
        speaker = VirtualSpeaker()
        mic = FileMic.from_samples(noise, realtime=True, block_ms=block_ms)
        loop = _duplex_loop(runtime, mic, speaker)
        cpu, wall = time.process_time(), time.monotonic()
        try:
            loop.run(threading.Event())
        finally:
            speaker.close()
        share = (time.process_time() - cpu) / (time.monotonic() - wall)
        out[f"block_{block_ms}_ms_cpu_percent"] = round(100 * share, 1)
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _endpointer() -> Endpointer:
    return SmartEndpoint(EndOfTurnOptions())


def print_report(report: dict[str, Any]) -> None:
    t = TARGETS
    print(f"audio: machine {describe(report['machine'])}")
    vad = report["vad"]
    print(
        f"audio: VAD per 32 ms window p50 {vad['p50_ms']:.3f} ms, p95 {vad['p95_ms']:.3f} ms "
        f"(target < {t['vad_ms_per_window']})"
    )
    eot = report["end_of_turn"]
    for name in (
        "kiosk",
        "kiosk_unsure_any_length",
        "kiosk_words_only",
        "pipecat_default",
        "silence_800ms",
    ):
        r = eot[name]
        only = eot["policy_only"][name]
        print(
            f"audio: end of turn [{name}] delay p50 {r['delay_p50_ms']:.0f} ms, p95 "
            f"{r['delay_p95_ms']:.0f} ms, false cut-offs {r['false_cutoffs']}/{r['pause_items']} "
            f"({r['false_cutoff_rate']:.0%}); policy alone p50 {only['delay_p50_ms']:.0f} ms, "
            f"p95 {only['delay_p95_ms']:.0f} ms"
        )
    print(
        f"audio:   (targets p50 <= {t['eot_p50_ms']} ms, p95 <= {t['eot_p95_ms']} ms, "
        f"<= {t['false_cutoff_rate']:.0%} cut-offs; model times {json.dumps(eot['model_ms'])})"
    )
    live = report["end_of_turn_live"]
    print(
        f"audio: end of turn in the live loop (real time, {live['questions']} finished "
        f"questions) delay p50 {live['delay']['p50_ms']:.0f} ms, p95 {live['delay']['p95_ms']:.0f}"
        f" ms, {live['cut_off']} cut off, {live['not_answered']} not answered "
        f"(target p50 <= {t['eot_p50_ms']} ms)"
    )
    stt = report["stt"]
    lengths = ", ".join(f"{k} {v['p50_ms']:.0f}" for k, v in stt["by_length"].items())
    after = stt["transcript_after_eot"] or {"p50_ms": float("nan"), "p95_ms": float("nan")}
    print(
        f"audio: STT p50 ms by utterance length: {lengths}; transcript ready after end of turn "
        f"p50 {after['p50_ms']:.0f} ms, p95 {after['p95_ms']:.0f} ms "
        f"(target <= {t['transcript_after_eot_ms']})"
    )
    tts = report["tts"]
    print(
        f"audio: TTS first audio p50 {tts['first_audio']['p50_ms']:.0f} ms, p95 "
        f"{tts['first_audio']['p95_ms']:.0f} ms (each clause whole, as Piper makes it: p50 "
        f"{tts['first_audio_whole_clause']['p50_ms']:.0f}, p95 "
        f"{tts['first_audio_whole_clause']['p95_ms']:.0f} ms); from the sentence cache p50 "
        f"{tts['first_audio_cached']['p50_ms']:.2f} ms (target <= {t['tts_first_audio_ms']})"
    )
    fed = tts["speaker_fed"]
    print(
        f"audio: TTS keeps the speaker fed: {fed['replies_run_dry']} of {fed['replies']} replies "
        f"ran dry between pieces (max {fed['dry_ms']['max_ms']:.0f} ms); a voice "
        f"{fed['headroom_min']}x slower (p50 {fed['headroom_p50']}x) would still keep up"
    )
    for name, r in report["echo"].items():
        print(
            f"audio: ERLE [{name}] {r['erle_db']} dB ({r['erle_with_gate_db']} dB with the "
            f"residual gate; VAD > 0.5 on {r['vad_windows_over_0_5']}/{r['windows']} windows of "
            f"echo) (target >= {t['erle_db']}); the converged linear canceller "
            f"{r['linear_converged_erle_db']} dB"
        )
    device = report["device_path"]
    if "skipped" in device:
        print(f"audio: device path skipped: {device['skipped']}")
    for name, exchange in device.items():
        if not isinstance(exchange, dict):
            continue
        print(
            f"audio: device path [{name}] (PulseAudio, one null sink as the room): answered "
            f"{exchange['shelves']}, {exchange['barge_ins']} barge-in(s), heard "
            f"{exchange['heard_after_shopper_played_ms']} ms after the shopper's audio was "
            f"played; the linear canceller took the echo down by "
            f"{exchange['linear_canceller_taken_db_at_barge_in']} dB when the shopper talked "
            f"over it (listened to: {exchange['linear_canceller_listened_to_at_barge_in']}), "
            f"{exchange['linear_canceller_taken_db_at_end']} dB at the end"
        )
    for name, rules in report["double_talk"].items():
        if not isinstance(rules, dict):
            continue
        figures = "; ".join(
            f"{rule} p50 {r['heard_after_onset']['p50_ms']:.0f} ms, p95 "
            f"{r['heard_after_onset']['p95_ms']:.0f} ms, {r['missed']} missed, "
            f"{r['echo_only_windows']} windows fired on echo alone"
            for rule, r in rules.items()
        )
        print(f"audio: double talk replayed [{name}], heard after onset: {figures}")
    for name, sources in report["barge_in_stt"].items():
        if isinstance(sources, dict):
            rates = ", ".join(f"{k} {v['word_error_rate']:.0%}" for k, v in sources.items())
            print(f"audio: STT word error rate on questions asked over the reply [{name}]: {rates}")
    for key, when in (("barge_in", "converged"), ("barge_in_first_reply", "first reply")):
        b, heard = report[key]["reaction"], report[key]["heard_in_audio"]
        print(
            f"audio: barge-in [{when}], speech onset to playback stopped: p50 {b['p50_ms']} ms, "
            f"p95 {b['p95_ms']} ms over {b['n']} trials (target <= {t['barge_in_ms']}); heard "
            f"{heard['p50_ms']} ms (p50) of audio after the shopper started"
        )
    for key, when in (("own_echo", "converged"), ("own_echo_first_reply", "first reply")):
        own = report[key]
        print(
            f"audio: own echo [{when}] ({own['path']}): {own['replies']} replies, speaker held "
            f"{own['held']} times ({own['held_by_double_talk']} by the double-talk detector), "
            f"{own['resumed']} resumed after p50 {own['paused']['p50_ms']} ms "
            f"(max {own['paused'].get('max_ms')}), {own['self_interruptions']} "
            f"self-interruptions, {own['extra_turns']} turns heard from its own voice"
        )
    cpu = report["listening_cpu"]
    shares = ", ".join(
        f"{key.split('_')[1]} ms blocks {value}%"
        for key, value in cpu.items()
        if key.startswith("block_")
    )
    print(f"audio: listening with nobody there ({cpu['seconds']} s of store noise): {shares}")
