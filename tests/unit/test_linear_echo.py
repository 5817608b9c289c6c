"""The linear echo canceller the double-talk detector reads: it converges on a room's echo
path, and a shopper talking over the kiosk passes through it at full level without spoiling
what it learned. White noise plays the kiosk's voice and the shopper's: it converges fastest,
and the figures are the canceller's, not a voice's."""

from __future__ import annotations

import numpy as np
import pytest

from edge.linear_echo import LinearEchoCanceller, LinearEchoOptions
from edge.room import EchoPath, EchoPathOptions

pytestmark = pytest.mark.unit
RATE = 16000


def late(x: np.ndarray, samples: int) -> np.ndarray:
    return np.concatenate([np.zeros(samples, np.float32), x])[: len(x)]


def db(x: np.ndarray) -> float:
    return 10 * float(np.log10(float(np.mean(np.square(x, dtype=np.float64))) + 1e-12))


def noise(seconds: float, dbfs: float, seed: int) -> np.ndarray:
    n = int(seconds * RATE)
    return (np.random.default_rng(seed).standard_normal(n) * 10 ** (dbfs / 20)).astype(np.float32)


def test_it_learns_a_reverberant_rooms_echo_path() -> None:
    path = EchoPath(EchoPathOptions(delay_ms=120, gain_db=0.0, rt60_s=0.5))
    played = noise(4.0, -20, seed=1)
    echo = path.apply(played)
    residue = LinearEchoCanceller().process(echo + noise(4.0, -70, seed=2), played)
    last = slice(3 * RATE, 4 * RATE)
    assert db(echo[last]) - db(residue[last]) >= 25


def test_a_shopper_passes_at_full_level_and_the_echo_path_survives_double_talk() -> None:
    path = EchoPath(EchoPathOptions())
    canceller = LinearEchoCanceller()
    played = noise(6.0, -20, seed=3)
    echo = path.apply(played)
    shopper = np.zeros_like(played)
    shopper[4 * RATE : 5 * RATE] = noise(1.0, -26, seed=4)  # 1 s, as loud as the echo
    residue = canceller.process(echo + shopper, played)
    during, after = slice(4 * RATE, 5 * RATE), slice(5 * RATE, 6 * RATE)
    heard = late(shopper, canceller.options.lead)  # the residue is `lead` samples late
    assert abs(db(residue[during]) - db(heard[during])) < 1.0
    assert db(residue[during] - heard[during]) < db(echo[during]) - 15
    # the filter it answers with was not pulled off course by the shopper's voice
    assert db(echo[after]) - db(residue[after]) >= 25


def test_an_echo_stamped_a_few_samples_after_it_played_is_cancelled_all_the_same() -> None:
    """Two sound cards' clocks agree to a fraction of a millisecond, not to a sample: through
    PulseAudio the echo came up to 13 samples before the reference said it had played."""
    played = noise(4.0, -20, seed=5)
    early = 13
    echo = EchoPath(EchoPathOptions(delay_ms=0, gain_db=-6.0, rt60_s=0.1)).apply(
        np.concatenate([played[early:], np.zeros(early, np.float32)])
    )
    mic = echo + noise(4.0, -70, seed=6)
    last = slice(3 * RATE, 4 * RATE)
    held = LinearEchoCanceller().process(mic, played)
    assert db(echo[last]) - db(held[last]) >= 25
    causal_only = LinearEchoCanceller(LinearEchoOptions(lead=0)).process(mic, played)
    assert db(echo[last]) - db(causal_only[last]) < 10


def test_a_speaker_turned_down_never_has_its_echo_made_louder() -> None:
    """Weights learned for a loud speaker, subtracted from the echo of a quiet one, would put
    the kiosk's voice into the residue 17 dB louder than the room has it, for half a second,
    and louder than the room for two (where the detector listens, and what STT then hears)."""
    path = EchoPath(EchoPathOptions(delay_ms=120, gain_db=0.0, rt60_s=0.3))
    played = noise(10.0, -20, seed=7)
    mic = path.apply(played)
    mic[5 * RATE :] *= 10 ** (-20 / 20)  # turned down 20 dB after 5 s
    mic += noise(10.0, -70, seed=8)
    canceller = LinearEchoCanceller()
    residue = canceller.process(mic, played)
    heard = late(mic, canceller.options.lead)

    def taken_db(start_s: float, seconds: float) -> float:
        span = slice(int(start_s * RATE), int((start_s + seconds) * RATE))
        return db(heard[span]) - db(residue[span])

    assert taken_db(4.0, 1.0) >= 25  # learned the loud speaker
    noticed_s = 5.34  # louder for 30 blocks in a row (300 ms) after 30 ms of smoothing
    worst = min(taken_db(t / 50, 0.02) for t in range(round(noticed_s * 50), 10 * 50))
    assert worst >= -0.5  # from then on never louder than the microphone (20 ms at a time)
    assert taken_db(9.0, 1.0) >= 20  # and it learned the quiet speaker's path


@pytest.mark.parametrize("room", ["room", "loud_reverberant"])
def test_a_converged_filter_is_kept_through_the_kiosks_own_speech(room: str) -> None:
    """In the tail of a loud word, and at the start of a reply before its echo has come back,
    a converged filter leaves more than the microphone for a few blocks: that is not a changed
    path, and forgetting the filter there cost 29-36 dB (`kiosk bench audio`)."""
    from kiosk.bench.double_talk import converged, kiosk_voice
    from kiosk.bench.turn_eval import DATA

    path = EchoPath(
        EchoPathOptions()
        if room == "room"
        else EchoPathOptions(delay_ms=120, gain_db=0.0, rt60_s=0.5)
    )
    played = np.concatenate(kiosk_voice(DATA / "speech")[:2]) * 0.8
    played = played[: len(played) - len(played) % 160]
    mic = path.apply(played) + noise(len(played) / RATE, -70, seed=9)
    residue = converged(path, DATA / "speech").process(mic, played)
    assert db(mic) - db(residue) >= 30


def test_it_refuses_blocks_it_cannot_split() -> None:
    canceller = LinearEchoCanceller()
    with pytest.raises(ValueError, match="160"):
        canceller.process(np.zeros(200, np.float32), np.zeros(200, np.float32))
    with pytest.raises(ValueError, match="equal"):
        canceller.process(np.zeros(320, np.float32), np.zeros(160, np.float32))
