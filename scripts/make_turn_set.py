#!/usr/bin/env python3
"""Generate the end-of-turn evaluation set: shopper questions with pauses inside the sentence.

"Where are the ... um ... batteries?" must not end the turn at either pause; the end of the
question must. Each question is synthesised whole, with commas where the shopper hesitates
("Where are the, um, batteries?"), so the words before each pause carry the melody of a sentence
that goes on. The short pause the voice makes at each comma is found (the longest quiet runs in
the clip) and the manifest records the spoken pieces between them and how long the pause after
each piece is meant to be; the evaluation (``kiosk bench audio``, the end-of-turn tests) builds
the clip with those pause lengths, so seconds of silence are not committed.

Voices: Piper ``joe`` at several speeds and pitch shifts (played back faster or slower, so one
natural voice sounds like several people) and espeak-ng voices. Pause lengths cycle through
0.5, 0.8, 1.1 and 1.5 s: the short ones are what a hesitating shopper does, the long ones are
what the plain 800 ms silence rule cuts.

Regenerate with::

    .venv/bin/python scripts/make_turn_set.py
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soxr

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_test_speech as speech

SAMPLE_RATE = 16_000
LEAD_S = 0.3
TAIL_S = 0.3
PAUSES_S = (0.5, 0.8, 1.1, 1.5)
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT_DIR = REPO_ROOT / "tests" / "data" / "turns"

QUESTIONS = (
    "Where are the, um, batteries?",
    "Where can I find the, uh, double A batteries?",
    "Do you have any, um, ibuprofen?",
    "How much is the, whole milk?",
    "Where is the, uh, duct tape?",
    "I'm looking for the, bananas.",
    "Can you recommend something for a, um, sore throat?",
    "What wine goes well with, uh, salmon?",
    "Is there any, um, sunscreen for kids?",
    "Where do you keep the, light bulbs?",
    "Do you sell, uh, coffee filters?",
    "I need some, um, paper towels.",
)
MIN_GAP_S = 0.1


@dataclass(frozen=True)
class Voice:
    engine: str
    name: str
    speed: float
    """espeak-ng: words per minute; Piper: rate multiplier."""
    semitones: float = 0.0

    @property
    def slug(self) -> str:
        if self.engine == "piper":
            pitch = f"{self.semitones:+g}st" if self.semitones else ""
            return f"piper-joe{pitch}-x{round(self.speed * 100):03d}"
        return f"espeak-{self.name.replace('+', '-')}-{int(self.speed)}"


VOICES = (
    Voice("piper", speech.PIPER_JOE, 1.0),
    Voice("espeak-ng", "en-us+m3", 145),
    Voice("piper", speech.PIPER_JOE, 0.9, semitones=3),
    Voice("espeak-ng", "en-gb+m7", 140),
    Voice("piper", speech.PIPER_JOE, 1.1, semitones=-2),
    Voice("espeak-ng", "en-us+f2", 150),
)


def _rng(name: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(name.encode("utf-8")))


def synth(
    text: str, voice: Voice, piper: speech.PiperSynth, espeak: str, tmp: Path, seed: str
) -> np.ndarray:
    if voice.engine == "espeak-ng":
        audio = speech.synth_espeak(text, voice.name, int(voice.speed), espeak, tmp)
    else:
        factor = 2 ** (voice.semitones / 12)
        audio = piper(text, voice.speed / factor, seed)
        if voice.semitones:
            audio = np.asarray(
                soxr.resample(audio, SAMPLE_RATE * factor, SAMPLE_RATE, quality="HQ"),
                dtype=np.float32,
            )
    return speech._trim(audio)


def comma_gaps(audio: np.ndarray, count: int, name: str) -> list[tuple[int, int]]:
    """The `count` longest quiet runs inside the speech (10 ms frames below -40 dBFS)."""
    frame = SAMPLE_RATE // 100
    n = len(audio) // frame
    rms = np.sqrt(np.mean(audio[: n * frame].reshape(n, frame) ** 2, axis=1))
    quiet = rms < 10 ** (-40 / 20)
    runs: list[tuple[int, int]] = []
    k = 0
    while k < n:
        if not quiet[k]:
            k += 1
            continue
        j = k
        while j < n and quiet[j]:
            j += 1
        if k > 0 and j < n:
            runs.append((k * frame, j * frame))
        k = j
    runs.sort(key=lambda r: r[1] - r[0], reverse=True)
    chosen = sorted(runs[:count])
    if len(chosen) < count or any(b - a < MIN_GAP_S * SAMPLE_RATE for a, b in chosen):
        raise SystemExit(f"{name}: found no clear pause at each of the {count} commas")
    return chosen


def render(
    text: str, voice: Voice, name: str, piper: speech.PiperSynth, espeak: str, tmp: Path
) -> tuple[np.ndarray, list[list[int]]]:
    """The sentence, normalised to -3 dBFS and padded, and the spoken pieces between pauses."""
    audio = synth(text, voice, piper, espeak, tmp, name)
    audio = audio * (10 ** (speech.PEAK_DBFS / 20) / float(np.max(np.abs(audio))))
    lead = int(LEAD_S * SAMPLE_RATE)
    gaps = comma_gaps(audio, text.count(","), name)
    edges = [0] + [x for gap in gaps for x in gap] + [len(audio)]
    spans = [[lead + edges[i], lead + edges[i + 1]] for i in range(0, len(edges), 2)]
    clip = np.concatenate(
        [np.zeros(lead, np.float32), audio, np.zeros(int(TAIL_S * SAMPLE_RATE), np.float32)]
    )
    clip += _rng(name).normal(0.0, speech.DITHER_STD, clip.size).astype(np.float32)
    return clip.astype(np.float32), spans


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR)
    parser.add_argument("--piper-voice", type=Path, default=speech.DEFAULT_PIPER_VOICE)
    parser.add_argument("--espeak", default="espeak-ng")
    args = parser.parse_args(argv)
    espeak = shutil.which(args.espeak)
    if espeak is None:
        print(f"error: {args.espeak} not found (apt-get install espeak-ng)", file=sys.stderr)
        return 2
    if not args.piper_voice.is_file():
        print(f"error: Piper voice not found: {args.piper_voice}", file=sys.stderr)
        return 2
    out: Path = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.wav"):
        old.unlink()
    piper = speech.PiperSynth(args.piper_voice)
    entries: list[dict[str, Any]] = []
    pause_index = 0
    with tempfile.TemporaryDirectory() as tmp_name:
        for q, text in enumerate(QUESTIONS):
            pieces = [p.strip() for p in text.split(",")]
            for v in range(2):
                voice = VOICES[(2 * q + v) % len(VOICES)]
                slug = pieces[-1].strip("?.").lower().replace(" ", "_")
                name = f"pause_{q:02d}_{slug}__{voice.slug}.wav"
                clip, spans = render(text, voice, name, piper, espeak, Path(tmp_name))
                speech._write_wav(out / name, clip)
                pauses = []
                for _ in spans[:-1]:
                    pauses.append(PAUSES_S[pause_index % len(PAUSES_S)])
                    pause_index += 1
                entries.append(
                    {
                        "file": name,
                        "text": text,
                        "pieces": pieces,
                        "engine": voice.engine,
                        "voice": voice.name,
                        "speed": voice.speed,
                        "semitones": voice.semitones,
                        "spans": spans,
                        "pauses_s": pauses,
                    }
                )
                print(f"{name}: pauses {pauses}")
    manifest = {
        "sample_rate": SAMPLE_RATE,
        "generator": "scripts/make_turn_set.py",
        "spans": "sample ranges of each spoken piece in the file",
        "pauses_s": "silence to put after each piece but the last when building the clip",
        "items": entries,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    total = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    print(f"{len(entries)} files, {total / 1e6:.2f} MB in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
