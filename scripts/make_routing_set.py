#!/usr/bin/env python3
"""Generate the routing evaluation set: spoken shopper questions about the demo store, with
store noise mixed in, each labelled with the route and shelf a good kiosk would choose.

Writes 16 kHz mono 16-bit WAV files and ``manifest.json`` into ``tests/data/routing/`` (or
``--out-dir``); ``kiosk bench routing`` reads them. Voices rotate through twelve speakers:
nine are Piper ``joe`` at 0.85-1.15x speed, pitch-shifted from -2 to +4 semitones so that one
natural voice sounds like several people; three are espeak-ng voices (American, British RP, a
male variant) at 140-145 words per minute. (A first version used mostly espeak-ng accents at
up to 185 words per minute and noise down to 10 dB: tiny.en misheard about half of them, so it
measured tiny.en on robotic speech rather than the routing; `kiosk bench routing` reports
accuracy per voice engine.) Every clip gets its own seeded slice of synthetic store noise
(ventilation and fridge hum, distant babble from other espeak-ng voices, checkout scanner
beeps) at 12-24 dB signal to noise ratio, so reruns with the same espeak-ng and onnxruntime
write the same files.

Labels assume the cloud is available: ``local`` questions name a product the demo store sells
and ask where it is, whether the store has it or what it costs; ``cloud`` questions ask for
advice, comparisons, ingredients or safety, or ask for something the store does not sell.
``shelf`` is the shelf a local answer must name (null for cloud questions).

With ``--transcribe`` each file is also run through faster-whisper tiny.en and the transcript
stored as ``whisper_tiny``, for reading failures; it is not used for scoring.

Regenerate with::

    .venv/bin/python scripts/make_routing_set.py --transcribe
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
LEAD_S = 0.25
TAIL_S = 0.35
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT_DIR = REPO_ROOT / "tests" / "data" / "routing"


@dataclass(frozen=True)
class Question:
    text: str
    route: str
    """'local' or 'cloud'."""
    shelf: str | None = None
    kind: str = ""
    """locate, availability, price, open, unknown (not sold here)."""


def _q(text: str, shelf: str) -> Question:
    lowered = text.lower()
    if lowered.startswith(("how much", "what does", "what's the price")):
        kind = "price"
    elif lowered.startswith(("do you", "have you", "is there", "are there")):
        kind = "availability"
    else:
        kind = "locate"
    return Question(text, "local", shelf, kind)


def _open(text: str) -> Question:
    return Question(text, "cloud", None, "open")


def _unknown(text: str) -> Question:
    return Question(text, "cloud", None, "unknown")


QUESTIONS: tuple[Question, ...] = (
    _q("where can I find the AA batteries", "A5-L"),
    _q("do you have triple A batteries", "A5-L"),
    _q("how much are the bananas", "PR1"),
    _q("where are the avocados", "PR1"),
    _q("how much are the apples", "PR1"),
    _q("where can I find baby carrots", "PR2"),
    _q("do you sell salad kits", "PR2"),
    _q("how much is a gallon of milk", "D1"),
    _q("where are the eggs", "D1"),
    _q("do you have greek yogurt", "D1"),
    _q("where is the cheddar cheese", "D1"),
    _q("where's the butter", "D1"),
    _q("where is the coffee", "A1-L"),
    _q("do you have tea bags", "A1-L"),
    _q("where can I find coffee creamer", "A1-L"),
    _q("where is the cereal", "A1-R"),
    _q("do you have oatmeal", "A1-R"),
    _q("where is the pancake mix", "A1-R"),
    _q("where can I find spaghetti", "A2-L"),
    _q("how much is the marinara sauce", "A2-L"),
    _q("where is the tomato soup", "A2-L"),
    _q("do you have baked beans", "A2-L"),
    _q("where are the potato chips", "A3-R"),
    _q("where can I find oreos", "A3-R"),
    _q("how much is the peanut butter", "A3-R"),
    _q("do you have crackers", "A3-R"),
    _q("where is the coca cola", "A4-L"),
    _q("how much is a case of water", "A4-L"),
    _q("do you have gatorade", "A4-L"),
    _q("where are the ziploc bags", "A5-R"),
    _q("where can I find aluminum foil", "A5-R"),
    _q("where are the paper towels", "A6-L"),
    _q("how much is the toilet paper", "A6-L"),
    _q("do you have tissues", "A6-L"),
    _q("where is the laundry detergent", "A6-R"),
    _q("where can I find dish soap", "A6-R"),
    _q("do you sell bleach", "A6-R"),
    _q("where is the ice cream", "A7-L"),
    _q("do you have frozen pizza", "A7-L"),
    _q("where are the frozen peas", "A7-L"),
    _q("where is the toothpaste", "P1"),
    _q("where can I find a toothbrush", "P1"),
    _q("do you have mouthwash", "P1"),
    _q("where are the band aids", "P1"),
    _q("I'm looking for sunscreen", "P1"),
    _q("how much is the ibuprofen", "P2"),
    _q("do you have tylenol", "P2"),
    _q("where can I find allergy pills", "P2"),
    _q("where is the pepto bismol", "P2"),
    _q("do you have cold medicine", "P2"),
    _q("where are the light bulbs", "H1-L"),
    _q("where can I find an extension cord", "H1-L"),
    _q("where is the duct tape", "H2-R"),
    _q("do you have super glue", "H2-R"),
    _q("how much is the charcoal", "H2-R"),
    _q("where can I buy stamps", "SD"),
    _open("is this sunscreen safe for a three year old"),
    _open("what wine goes well with salmon"),
    _open("can you recommend something for a sore throat"),
    _open("which is better for a headache, advil or tylenol"),
    _open("what's the difference between greek yogurt and regular yogurt"),
    _open("is the peanut butter gluten free"),
    _open("how many calories are in the ice cream"),
    _open("can I give ibuprofen to my kids"),
    _open("do these batteries contain lithium"),
    _open("how long do avocados take to ripen"),
    _unknown("where are the garden hoses"),
    _unknown("do you sell motor oil"),
    _unknown("where can I find dog food"),
)


@dataclass(frozen=True)
class Voice:
    engine: str
    name: str
    speed: float
    """espeak-ng: words per minute; Piper: speaking rate (1 / length_scale)."""
    semitones: float = 0.0
    """Piper only: pitch and formants shifted by resampling, so one voice sounds like several
    speakers (+4: a lighter, higher voice; -2: a deeper one), at the same speaking rate."""

    def slug(self) -> str:
        name = "".join(c if c.isalnum() else "-" for c in self.name).strip("-")
        if self.engine == "espeak-ng":
            return f"{self.engine}-{name}-{self.speed:g}"
        pitch = f"{self.semitones:+g}st" if self.semitones else ""
        return f"{self.engine}-{name}{pitch}-x{round(self.speed * 100):03d}"


VOICES: tuple[Voice, ...] = (
    Voice("piper", speech.PIPER_JOE, 1.0),
    Voice("espeak-ng", "en-us", 145),
    Voice("piper", speech.PIPER_JOE, 0.95, semitones=2),
    Voice("piper", speech.PIPER_JOE, 1.1),
    Voice("piper", speech.PIPER_JOE, 0.9, semitones=4),
    Voice("espeak-ng", "en-gb-x-rp", 140),
    Voice("piper", speech.PIPER_JOE, 1.15, semitones=-1),
    Voice("piper", speech.PIPER_JOE, 1.0, semitones=3),
    Voice("espeak-ng", "en-us+m3", 140),
    Voice("piper", speech.PIPER_JOE, 0.85),
    Voice("piper", speech.PIPER_JOE, 1.05, semitones=1),
    Voice("piper", speech.PIPER_JOE, 1.0, semitones=-2),
)


def synth_piper(piper: speech.PiperSynth, text: str, voice: Voice, seed: str) -> np.ndarray:
    """Piper at the voice's rate, then shifted in pitch by playing it back faster or slower."""
    factor = 2 ** (voice.semitones / 12)
    audio = piper(text, voice.speed / factor, seed)
    if not voice.semitones:
        return audio
    shifted = soxr.resample(audio, SAMPLE_RATE * factor, SAMPLE_RATE, quality="HQ")
    return np.asarray(shifted, dtype=np.float32)


BABBLE = (
    ("en-us+f3", "did you get the bread for tomorrow I think we still have some at home"),
    ("en-gb+m2", "cleanup in aisle four please thank you"),
    ("en-us+m4", "no the other one the big box is cheaper per ounce"),
    ("en-us+f5", "mom can we get the cereal with the chocolate in it"),
    ("en-029", "we need to pick up the prescription before six"),
)


def _rng(name: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(name.encode("utf-8")))


def _babble_bed(espeak: str, tmp: Path) -> np.ndarray:
    """Thirty seconds of distant shoppers talking: espeak-ng voices, muffled, overlapped."""
    rng = _rng("babble")
    bed = np.zeros(30 * SAMPLE_RATE, dtype=np.float32)
    for voice, text in BABBLE * 3:
        talk = speech.synth_espeak(text, voice, int(rng.integers(140, 190)), espeak, tmp)
        talk = np.convolve(talk, np.ones(6) / 6, mode="same")  # far away: less treble
        start = int(rng.integers(0, bed.size - talk.size))
        bed[start : start + talk.size] += talk * float(rng.uniform(0.3, 1.0))
    return bed / (float(np.sqrt(np.mean(bed**2))) + 1e-9)


def store_noise(n: int, name: str, babble: np.ndarray) -> np.ndarray:
    """Unit-RMS store noise for one clip: ventilation, distant babble and scanner beeps."""
    rng = _rng("noise:" + name)
    spectrum = np.fft.rfft(rng.normal(0.0, 1.0, n))
    freqs = np.fft.rfftfreq(n, 1.0 / SAMPLE_RATE)
    spectrum[1:] /= np.sqrt(freqs[1:])  # pink: the hum of fridges and ventilation
    spectrum[0] = 0.0
    hum = np.fft.irfft(spectrum, n)
    hum /= float(np.sqrt(np.mean(hum**2))) + 1e-9
    start = int(rng.integers(0, babble.size - n))
    noise = hum * 0.8 + babble[start : start + n] * 0.5
    for _ in range(int(rng.integers(0, 3))):  # a checkout scanner somewhere
        at = int(rng.integers(0, max(n - 2400, 1)))
        t = np.arange(2400) / SAMPLE_RATE
        noise[at : at + 2400] += 1.5 * np.sin(2 * np.pi * float(rng.uniform(1800, 2600)) * t)
    return (noise / (float(np.sqrt(np.mean(noise**2))) + 1e-9)).astype(np.float32)


def mix(voice: np.ndarray, name: str, babble: np.ndarray) -> tuple[np.ndarray, float]:
    """Pad, mix in store noise at a seeded SNR, and normalise the peak to -3 dBFS."""
    voice = speech._trim(voice)
    voiced = voice[np.abs(voice) > 0.05 * float(np.max(np.abs(voice)))]
    speech_rms = float(np.sqrt(np.mean(voiced**2)))
    lead, tail = int(LEAD_S * SAMPLE_RATE), int(TAIL_S * SAMPLE_RATE)
    clean = np.concatenate([np.zeros(lead), voice, np.zeros(tail)]).astype(np.float32)
    snr_db = float(_rng("snr:" + name).uniform(12.0, 24.0))
    noise = store_noise(clean.size, name, babble) * speech_rms / (10 ** (snr_db / 20))
    mixed = clean + noise
    mixed *= 10 ** (-3 / 20) / float(np.max(np.abs(mixed)))
    return mixed.astype(np.float32), round(snr_db, 1)


def _model_cache() -> Path:
    """The kiosk's model cache (`kiosk models fetch` fills it)."""
    from kiosk.models import default_cache_dir

    return default_cache_dir()


def file_name(index: int, question: Question, voice: Voice) -> str:
    words = "".join(c if c.isalnum() else "_" for c in question.text.lower()).split("_")
    slug = "_".join(w for w in words if w)[:40].rstrip("_")
    return f"{index:02d}_{question.route}_{slug}__{voice.slug()}.wav"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR)
    models = _model_cache()
    parser.add_argument(
        "--piper-voice", type=Path, default=models / "piper-joe-medium" / "en_US-joe-medium.onnx"
    )
    parser.add_argument("--whisper-model", type=Path, default=models / "whisper-tiny-en")
    parser.add_argument("--transcribe", action="store_true", help="store tiny.en transcripts")
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
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        babble = _babble_bed(espeak, tmp)
        for index, question in enumerate(QUESTIONS):
            voice = VOICES[index % len(VOICES)]
            name = file_name(index, question, voice)
            spoken = question.text + "?"
            if voice.engine == "piper":
                audio = synth_piper(piper, spoken, voice, name)
            else:
                audio = speech.synth_espeak(spoken, voice.name, int(voice.speed), espeak, tmp)
            mixed, snr = mix(audio, name, babble)
            speech._write_wav(out / name, mixed)
            entries.append(
                {
                    "file": name,
                    "text": question.text,
                    "kind": question.kind,
                    "engine": voice.engine,
                    "voice": voice.name,
                    "speed": voice.speed,
                    "semitones": voice.semitones,
                    "snr_db": snr,
                    "expect": {"route": question.route, "shelf": question.shelf},
                }
            )
    if args.transcribe:
        heard = speech.transcribe_all(args.whisper_model, [out / e["file"] for e in entries])
        for entry in entries:
            entry["whisper_tiny"] = heard[entry["file"]]
            print(f"{entry['file']}: {entry['whisper_tiny']!r}")
    manifest = {
        "sample_rate": SAMPLE_RATE,
        "generator": "scripts/make_routing_set.py",
        "store": "kiosk/stores/demo",
        "labels": "route assumes the cloud is available; shelf is what a local answer must name",
        "files": entries,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    total = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    local = sum(1 for e in entries if e["expect"]["route"] == "local")
    print(f"{len(entries)} questions ({local} local), {total / 1e6:.2f} MB in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
