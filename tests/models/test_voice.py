"""The kiosk's voice, streamed in pieces, on the real Piper model."""

from __future__ import annotations

import numpy as np
import pytest
import soxr

from edge.stt import WhisperStt
from edge.tts import PiperTts, split_for_speech
from edge.vits import SplitVits
from kiosk.models import ModelCache

pytestmark = pytest.mark.models
REPLY = "The Duracell AA batteries are in aisle 5, on the left side. They're 9.99 a pack."


@pytest.fixture(scope="module")
def tts(model_cache: ModelCache) -> PiperTts:
    return PiperTts(model_cache.require_file("piper-joe-medium"))


def test_a_reply_streams_in_short_pieces_that_make_the_whole(tts: PiperTts) -> None:
    assert tts.streams_pieces
    chunks = list(tts.stream(REPLY))
    assert chunks[0].text == split_for_speech(REPLY)[0]
    assert len(chunks) > len(split_for_speech(REPLY))  # clauses come in pieces
    first_s = chunks[0].samples.size / tts.sample_rate
    assert 0.05 < first_s < 0.35
    audio = np.concatenate([c.samples for c in chunks])
    assert 16000 < np.abs(audio).max() < 32767  # loud, and never clipped


def test_pieces_match_the_whole_decode_and_meet_where_it_is_quiet(
    tts: PiperTts, model_cache: ModelCache
) -> None:
    from piper import PiperVoice

    path = model_cache.require_file("piper-joe-medium")
    split, voice = SplitVits(path), PiperVoice.load(path)
    ids = voice.phonemes_to_ids(voice.phonemize("Whole milk is in the dairy cooler.")[0])
    latents = split.latents(ids, (0.0, 1.0, 0.0))  # no noise: the same frames every run
    whole = split.decode(latents)
    pieces = list(split.pieces(latents, onset_floor=0.002))
    joined = np.concatenate(pieces)
    error = joined - whole
    assert 10 * np.log10(np.sum(whole**2) / np.sum(error**2)) > 50
    # the speaker resamples each piece on its own: where two meet, that must not click
    worst = _worst_seam(pieces, tts.sample_rate)
    assert worst < 0.03
    step = 32 * whole.size // latents.shape[2]  # cuts every 32 frames, wherever they fall
    assert _worst_seam([whole[i : i + step] for i in range(0, whole.size, step)], 22050) > 2 * worst


def _worst_seam(pieces: list[np.ndarray], rate: int) -> float:
    """The largest difference, within 5 ms of where two pieces meet, between the pieces
    resampled to 48 kHz one by one and the whole resampled at once, over the whole's peak."""
    whole = soxr.resample(np.concatenate(pieces), rate, 48000)
    worst, start = 0.0, 0
    for piece in pieces:
        out = soxr.resample(piece, rate, 48000)
        at = round(start * 48000 / rate)
        ends = np.r_[0:240, max(0, out.size - 240) : out.size]
        ends = ends[at + ends < whole.size]
        worst = max(worst, float(np.abs(out[ends] - whole[at + ends]).max()))
        start += piece.size
    return worst / float(np.abs(whole).max())


def test_the_streamed_voice_is_heard_as_what_it_says(
    tts: PiperTts, model_cache: ModelCache
) -> None:
    stt = WhisperStt(model_cache.require("whisper-tiny-en"))
    audio = tts.synthesize("Where are the AA batteries?").astype(np.float32) / 32768
    heard = stt.transcribe(soxr.resample(audio, tts.sample_rate, 16000))
    assert "batteries" in heard.text.lower() and heard.confidence > 0.5
