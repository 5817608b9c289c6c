#!/usr/bin/env python3
"""Generate the end-to-end benchmark's own clips: questions about a product held up to the
camera, questions with pauses inside the sentence, and a bed of store noise for the virtual
microphone between questions.

`kiosk bench e2e` asks a mix of questions: local ones and open ones from the routing set
(``tests/data/routing``), and the ones made here:

- held-up: "how much is this?", "is this gluten free?" - spoken by the routing set's voices
  (Piper ``joe`` at several speeds and pitches, espeak-ng accents), each with the SKU of the
  product the virtual camera shows while it is asked; the benchmark draws that frame from the
  vision set's generator (``kiosk.bench.vision_set``) at run time;
- paused: clips of the end-of-turn set (``tests/data/turns``) rebuilt with their pauses
  ("where are the, um, ... batteries"), so a kiosk that ends the turn at a pause is caught;
- ``store_bed.wav``: 12 s of store noise (ventilation hum, scanner beeps) that the virtual
  microphone loops while nobody speaks.

Every clip has store noise mixed in at a seeded 12-24 dB SNR (the routing set's mixer), and
the manifest records where the speech ends (and where its last spoken piece starts), so the
benchmark knows the true end of each question.

Regenerate with::

    .venv/bin/python scripts/make_e2e_set.py
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_routing_set as routing
import make_test_speech as speech

SAMPLE_RATE = 16_000
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT_DIR = REPO_ROOT / "tests" / "data" / "e2e"
TURNS_DIR = REPO_ROOT / "tests" / "data" / "turns"
BED_S = 12.0
BED_RMS_DBFS = -48.0
"""A quiet shop floor as the microphone hears it when nobody stands at the kiosk."""


@dataclass(frozen=True)
class HeldQuestion:
    text: str
    sku: str
    route: str
    """'local' when the kiosk can answer from the catalog once it sees the product."""


HELD: tuple[HeldQuestion, ...] = (
    HeldQuestion("how much is this", "0041333424019", "local"),
    HeldQuestion("where can I find more of these", "0016000275287", "local"),
    HeldQuestion("is this gluten free", "0044000033279", "cloud"),
    HeldQuestion("what aisle is this in", "0051500241776", "local"),
    HeldQuestion("is this safe for kids", "0305730150309", "cloud"),
    HeldQuestion("how much does this one cost", "0035000510662", "local"),
    HeldQuestion("do you have more of these", "0049000006346", "local"),
    HeldQuestion("can I take this with coffee", "0300450449399", "cloud"),
)

PAUSED = (
    "pause_00_batteries__piper-joe-x100.wav",
    "pause_02_ibuprofen__espeak-en-us-f2-150.wav",
    "pause_03_whole_milk__piper-joe-x100.wav",
    "pause_06_sore_throat__espeak-en-us-m3-145.wav",
    "pause_08_sunscreen_for_kids__piper-joe-2st-x110.wav",
    "pause_11_paper_towels__espeak-en-us-f2-150.wav",
)
PAUSED_ROUTES = {"sore_throat": "cloud", "sunscreen_for_kids": "cloud"}


def held_name(index: int, question: HeldQuestion, voice: routing.Voice) -> str:
    words = "".join(c if c.isalnum() else "_" for c in question.text.lower()).split("_")
    slug = "_".join(w for w in words if w)[:32]
    return f"held_{index:02d}_{question.route}_{slug}__{voice.slug()}.wav"


def mix_timed(
    voice: np.ndarray, name: str, babble: np.ndarray
) -> tuple[np.ndarray, float, float, float]:
    """The routing set's mixer; also returns where the speech starts and ends (seconds)."""
    trimmed = speech._trim(voice)
    mixed, snr = routing.mix(voice, name, babble)
    start = routing.LEAD_S
    return mixed, snr, start, start + trimmed.size / SAMPLE_RATE


def paused_clip(entry: dict[str, Any]) -> tuple[np.ndarray, float, float]:
    """The end-of-turn clip built with its pauses; (audio, last piece start, speech end)."""
    stored, _ = speech._read_wav(TURNS_DIR / entry["file"])
    spans = entry["spans"]
    parts = [np.zeros(int(routing.LEAD_S * SAMPLE_RATE), np.float32)]
    last_start = 0.0
    for k, (a, b) in enumerate(spans):
        if k == len(spans) - 1:
            last_start = sum(p.size for p in parts) / SAMPLE_RATE
        parts.append(stored[a:b].astype(np.float32))
        if k < len(entry["pauses_s"]):
            parts.append(np.zeros(int(entry["pauses_s"][k] * SAMPLE_RATE), np.float32))
    end = sum(p.size for p in parts) / SAMPLE_RATE
    parts.append(np.zeros(int(routing.TAIL_S * SAMPLE_RATE), np.float32))
    return np.concatenate(parts), last_start, end


def noisy(clean: np.ndarray, name: str, babble: np.ndarray) -> tuple[np.ndarray, float]:
    """Store noise at a seeded SNR under an already padded clip, peak at -3 dBFS."""
    voiced = clean[np.abs(clean) > 0.05 * float(np.max(np.abs(clean)))]
    speech_rms = float(np.sqrt(np.mean(voiced**2)))
    snr_db = float(routing._rng("snr:" + name).uniform(12.0, 24.0))
    noise = routing.store_noise(clean.size, name, babble) * speech_rms / (10 ** (snr_db / 20))
    mixed = clean + noise
    mixed *= 10 ** (-3 / 20) / float(np.max(np.abs(mixed)))
    return mixed.astype(np.float32), round(snr_db, 1)


def store_bed() -> np.ndarray:
    """Ventilation and fridge hum with a checkout scanner now and then, and no voices: distant
    babble is under every question (at its SNR), but a bed of it makes Silero hear speech a
    third of the time, and then every benchmark measures how the systems handle chatter
    rather than how fast they answer."""
    n = int(BED_S * SAMPLE_RATE)
    silent = np.zeros(10 * n, dtype=np.float32)  # no babble to draw from
    bed = routing.store_noise(n, "e2e-bed", silent)
    fade = int(0.05 * SAMPLE_RATE)  # the loop point must not click
    ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
    bed[:fade] = bed[:fade] * ramp + bed[-fade:] * ramp[::-1]
    bed = bed[:-fade]
    return (bed * 10 ** (BED_RMS_DBFS / 20)).astype(np.float32)


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
    turns = {e["file"]: e for e in json.loads((TURNS_DIR / "manifest.json").read_text())["items"]}
    entries: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        babble = routing._babble_bed(espeak, tmp)
        speech._write_wav(out / "store_bed.wav", store_bed())
        for index, question in enumerate(HELD):
            voice = routing.VOICES[(index * 5 + 1) % len(routing.VOICES)]
            name = held_name(index, question, voice)
            spoken = question.text + "?"
            if voice.engine == "piper":
                audio = routing.synth_piper(piper, spoken, voice, name)
            else:
                audio = speech.synth_espeak(spoken, voice.name, int(voice.speed), espeak, tmp)
            mixed, snr, start, end = mix_timed(audio, name, babble)
            speech._write_wav(out / name, mixed)
            entries.append(
                {
                    "file": name,
                    "kind": "held",
                    "text": question.text,
                    "sku": question.sku,
                    "route": question.route,
                    "engine": voice.engine,
                    "voice": voice.name,
                    "speed": voice.speed,
                    "semitones": voice.semitones,
                    "snr_db": snr,
                    "speech_start_s": round(start, 3),
                    "last_piece_s": round(start, 3),
                    "speech_end_s": round(end, 3),
                }
            )
        for file in PAUSED:
            entry = turns[file]
            clean, last_start, end = paused_clip(entry)
            mixed, snr = noisy(clean, file, babble)
            name = "paused_" + file.removeprefix("pause_")
            speech._write_wav(out / name, mixed)
            slug = file.split("__")[0].split("_", 2)[2]
            entries.append(
                {
                    "file": name,
                    "kind": "paused",
                    "text": entry["text"],
                    "sku": None,
                    "route": PAUSED_ROUTES.get(slug, "local"),
                    "engine": entry["engine"],
                    "voice": entry["voice"],
                    "speed": entry["speed"],
                    "semitones": entry["semitones"],
                    "snr_db": snr,
                    "pauses_s": entry["pauses_s"],
                    "speech_start_s": routing.LEAD_S,
                    "last_piece_s": round(last_start, 3),
                    "speech_end_s": round(end, 3),
                }
            )
    manifest = {
        "sample_rate": SAMPLE_RATE,
        "generator": "scripts/make_e2e_set.py",
        "store": "kiosk/stores/demo",
        "bed": "store_bed.wav",
        "times": "speech_end_s: true end of the spoken question; last_piece_s: start of its "
        "last spoken piece (a reply before it cut the shopper off)",
        "files": entries,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    total = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    print(f"{len(entries)} clips and a store bed, {total / 1e6:.2f} MB in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
