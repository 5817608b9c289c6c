from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from edge.errors import AudioInputError
from edge.wav import decode_wav_bytes, encode_wav_bytes, read_wav

pytestmark = pytest.mark.unit


def _wav(payload: bytes, encoding: int, channels: int, rate: int, bits: int) -> bytes:
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", encoding, channels, rate, rate * block, block, bits)
    body = (
        b"WAVE"
        + b"fmt "
        + struct.pack("<I", 16)
        + fmt
        + b"data"
        + struct.pack("<I", len(payload))
        + payload
    )
    return b"RIFF" + struct.pack("<I", len(body)) + body


def test_stereo_44k_is_mixed_and_resampled(tmp_path: Path) -> None:
    t = np.arange(44100) / 44100
    tone = (0.5 * np.sin(2 * np.pi * 440 * t) * 32767).astype("<i2")
    stereo = np.stack([tone, tone], axis=1).tobytes()
    path = tmp_path / "tone.wav"
    path.write_bytes(_wav(stereo, 1, 2, 44100, 16))
    audio = read_wav(path, 16000)
    assert audio.dtype == np.float32
    assert abs(len(audio) - 16000) <= 2
    assert 0.45 < np.abs(audio[1000:-1000]).max() < 0.55


def test_24_bit_and_float_and_8_bit() -> None:
    ints = np.array([0, 2**22, -(2**22)], dtype=np.int32)
    raw24 = b"".join(int(v & 0xFFFFFF).to_bytes(3, "little") for v in ints)
    samples, rate = decode_wav_bytes(_wav(raw24, 1, 1, 8000, 24))
    assert rate == 8000 and np.allclose(samples, [0, 0.5, -0.5])
    floats = np.array([0.25, np.nan, 2.0], dtype="<f4").tobytes()
    samples, _ = decode_wav_bytes(_wav(floats, 3, 1, 16000, 32))
    assert np.allclose(samples, [0.25, 0.0, 1.0])
    samples, _ = decode_wav_bytes(_wav(bytes([128, 192, 64]), 1, 1, 16000, 8))
    assert np.allclose(samples, [0, 0.5, -0.5])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"ID3\x03\x00not a wav at all", "not a RIFF/WAVE file"),
        (_wav(b"", 1, 1, 16000, 16), "no audio samples"),
        (_wav(b"\x00\x00", 7, 1, 16000, 16), "fmt.encoding 7"),
        (_wav(b"\x00\x00", 1, 1, 16000, 16)[:36], "no 'data' chunk"),
    ],
)
def test_bad_files_name_the_problem(data: bytes, message: str) -> None:
    with pytest.raises(AudioInputError, match=message):
        decode_wav_bytes(data, name="q.wav")


def test_unreadable_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(AudioInputError, match=r"nope\.wav: cannot read"):
        read_wav(tmp_path / "nope.wav")


def test_round_trip() -> None:
    pcm = np.array([0, 1000, -1000], dtype=np.int16)
    samples, rate = decode_wav_bytes(encode_wav_bytes(pcm, 22050))
    assert rate == 22050 and np.allclose(samples * 32768, pcm)


def test_the_silence_before_the_first_word_is_cut_and_soft_onsets_kept() -> None:
    from edge.tts import speech_onset

    rate = 22050
    quiet = np.zeros(rate // 10, np.int16)  # 100 ms of silence
    soft = np.full(rate // 100, 200, np.int16)  # an 'f': -44 dBFS, 10 ms
    word = np.full(rate // 10, 8000, np.int16)
    onset = speech_onset(np.concatenate([quiet, soft, word]), rate)
    assert onset == len(quiet) - int(0.01 * rate)  # 10 ms margin kept before the 'f'
    assert speech_onset(quiet, rate) is None  # all silence: no onset yet
