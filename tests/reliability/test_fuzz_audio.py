"""Fuzzing audio input: WAV files of any bytes, and microphone blocks that are NaN, infinite,
clipped, silent, of the wrong dtype or shape, through the real front end and VAD, and whole
utterances of such audio through the real turn engine. Each gives a clear error or a correct
result: never a crash, and never a VAD poisoned for the rest of the day."""

from __future__ import annotations

import struct
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from edge.audio_io import AudioBlock
from edge.errors import EdgeError
from edge.listen import AudioFrontEnd
from edge.vad import SileroVad
from edge.wav import decode_wav_bytes, encode_wav_bytes, read_wav
from kiosk.agent.turn import TurnEngine
from kiosk.models import ModelCache
from tests.conftest import SPEECH

SPEECH_WAV = SPEECH / "local_aa_batteries__piper_en-US-joe-medium_x100.wav"
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _valid_wav() -> bytes:
    tone = (np.sin(np.arange(1600) * 0.05) * 8000).astype(np.int16)
    return encode_wav_bytes(tone, 16000)


@pytest.mark.unit
@FUZZ
@given(st.binary(max_size=400))
@example(b"RIFF\xff\xff\xff\xffWAVEfmt \x10\x00\x00\x00\x01\x00\xff\xff\x80>\x00\x00")
def test_any_bytes_decode_as_audio_or_say_why_not(data: bytes) -> None:
    _decode_or_refuse(data)


@pytest.mark.unit
@FUZZ
@given(st.integers(0, 60), st.binary(min_size=1, max_size=6), st.integers(0, len(_valid_wav())))
def test_a_wav_with_a_damaged_header_or_cut_short(offset: int, patch: bytes, cut: int) -> None:
    data = bytearray(_valid_wav())
    data[offset : offset + len(patch)] = patch
    _decode_or_refuse(bytes(data[:cut]) if cut else bytes(data))


@pytest.mark.unit
@pytest.mark.parametrize("bits", [32, 64])
def test_float_wavs_with_nan_and_inf_come_out_finite(bits: int) -> None:
    values = np.array([np.nan, np.inf, -np.inf, 0.5, 3.0], dtype="<f4" if bits == 32 else "<f8")
    payload = values.tobytes()
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(payload), b"WAVE", b"fmt ", 16, 3, 1, 16000,
        16000 * bits // 8, bits // 8, bits, b"data", len(payload),
    )  # fmt: skip
    samples, rate = decode_wav_bytes(header + payload)
    assert rate == 16000 and np.isfinite(samples).all() and np.abs(samples).max() <= 1.0


def _decode_or_refuse(data: bytes) -> None:
    try:
        samples, rate = decode_wav_bytes(data, "fuzz.wav")
    except EdgeError as exc:
        assert str(exc).startswith("fuzz.wav: ")
        return
    assert samples.dtype == np.float32 and samples.ndim == 1 and samples.size > 0
    assert np.isfinite(samples).all() and np.abs(samples).max() <= 1.0
    assert 1000 <= rate <= 384000


# ----- the live front end and VAD (real Silero) -----


@pytest.fixture(scope="module")
def vad(model_cache: ModelCache) -> SileroVad:
    return SileroVad(model_cache.require_file("silero-vad"))


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return read_wav(SPEECH_WAV)


def _blocks(samples: np.ndarray, start_ns: int = 0, size: int = 512) -> Iterator[AudioBlock]:
    for i in range(0, len(samples), size):
        yield AudioBlock(samples[i : i + size], start_ns + i * 62_500)


def _heard(front: AudioFrontEnd, blocks: Iterator[AudioBlock]) -> np.ndarray:
    return np.array([w.probability for b in blocks for w in front.feed(b)], dtype=np.float32)


bad_blocks = st.one_of(
    hnp.arrays(
        st.sampled_from([np.float32, np.float64]),
        st.integers(0, 1500),
        elements=st.floats(allow_nan=True, allow_infinity=True, width=32),
    ),
    hnp.arrays(np.int16, st.integers(0, 1500)),
    hnp.arrays(np.float32, st.tuples(st.integers(1, 400), st.integers(1, 2))),
    st.integers(0, 1500).map(lambda n: np.full(n, np.nan, np.float32)),
    st.integers(0, 1500).map(lambda n: np.sign(np.sin(np.arange(n) * 0.3)).astype(np.float32) * 9),
)


@pytest.mark.models
@settings(
    deadline=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(bad_blocks, min_size=1, max_size=6))
def test_garbage_blocks_never_poison_the_vad(
    vad: SileroVad, speech: np.ndarray, garbage: list[np.ndarray]
) -> None:
    vad.reset()
    front = AudioFrontEnd(vad, None, None, None)
    stamp = 0
    for block in garbage:
        for window in front.feed(AudioBlock(block, stamp)):
            assert 0.0 <= window.probability <= 1.0
            assert window.samples.dtype == np.float32 and np.isfinite(window.samples).all()
        stamp += max(block.size, 1) * 62_500
    probabilities = _heard(front, _blocks(speech, stamp))
    assert probabilities.max() > 0.9, "clean speech after the garbage is still heard"


@pytest.mark.models
def test_int16_blocks_are_heard_like_the_float_blocks_they_hold(
    vad: SileroVad, speech: np.ndarray
) -> None:
    """A mic that hands over int16 by mistake: the same speech, not a full-scale square."""
    vad.reset()
    as_float = _heard(AudioFrontEnd(vad, None, None, None), _blocks(speech))
    vad.reset()
    as_int16 = (np.clip(speech, -1, 1) * 32767).astype(np.int16)
    as_ints = _heard(AudioFrontEnd(vad, None, None, None), _blocks(as_int16))
    assert np.abs(as_float - as_ints).max() < 0.05
    silence = np.zeros(16000, np.int16)
    vad.reset()
    assert _heard(AudioFrontEnd(vad, None, None, None), _blocks(silence)).max() < 0.5


# ----- whole utterances through the real turn engine -----


@pytest.fixture(scope="module")
def engine(model_cache: ModelCache) -> TurnEngine:
    from edge.stt import WhisperStt
    from edge.tts import PiperTts
    from kiosk.store.catalog import Catalog
    from kiosk.store.pack import demo_store_path, load_store

    return TurnEngine(
        catalog=Catalog(load_store(demo_store_path())),
        vad=SileroVad(model_cache.require_file("silero-vad")),
        stt=WhisperStt(model_cache.require("whisper-tiny-en")),
        tts=PiperTts(model_cache.require_file("piper-joe-medium")),
    )


def _utterances() -> dict[str, np.ndarray]:
    speech = read_wav(SPEECH_WAV)
    nan_speech = speech.copy()
    nan_speech[::7] = np.nan
    return {
        "nan": np.full(16000, np.nan, np.float32),
        "inf": np.full(16000, np.inf, np.float32),
        "speech with NaN holes": nan_speech,
        "clipped far past full scale": np.clip(speech * 50, -1, 1) * 40,
        "int16": (speech * 32767).astype(np.int16),
        "float64": speech.astype(np.float64),
        "stereo": np.stack([speech, speech], axis=1),
        "empty": np.zeros(0, np.float32),
        "one sample": np.ones(1, np.float32),
    }


@pytest.mark.models
@pytest.mark.parametrize("name", list(_utterances()))
def test_odd_utterances_get_an_answer_or_a_clear_error(engine: TurnEngine, name: str) -> None:
    audio = _utterances()[name]
    try:
        result = engine.run(audio)
    except EdgeError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert result.reply_text, "every turn says something, at worst the honest fallback"
    assert result.reply_audio.size > 0 and result.reply_rate > 0
    assert all(np.isfinite(v) for v in result.timings_ms.values())
