#!/usr/bin/env python3
"""Generate the spoken shopper questions used by the speech tests.

Writes 16 kHz mono 16-bit WAV files plus ``manifest.json`` into
``tests/data/speech/`` (or ``--out-dir``).  Two engines are used:

* **espeak-ng** (Debian package ``espeak-ng``): several voices and speeds; the
  22.05 kHz output is resampled to 16 kHz with soxr.
* **Piper** with the ``en_US-joe-medium`` voice, through the piper Python API,
  resampled from 22.05 kHz to 16 kHz with soxr.  Piper's VITS noise is seeded
  per file, so reruns with the same onnxruntime give identical audio.

Every utterance is trimmed, peak-normalised to -3 dBFS and padded with 300 ms of
leading and 400 ms of trailing "silence" made of tiny dither noise (about
-84 dBFS, seeded per file, never digital zero).  Two non-speech edge files are
added: ``silence_1s.wav`` (dither-level noise) and ``noise_1s.wav`` (quiet
broadband room noise, nobody speaking).

Afterwards every file is transcribed with faster-whisper ``tiny.en`` (CPU,
int8, beam 1) and the transcript is stored as ``whisper_tiny`` in the
manifest.  A transcript without the key product word is reported; renditions
marked ``mishearing_ok`` in PLAN are kept on purpose (tiny.en hears a phonetically
close phrase such as "double amenities"), any other is an error with --strict.
tiny.en on CPU is not bit-stable from run to run, so a rerun can hear a file
slightly differently ("AI magazine" / "aid magazine").

Manifest ``speed`` units: espeak-ng words per minute (int); Piper rate
multiplier (float, ``1 / length_scale``).  Edge files have ``voice``,
``speed`` and ``expect.route`` set to null.

Regenerate with::

    .venv/bin/python scripts/make_test_speech.py \\
        --piper-voice /path/to/en_US-joe-medium.onnx \\
        --whisper-model /path/to/faster-whisper-tiny.en
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import wave
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soxr

SAMPLE_RATE = 16_000
LEAD_SILENCE_S = 0.300
TAIL_SILENCE_S = 0.400
DITHER_STD = 2.0 / 32768.0  # ~2 LSB of 16-bit, about -84 dBFS
PEAK_DBFS = -3.0
TRIM_THRESHOLD = 10 ** (-50 / 20)  # -50 dBFS
TRIM_GUARD_S = 0.020

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT_DIR = REPO_ROOT / "tests" / "data" / "speech"


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kiosk" / "models"


DEFAULT_PIPER_VOICE = _cache_dir() / "piper-joe-medium" / "en_US-joe-medium.onnx"
DEFAULT_WHISPER_MODEL = _cache_dir() / "faster-whisper-tiny.en"


@dataclass(frozen=True)
class Question:
    slug: str
    text: str
    route: str  # "local" or "open"
    shelf: str | None
    key: str  # regex that must match the transcript (the key product word)


@dataclass(frozen=True)
class Rendition:
    question: Question
    engine: str  # "espeak-ng" or "piper"
    voice: str
    speed: float  # espeak-ng: words per minute; piper: rate multiplier
    # True where tiny.en is known to mishear the key word in a natural, phonetically close
    # way ("double amenities"); such files are kept on purpose as hard cases.
    mishearing_ok: bool = False

    @property
    def file_name(self) -> str:
        voice = re.sub(r"[^A-Za-z0-9]+", "-", self.voice).strip("-")
        if self.engine == "piper":
            speed = f"x{self.speed:.2f}".replace(".", "")
        else:
            speed = f"{int(self.speed)}wpm"
        return f"{self.question.route}_{self.question.slug}__{self.engine}_{voice}_{speed}.wav"


Q_AA = Question("aa_batteries", "where can I find the AA batteries", "local", "A5-L", r"batter")
Q_DOUBLE_A = Question(
    "double_a_batteries", "where are the double a batteries", "local", "A5-L", r"batter"
)
Q_IBUPROFEN = Question("ibuprofen", "do you have ibuprofen", "local", "P2", r"ibu|profen")
Q_MILK = Question("whole_milk", "how much is the whole milk", "local", "D1", r"milk")
Q_TAPE = Question("duct_tape", "where is the duct tape", "local", "H2-R", r"tape")
Q_BANANAS = Question("bananas", "where are the bananas", "local", "PR1", r"banana")
Q_SUNSCREEN = Question(
    "sunscreen", "is this sunscreen safe for a three year old", "open", None, r"sun ?screen"
)
Q_WINE = Question("wine_salmon", "what wine goes well with salmon", "open", None, r"wine")
Q_THROAT = Question(
    "sore_throat", "can you recommend something for a sore throat", "open", None, r"throat"
)

PIPER_JOE = "en_US-joe-medium"

PLAN: tuple[Rendition, ...] = (
    Rendition(Q_AA, "piper", PIPER_JOE, 1.0),
    Rendition(Q_AA, "espeak-ng", "en-us", 140),
    Rendition(Q_AA, "espeak-ng", "en-us+m3", 155),
    Rendition(Q_AA, "espeak-ng", "en-gb+m7", 155, mishearing_ok=True),
    Rendition(Q_DOUBLE_A, "espeak-ng", "en-us+m3", 145, mishearing_ok=True),
    Rendition(Q_DOUBLE_A, "piper", PIPER_JOE, 0.9),
    Rendition(Q_IBUPROFEN, "espeak-ng", "en-us", 160),
    Rendition(Q_IBUPROFEN, "espeak-ng", "en-gb+m7", 150, mishearing_ok=True),
    Rendition(Q_MILK, "espeak-ng", "en-gb+m7", 140),
    Rendition(Q_MILK, "piper", PIPER_JOE, 1.1),
    Rendition(Q_TAPE, "espeak-ng", "en-us+m3", 170),
    Rendition(Q_TAPE, "espeak-ng", "en-us+f2", 185),
    Rendition(Q_BANANAS, "espeak-ng", "en-us+m3", 160),
    Rendition(Q_BANANAS, "espeak-ng", "en-gb+m7", 150),
    Rendition(Q_SUNSCREEN, "espeak-ng", "en-us", 150),
    Rendition(Q_SUNSCREEN, "piper", PIPER_JOE, 1.0),
    Rendition(Q_WINE, "espeak-ng", "en-us+f2", 165),
    Rendition(Q_WINE, "espeak-ng", "en-us+f4", 170),
    Rendition(Q_THROAT, "espeak-ng", "en-gb+m7", 160),
    Rendition(Q_THROAT, "espeak-ng", "en-us+f4", 145),
)

EDGE_FILES: dict[str, str] = {
    "silence_1s.wav": "dither",
    "noise_1s.wav": "room-noise",
}


def _rng_for(name: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(name.encode("utf-8")))


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as wf:
        if wf.getsampwidth() != 2:
            raise ValueError(f"{path}: expected 16-bit PCM, got {8 * wf.getsampwidth()}-bit")
        rate = wf.getframerate()
        channels = wf.getnchannels()
        data = np.frombuffer(wf.readframes(wf.getnframes()), dtype="<i2")
    audio = data.reshape(-1, channels).mean(axis=1) / 32768.0
    return audio.astype(np.float32), rate


def _write_wav(path: Path, audio: np.ndarray) -> None:
    pcm = np.clip(np.round(audio * 32767.0), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as wf:
        wf.setnchannels(1)
        wf.setsampwidth(2)
        wf.setframerate(SAMPLE_RATE)
        wf.writeframes(pcm.tobytes())


def _to_16k(audio: np.ndarray, rate: int) -> np.ndarray:
    if rate == SAMPLE_RATE:
        return audio.astype(np.float32)
    return np.asarray(soxr.resample(audio, rate, SAMPLE_RATE, quality="HQ"), dtype=np.float32)


def _trim(audio: np.ndarray) -> np.ndarray:
    loud = np.flatnonzero(np.abs(audio) > TRIM_THRESHOLD)
    if loud.size == 0:
        raise ValueError("engine produced no audible speech")
    guard = int(TRIM_GUARD_S * SAMPLE_RATE)
    start = max(int(loud[0]) - guard, 0)
    end = min(int(loud[-1]) + guard + 1, audio.size)
    return audio[start:end]


def _finish(speech: np.ndarray, name: str) -> np.ndarray:
    """Trim, normalise, pad with dither-only silence and dither the whole clip."""
    speech = _trim(speech)
    speech = speech * (10 ** (PEAK_DBFS / 20) / float(np.max(np.abs(speech))))
    lead = np.zeros(int(LEAD_SILENCE_S * SAMPLE_RATE), dtype=np.float32)
    tail = np.zeros(int(TAIL_SILENCE_S * SAMPLE_RATE), dtype=np.float32)
    audio = np.concatenate([lead, speech.astype(np.float32), tail])
    dither = _rng_for(name).normal(0.0, DITHER_STD, audio.size).astype(np.float32)
    return audio + dither


def synth_espeak(text: str, voice: str, wpm: int, espeak: str, tmp: Path) -> np.ndarray:
    raw = tmp / "espeak.wav"
    subprocess.run(
        [espeak, "-v", voice, "-s", str(wpm), "-w", str(raw), text],
        check=True,
        capture_output=True,
    )
    audio, rate = _read_wav(raw)
    return _to_16k(audio, rate)


class PiperSynth:
    """Piper synthesis, reproducible per file.

    The VITS noise is drawn inside the ONNX graph, whose random kernels are seeded when
    the session is created, so onnxruntime's seed is set and the voice reloaded per file.
    """

    def __init__(self, model_path: Path) -> None:
        self._model_path = model_path

    def __call__(self, text: str, rate: float, seed_name: str) -> np.ndarray:
        import onnxruntime
        from piper import PiperVoice, SynthesisConfig

        onnxruntime.set_seed(zlib.crc32(seed_name.encode("utf-8")) & 0x7FFFFFFF)
        voice = PiperVoice.load(self._model_path)
        config = SynthesisConfig(length_scale=1.0 / rate)
        chunks = []
        sample_rate = 0
        for chunk in voice.synthesize(text, syn_config=config):
            chunks.append(chunk.audio_int16_array.astype(np.float32) / 32768.0)
            sample_rate = chunk.sample_rate
        if not chunks:
            raise ValueError(f"piper produced no audio for {text!r}")
        return _to_16k(np.concatenate(chunks), sample_rate)


def make_edge(kind: str, name: str) -> np.ndarray:
    rng = _rng_for(name)
    n = SAMPLE_RATE  # 1 s
    if kind == "dither":
        return rng.normal(0.0, DITHER_STD, n).astype(np.float32)
    # Quiet room noise: pink-ish (1/f) noise at about -50 dBFS RMS, nobody speaking.
    spectrum = np.fft.rfft(rng.normal(0.0, 1.0, n))
    freqs = np.fft.rfftfreq(n, 1.0 / SAMPLE_RATE)
    spectrum[1:] /= np.sqrt(freqs[1:])
    spectrum[0] = 0.0
    noise = np.fft.irfft(spectrum, n)
    noise *= 10 ** (-50 / 20) / float(np.sqrt(np.mean(noise**2)))
    return noise.astype(np.float32)


def transcribe_all(model_dir: Path, paths: list[Path]) -> dict[str, str]:
    from faster_whisper import WhisperModel

    model = WhisperModel(str(model_dir), device="cpu", compute_type="int8")
    heard: dict[str, str] = {}
    for path in paths:
        segments, _info = model.transcribe(str(path), language="en", beam_size=1)
        heard[path.name] = " ".join(seg.text.strip() for seg in segments).strip()
    return heard


def _remove_stale(out_dir: Path, keep: set[str]) -> None:
    """Delete WAVs listed in a previous manifest that the current plan no longer makes."""
    manifest = out_dir / "manifest.json"
    if not manifest.exists():
        return
    try:
        old = json.loads(manifest.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return
    for entry in old.get("files", []):
        name = str(entry.get("file", ""))
        if name and name not in keep and "/" not in name:
            (out_dir / name).unlink(missing_ok=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--out-dir", type=Path, default=DEFAULT_OUT_DIR, help="default: %(default)s"
    )
    parser.add_argument(
        "--piper-voice",
        type=Path,
        default=DEFAULT_PIPER_VOICE,
        help="Piper joe voice .onnx (config .onnx.json beside it); default: %(default)s",
    )
    parser.add_argument(
        "--whisper-model",
        type=Path,
        default=DEFAULT_WHISPER_MODEL,
        help="faster-whisper tiny.en model directory; default: %(default)s",
    )
    parser.add_argument(
        "--no-transcribe",
        action="store_true",
        help="skip the tiny.en check (whisper_tiny is then null)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 if any transcript lost its key product word",
    )
    parser.add_argument("--espeak", default="espeak-ng", help="espeak-ng binary")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out_dir: Path = args.out_dir
    espeak = shutil.which(args.espeak)
    if espeak is None:
        print(f"error: {args.espeak} not found (apt-get install espeak-ng)", file=sys.stderr)
        return 2
    if not args.piper_voice.is_file():
        print(f"error: Piper voice not found: {args.piper_voice}", file=sys.stderr)
        return 2
    if not args.no_transcribe and not (args.whisper_model / "model.bin").is_file():
        print(
            f"error: faster-whisper model not found: {args.whisper_model} "
            "(pass --whisper-model DIR or --no-transcribe)",
            file=sys.stderr,
        )
        return 2

    out_dir.mkdir(parents=True, exist_ok=True)
    names = {r.file_name for r in PLAN} | set(EDGE_FILES)
    if len(names) != len(PLAN) + len(EDGE_FILES):
        raise SystemExit("duplicate file names in PLAN")
    _remove_stale(out_dir, names)

    piper = PiperSynth(args.piper_voice)
    entries: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for r in PLAN:
            q = r.question
            spoken = q.text + "?"
            if r.engine == "piper":
                speech = piper(spoken, r.speed, r.file_name)
                speed: float | int = r.speed
            else:
                speech = synth_espeak(spoken, r.voice, int(r.speed), espeak, tmp)
                speed = int(r.speed)
            _write_wav(out_dir / r.file_name, _finish(speech, r.file_name))
            entries.append(
                {
                    "file": r.file_name,
                    "text": q.text,
                    "voice": r.voice,
                    "speed": speed,
                    "engine": r.engine,
                    "expect": {"route": q.route, "shelf": q.shelf},
                    "key": q.key,
                    "mishearing_ok": r.mishearing_ok,
                }
            )
    for name, kind in EDGE_FILES.items():
        _write_wav(out_dir / name, make_edge(kind, name))
        entries.append(
            {
                "file": name,
                "text": "",
                "voice": None,
                "speed": None,
                "engine": f"synthetic-{kind}",
                "expect": {"route": None, "shelf": None},
                "key": None,
                "mishearing_ok": False,
            }
        )

    heard: dict[str, str] = {}
    if not args.no_transcribe:
        heard = transcribe_all(args.whisper_model, [out_dir / e["file"] for e in entries])

    lost: list[str] = []
    for e in entries:
        key = e.pop("key")
        mishearing_ok = e.pop("mishearing_ok")
        e["whisper_tiny"] = heard.get(e["file"]) if heard else None
        mark = ""
        if key and heard:
            got = re.sub(r"[^a-z ]+", "", (e["whisper_tiny"] or "").lower())
            if re.search(key, got):
                pass
            elif mishearing_ok:
                mark = "  (kept: natural mishearing)"
            else:
                lost.append(e["file"])
                mark = "  <-- key word lost: re-voice or drop"
        elif not key and heard and e["whisper_tiny"]:
            mark = "  (speech hallucinated in a no-speech file)"
        print(f"{e['file']}: {e['whisper_tiny']!r}{mark}")

    manifest = {
        "sample_rate": SAMPLE_RATE,
        "channels": 1,
        "sample_width_bits": 16,
        "lead_silence_ms": int(LEAD_SILENCE_S * 1000),
        "tail_silence_ms": int(TAIL_SILENCE_S * 1000),
        "generator": "scripts/make_test_speech.py",
        "whisper_check": None if args.no_transcribe else "faster-whisper tiny.en cpu int8 beam=1",
        "files": entries,
    }
    (out_dir / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    total = sum(p.stat().st_size for p in out_dir.iterdir() if p.is_file())
    print(f"{len(entries)} files, {total / 1e6:.2f} MB in {out_dir}")
    if lost:
        print(f"key word lost in {len(lost)} file(s): {', '.join(lost)}", file=sys.stderr)
        return 1 if args.strict else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
