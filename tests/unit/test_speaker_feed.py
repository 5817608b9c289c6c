"""Whether a reply's pieces keep a speaker fed, and how much slower the voice could be."""

from __future__ import annotations

import pytest

from kiosk.bench.stats import speaker_feed


def test_pieces_ready_before_they_are_needed_never_run_dry() -> None:
    # 0.1 s to the first piece of 0.5 s; the next ready at 0.35 s, needed at 0.6 s
    dry_ms, headroom = speaker_feed([0.1, 0.35, 0.5], [0.5, 0.5, 0.5])
    assert dry_ms == 0.0
    # piece 2 needs 0.5 s played in 0.25 s of making: 2x; piece 3 needs 1.0 s in 0.4 s: 2.5x
    assert headroom == pytest.approx(2.0)


def test_a_late_piece_leaves_a_gap_and_delays_the_rest() -> None:
    # the second piece is ready 0.2 s after the first ends; the third waits behind it
    dry_ms, headroom = speaker_feed([0.0, 0.3, 0.35], [0.1, 0.1, 0.1])
    assert dry_ms == pytest.approx(200.0)
    assert headroom < 1.0


def test_one_piece_is_never_dry_and_has_no_limit() -> None:
    assert speaker_feed([0.08], [1.2]) == (0.0, float("inf"))


def test_ready_times_and_durations_must_pair() -> None:
    with pytest.raises(ValueError, match="one ready time per piece"):
        speaker_feed([0.1, 0.2], [0.5])
