"""Decode WAV files into float32 mono at a target rate.

Reads RIFF/WAVE with PCM (8, 16, 24, 32-bit) or IEEE float (32, 64-bit) samples, any channel
count and any rate; channels are averaged and the rate is converted with soxr.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soxr

from edge.errors import AudioInputError

_PCM = 1
_FLOAT = 3
_EXTENSIBLE = 0xFFFE


@dataclass(frozen=True)
class WavFormat:
    encoding: int
    channels: int
    sample_rate: int
    bits: int


def read_wav(path: Path, target_rate: int = 16000) -> np.ndarray:
    """Return the file's audio as float32 mono in [-1, 1] at `target_rate`."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise AudioInputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    samples, rate = decode_wav_bytes(data, name=str(path))
    return resample(samples, rate, target_rate)


def decode_wav_bytes(data: bytes, name: str = "<bytes>") -> tuple[np.ndarray, int]:
    """Decode a whole WAV file held in memory into float32 mono and its sample rate."""
    if len(data) == 0:
        raise AudioInputError(f"{name}: empty file")
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioInputError(f"{name}: not a RIFF/WAVE file")
    fmt: WavFormat | None = None
    payload: bytes | None = None
    offset = 12
    while offset + 8 <= len(data):
        chunk_id = data[offset : offset + 4]
        (size,) = struct.unpack("<I", data[offset + 4 : offset + 8])
        body = data[offset + 8 : offset + 8 + size]
        if chunk_id == b"fmt ":
            fmt = _parse_fmt(body, name)
        elif chunk_id == b"data":
            payload = body
        offset += 8 + size + (size & 1)
    if fmt is None:
        raise AudioInputError(f"{name}: no 'fmt ' chunk")
    if payload is None:
        raise AudioInputError(f"{name}: no 'data' chunk")
    samples = _to_float(payload, fmt, name)
    if samples.size == 0:
        raise AudioInputError(f"{name}: no audio samples (data chunk is empty)")
    return samples, fmt.sample_rate


def resample(samples: np.ndarray, rate: int, target_rate: int) -> np.ndarray:
    """Convert float32 mono `samples` from `rate` to `target_rate`."""
    mono = np.asarray(samples, dtype=np.float32)
    if rate == target_rate:
        return mono
    return np.asarray(soxr.resample(mono, rate, target_rate, quality="HQ"), dtype=np.float32)


def to_int16(samples: np.ndarray) -> np.ndarray:
    """Float32 in [-1, 1] to int16, clipping what lies outside."""
    return np.asarray(np.clip(samples, -1.0, 1.0) * 32767.0, dtype=np.int16)


def encode_wav_bytes(samples_int16: np.ndarray, sample_rate: int) -> bytes:
    """A mono 16-bit PCM WAV file holding `samples_int16`."""
    pcm = np.asarray(samples_int16, dtype="<i2").tobytes()
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + len(pcm),
        b"WAVE",
        b"fmt ",
        16,
        _PCM,
        1,
        sample_rate,
        sample_rate * 2,
        2,
        16,
        b"data",
        len(pcm),
    )
    return header + pcm


def write_wav(path: Path, samples_int16: np.ndarray, sample_rate: int) -> None:
    Path(path).write_bytes(encode_wav_bytes(samples_int16, sample_rate))


def _parse_fmt(body: bytes, name: str) -> WavFormat:
    if len(body) < 16:
        raise AudioInputError(f"{name}: 'fmt ' chunk is truncated")
    encoding, channels, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
    if encoding == _EXTENSIBLE and len(body) >= 26:
        (encoding,) = struct.unpack("<H", body[24:26])
    if channels < 1:
        raise AudioInputError(f"{name}: fmt.channels is {channels}")
    if not 1000 <= rate <= 384000:
        raise AudioInputError(f"{name}: fmt.sample_rate {rate} is out of range")
    supported = (encoding == _PCM and bits in (8, 16, 24, 32)) or (
        encoding == _FLOAT and bits in (32, 64)
    )
    if not supported:
        raise AudioInputError(
            f"{name}: fmt.encoding {encoding} with {bits} bits per sample is not supported"
        )
    return WavFormat(encoding, channels, rate, bits)


def _to_float(payload: bytes, fmt: WavFormat, name: str) -> np.ndarray:
    width = fmt.bits // 8
    frame = width * fmt.channels
    usable = len(payload) - len(payload) % frame
    raw = payload[:usable]
    if fmt.encoding == _FLOAT:
        values = np.frombuffer(raw, dtype="<f4" if width == 4 else "<f8").astype(np.float32)
        values = np.nan_to_num(values, nan=0.0, posinf=1.0, neginf=-1.0)
    elif width == 1:
        values = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 2:
        values = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    elif width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        ints = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        values = ints.astype(np.float32) / float(1 << 23)
    else:
        values = np.frombuffer(raw, dtype="<i4").astype(np.float32) / float(1 << 31)
    mono: np.ndarray = values.reshape(-1, fmt.channels).mean(axis=1, dtype=np.float32)
    clipped: np.ndarray = np.clip(mono, -1.0, 1.0).astype(np.float32)
    return clipped
