from __future__ import annotations

import re

import pytest

from kiosk.events import ReplyProgress, ReplyStarted, StatusChanged, UserSaid
from tests.ui.conftest import ManualClock
from ui.captions import CHARS_PER_SECOND, CaptionTrack
from ui.window import KioskWindow

pytestmark = pytest.mark.ui

REPLY = "The Duracell AA batteries are in aisle 5, left side. They're 9.99."


def _spoken_part(html_text: str) -> str:
    """The words the caption shows as already spoken (the first, dark span)."""
    match = re.match(r'<span style="color:#111418">(.*?)</span>', html_text)
    assert match, html_text
    return match.group(1).replace(" …", "")


def test_a_track_spreads_words_over_the_audio_in_order() -> None:
    track = CaptionTrack.of(REPLY, total_s=4.0)
    assert track.words[0] == "The" and track.words[-1] == "9.99."
    assert list(track.starts_s) == sorted(track.starts_s)
    assert track.spoken(0.0) == 1
    assert track.spoken(4.0) == len(track.words)
    assert 0 < track.spoken(2.0) < len(track.words)
    # the pause after "side." pushes "They're" later than its letters alone would
    they = track.words.index("They're")
    assert track.starts_s[they] - track.starts_s[they - 1] > 0.35


def test_an_unknown_audio_length_is_estimated_from_the_text() -> None:
    track = CaptionTrack.of("Hello there.")
    assert track.total_s == pytest.approx(sum(len(w) + 1 for w in track.words) / 14 + 5 / 14)
    assert CHARS_PER_SECOND == 14.0
    assert CaptionTrack.of("").spoken(1.0) == 0


def test_captions_follow_playback_word_by_word(window: KioskWindow) -> None:
    captions = window.captions
    window.on_event(UserSaid("Where can I find the AA batteries?"))
    window.on_event(ReplyStarted(REPLY, "local", "locate", "A5-L", audio_s=4.0))
    window.on_event(StatusChanged("speaking"))
    assert captions.words_shown == 1  # the first word, as playback starts

    window.on_event(ReplyProgress(played_s=1.5, total_s=4.0))
    track = captions.track
    assert track is not None
    expected = track.spoken(1.5)
    assert 1 < expected < len(track.words)
    assert captions.words_shown == expected
    assert _spoken_part(captions.reply.text()) == " ".join(track.words[:expected])

    window.on_event(ReplyProgress(played_s=3.0, total_s=4.0))
    assert captions.words_shown == track.spoken(3.0) > expected

    window.on_event(ReplyProgress(played_s=4.0, total_s=4.0, done=True))
    assert captions.words_shown == len(track.words)
    assert _spoken_part(captions.reply.text()) == REPLY


def test_captions_keep_time_between_progress_events(
    window: KioskWindow, clock: ManualClock
) -> None:
    captions = window.captions
    window.on_event(ReplyStarted(REPLY, "local", "locate", "A5-L", audio_s=4.0))
    window.on_event(ReplyProgress(played_s=1.0, total_s=4.0))
    at_one = captions.words_shown
    clock.advance(1.0)  # no event for a second: the local clock carries on
    captions.tick()
    assert captions.track is not None
    assert captions.words_shown == captions.track.spoken(2.0) > at_one


def test_captions_without_progress_events_run_on_their_own_clock(
    window: KioskWindow, clock: ManualClock
) -> None:
    captions = window.captions
    window.on_event(ReplyStarted(REPLY, "local", "locate", "A5-L"))  # audio length unknown
    track = captions.track
    assert track is not None
    clock.advance(track.total_s / 2)
    captions.tick()
    assert 1 < captions.words_shown < len(track.words)
    window.on_event(StatusChanged("listening"))  # the reply ended: show all of it
    assert captions.words_shown == len(track.words)


def test_a_reply_cut_off_by_the_shopper_stops_where_it_was(window: KioskWindow) -> None:
    captions = window.captions
    window.on_event(ReplyStarted(REPLY, "local", "locate", "A5-L", audio_s=4.0))
    window.on_event(ReplyProgress(played_s=1.2, total_s=4.0, done=True, interrupted=True))
    assert captions.track is not None
    assert captions.words_shown == captions.track.spoken(1.2)
    assert captions.reply.text().endswith("…</span>")
    window.on_event(StatusChanged("listening"))
    assert captions.words_shown == captions.track.spoken(1.2)  # not filled in afterwards


def test_every_reply_is_captioned_and_escaped(window: KioskWindow) -> None:
    window.on_event(UserSaid("<b>tags</b> & more", source="touch"))
    assert window.captions.asked_title.text() == "YOU TYPED"
    window.on_event(ReplyStarted("Use <b> & </b> please.", "fallback", "none", None))
    window.on_event(StatusChanged("listening"))
    assert "&lt;b&gt; &amp; &lt;/b&gt;" in window.captions.reply.text()


def test_a_long_reply_gets_smaller_type_to_fit(window: KioskWindow) -> None:
    window.on_event(ReplyStarted("Short.", "local", "x", None))
    big = window.captions.reply.font().pixelSize()
    long_reply = " ".join(["This is a long cloud answer with many careful words."] * 12)
    window.on_event(ReplyStarted(long_reply, "cloud", "x", None))
    assert window.captions.reply.font().pixelSize() < big
