"""What STT makes of a question asked over the kiosk's voice, replayed offline.

The shopper's question (committed espeak-ng clips, at -2 dB) starts 1.3 s into a reply (committed
Piper clips); the speaker stops 40 ms after the shopper's first loud sample, as a converged
double-talk detector holds it, and the room rings on. tiny.en transcribes the question three
ways: from the microphone with no echo at all (the best it can do on these voices), from AEC3's
output before the residual gate (what the live loop heard before the linear canceller), and
from what the converged linear canceller left (what it hears now while the kiosk's voice may
be in the audio). Reported as word error rate against the clips' scripts.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from edge.linear_echo import LinearEchoCanceller
from edge.room import EchoPath
from edge.stt import WhisperStt
from edge.timeline import PlaybackTimeline
from edge.vad import SileroVad
from edge.wav import read_wav
from kiosk.bench import double_talk

RATE = 16000
SEC = 1_000_000_000
ONSET_S = 1.3
HELD_AFTER_S = 0.04
PATHS = ("room", "loud_reverberant", "near_loud")
SOURCES = ("no_echo", "aec3", "linear")


def word_error_rate(reference: str, heard: str) -> float:
    ref, hyp = _words(reference), _words(heard)
    row = list(range(len(hyp) + 1))
    for i, word in enumerate(ref, 1):
        previous, row = row, [i] + [0] * len(hyp)
        for j, other in enumerate(hyp, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (word != other))
    return row[-1] / max(1, len(ref))


def _words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]", " ", text.lower()).split()


def heard_three_ways(
    vad: SileroVad,
    path: EchoPath,
    linear: LinearEchoCanceller,
    reply: np.ndarray,
    shopper: np.ndarray,
) -> dict[str, np.ndarray]:
    """The question's stretch of audio (from 100 ms before it) as each source gives it."""
    loud = int(np.argmax(np.abs(shopper) > 0.01))
    played = reply[: int(ONSET_S * RATE) + loud + int(HELD_AFTER_S * RATE)].copy()
    played[-160:] *= np.linspace(1.0, 0.0, 160, dtype=np.float32)  # the hold fades out
    timeline = PlaybackTimeline()
    timeline.write(played, int(double_talk.LEAD_S * SEC))
    at = int((double_talk.LEAD_S + ONSET_S) * RATE)
    total = at + len(shopper) + RATE // 2
    total -= total % 2560  # whole mic blocks and whole canceller blocks
    mic = (np.random.default_rng(0).standard_normal(total) * 1e-3).astype(np.float32)
    mic[at : at + len(shopper)] += shopper
    aec3, residue = [], []
    for window in double_talk.heard_through(vad, path, timeline, mic, linear):
        aec3.append(window.samples)
        residue.append(window.linear if window.linear is not None else window.samples)
    span = slice(at - RATE // 10, at + len(shopper))
    return {
        "no_echo": mic[span],
        "aec3": np.concatenate(aec3)[span],
        "linear": np.concatenate(residue)[span],
    }


def bench_barge_in_stt(
    silero: Path, whisper: Path, speech: Path, prompt: str | None
) -> dict[str, Any]:
    manifest = json.loads((speech / "manifest.json").read_text())
    scripts = {f["file"]: f["text"] for f in manifest["files"]}
    vad = SileroVad(silero)
    stt = WhisperStt(whisper)
    replies = double_talk.kiosk_voice(speech)
    voices = sorted(speech.glob("*espeak*.wav"))[::2]
    out: dict[str, Any] = {"questions_per_path": len(replies) * len(voices)}
    for name in PATHS:
        path = EchoPath(double_talk.PATHS[name])
        linear = double_talk.converged(path, speech)
        errors: dict[str, list[float]] = {source: [] for source in SOURCES}
        examples: dict[str, list[str]] = {source: [] for source in SOURCES}
        for reply in replies:
            for voice in voices:
                shopper = read_wav(voice) * double_talk.SHOPPER_GAIN
                audio = heard_three_ways(vad, path, linear, reply, shopper)
                for source in SOURCES:
                    text = stt.transcribe(audio[source], prompt).text
                    errors[source].append(word_error_rate(scripts[voice.name], text))
                    if reply is replies[0]:
                        examples[source].append(text)
        out[name] = {
            source: {
                "word_error_rate": round(float(np.mean(errors[source])), 3),
                "examples": examples[source][:4],
            }
            for source in SOURCES
        }
    return out
