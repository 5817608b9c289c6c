"""The double-talk detector: what the echo canceller let through, against the echo this room has
produced lately. Windows are scripted by their levels; no models, no canceller."""

from __future__ import annotations

import numpy as np
import pytest

from edge.audio_io import AudioBlock
from edge.doubletalk import DoubleTalkDetector, DoubleTalkOptions, Verdict
from edge.linear_echo import LinearEchoCanceller
from edge.listen import AudioFrontEnd, HeardWindow
from edge.room import EchoPath, EchoPathOptions
from edge.timeline import PlaybackTimeline
from tests.fakes import LoudnessVad, PathCanceller

pytestmark = pytest.mark.unit
RATE = 16000
SEC = 1_000_000_000


def window(
    mic_dbfs: float,
    cancelled_dbfs: float,
    reference_dbfs: float,
    linear_dbfs: float | None = None,
) -> HeardWindow:
    """A window heard while the kiosk spoke: the microphone, what the canceller let through,
    the loudest playback that can echo into it, and what the linear canceller left of the
    microphone (all in dBFS)."""
    samples = np.full(512, 10 ** (cancelled_dbfs / 20), np.float32)
    linear = None if linear_dbfs is None else np.full(512, 10 ** (linear_dbfs / 20), np.float32)
    return HeardWindow(samples, 0.0, 0, True, cancelled_dbfs, 0.1, mic_dbfs, reference_dbfs, linear)


def echo_alone(n: int) -> list[HeardWindow]:
    """The kiosk's voice 6-8 dB down at the mic (its coupling), cancelled by about 30 dB."""
    return [window(-20.0 - (i % 3), -50.0, -14.0) for i in range(n)]


def test_a_shopper_louder_than_the_echo_and_passed_by_the_canceller_is_double_talk() -> None:
    detector = DoubleTalkDetector()
    assert all(detector.step(w) is Verdict.UNSURE for w in echo_alone(20))
    # the mic 8 dB above what the echo gives; the canceller took off only 4 dB
    assert detector.step(window(-12.0, -16.0, -14.0)) is Verdict.SHOPPER


def test_nothing_is_double_talk_before_the_rooms_echo_was_learned() -> None:
    detector = DoubleTalkDetector(DoubleTalkOptions(min_history=10))
    for w in echo_alone(9):
        detector.step(w)
    verdict = detector.step(window(-12.0, -16.0, -14.0))
    assert verdict is Verdict.UNSURE  # the canceller may not have converged yet


def test_the_kiosks_own_voice_leaking_through_a_canceller_that_diverged_is_not() -> None:
    detector = DoubleTalkDetector()
    for w in echo_alone(20):
        detector.step(w)
    # loud and barely cancelled, but no louder than the echo of what played: the kiosk itself
    assert detector.step(window(-21.0, -23.0, -14.0)) is Verdict.UNSURE


def test_a_microphone_well_under_the_rooms_echo_holds_only_the_kiosks_voice() -> None:
    detector = DoubleTalkDetector()
    for w in echo_alone(20):
        detector.step(w)
    # 10 dB under the loudest coupling learned (-6 dB): whatever Silero hears is the echo
    assert detector.step(window(-30.0, -33.0, -14.0)) is Verdict.ECHO
    assert detector.step(window(-24.0, -27.0, -14.0)) is Verdict.UNSURE  # within 9 dB of it


def test_a_microphone_well_above_the_rooms_echo_is_double_talk_even_when_suppressed() -> None:
    detector = DoubleTalkDetector()
    for w in echo_alone(20):
        detector.step(w)
    # 8 dB above the loudest coupling learned: AEC3 suppressing the start of double talk
    assert detector.step(window(-12.0, -60.0, -14.0)) is Verdict.SHOPPER
    # 2 dB above it, and taken down by 18 dB: nothing to tell it from the echo
    assert detector.step(window(-18.0, -36.0, -14.0)) is Verdict.UNSURE
    # far above a soft reply, but too quiet to be someone at the kiosk
    assert detector.step(window(-40.0, -41.0, -50.0)) is Verdict.UNSURE


def test_only_windows_the_canceller_took_down_teach_the_coupling() -> None:
    detector = DoubleTalkDetector()
    for w in echo_alone(20):
        detector.step(w)
    for _ in range(50):  # a long run of loud, uncancelled audio: it does not raise the bar
        detector.step(window(-5.0, -8.0, -14.0))
    assert detector.step(window(-5.0, -8.0, -14.0)) is Verdict.SHOPPER
    assert detector.step(window(-12.0, -16.0, -14.0)) is Verdict.SHOPPER


def converged(taken_db: float = 30.0) -> DoubleTalkDetector:
    """A detector that has heard 20 windows of the echo alone, which AEC3 takes down by 30 dB
    and the linear canceller by `taken_db`."""
    detector = DoubleTalkDetector()
    for _ in range(20):
        detector.step(window(-20.0, -50.0, -14.0, -20.0 - taken_db))
    return detector


def test_a_converged_linear_canceller_hears_a_shopper_that_aec3_suppresses() -> None:
    detector = converged()
    assert detector.linear_armed
    # AEC3 suppressed it all, and the mic is no louder than the echo: the coupling rules cannot
    # tell; the linear canceller left -24 dBFS, 4 dB under the mic: someone else is talking
    assert detector.step(window(-20.0, -55.0, -14.0)) is Verdict.UNSURE
    assert detector.step(window(-20.0, -55.0, -14.0, -24.0)) is Verdict.SHOPPER
    # too quiet to be someone at the kiosk
    assert detector.step(window(-41.0, -55.0, -40.0, -42.0)) is Verdict.UNSURE


def test_a_converged_linear_canceller_vetoes_what_it_explains_as_echo() -> None:
    detector = converged()
    # AEC3 let 10 dB through; the linear canceller explains all but 1/30 of it
    assert detector.step(window(-20.0, -30.0, -14.0, -50.0)) is Verdict.ECHO
    assert detector.step(window(-20.0, -30.0, -14.0, -32.0)) is Verdict.UNSURE


def test_a_linear_canceller_that_has_not_converged_is_not_listened_to() -> None:
    detector = converged(taken_db=8.0)
    assert not detector.linear_armed
    assert detector.step(window(-20.0, -55.0, -14.0, -24.0)) is Verdict.UNSURE
    # the coupling rules still apply
    assert detector.step(window(-12.0, -60.0, -14.0, -13.0)) is Verdict.SHOPPER


def test_the_residue_must_stand_out_of_the_stores_noise() -> None:
    detector = converged()
    for _ in range(300):  # the store: -36 dBFS between the kiosk's words
        detector.step(window(-36.0, -37.0, -70.0, -36.0))
    assert detector.step(window(-30.0, -55.0, -14.0, -31.0)) is Verdict.UNSURE
    assert detector.step(window(-20.0, -55.0, -14.0, -24.0)) is Verdict.SHOPPER


def test_the_front_end_reports_the_microphone_and_the_loudest_playback_in_reach() -> None:
    timeline = PlaybackTimeline()
    t = np.arange(int(0.2 * RATE)) / RATE
    timeline.write((np.sin(2 * np.pi * 440 * t) * 0.1).astype(np.float32), SEC)  # -23 dBFS
    front = AudioFrontEnd(LoudnessVad(), None, timeline)
    mic = np.zeros(RATE, np.float32)
    mic[: RATE // 2] = np.sin(2 * np.pi * 300 * np.arange(RATE // 2) / RATE) * 0.3  # -13.5 dBFS
    windows = front.feed(AudioBlock(mic, SEC))
    during = [w for w in windows if w.stamp_ns < SEC + SEC // 5 - 32_000_000]
    assert during and all(abs(w.reference_dbfs + 23.0) < 0.2 for w in during)
    out_of_reach = [w for w in windows if w.stamp_ns >= SEC + SEC // 2]
    assert out_of_reach and all(w.reference_dbfs == -120.0 for w in out_of_reach)
    assert all(abs(w.mic_dbfs + 13.5) < 0.5 for w in windows if w.stamp_ns < SEC + 468_000_000)


def test_the_front_end_reports_what_the_linear_canceller_leaves() -> None:
    path = EchoPath(EchoPathOptions())
    timeline = PlaybackTimeline()
    played = (np.random.default_rng(0).standard_normal(4 * RATE) * 0.1).astype(np.float32)
    timeline.write(played, SEC)
    mic = path.apply(played)
    plain = AudioFrontEnd(LoudnessVad(), PathCanceller(path), timeline)
    assert all(w.linear_dbfs is None for w in plain.feed(AudioBlock(mic, SEC)))
    front = AudioFrontEnd(
        LoudnessVad(), PathCanceller(path), timeline, linear=LinearEchoCanceller()
    )
    windows = [w for i in range(0, len(mic), 320) for w in front.feed(block(mic, i))]
    last = [w for w in windows if w.stamp_ns >= 4 * SEC]
    assert last and all(
        w.linear_dbfs is not None and w.mic_dbfs - w.linear_dbfs >= 20 for w in last
    )


def block(samples: np.ndarray, at: int) -> AudioBlock:
    return AudioBlock(samples[at : at + 320], SEC + at * SEC // RATE)
