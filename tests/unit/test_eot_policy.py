"""The end-of-turn policies as pure state machines, with scripted model answers."""

from __future__ import annotations

import numpy as np
import pytest

from edge.endpoint import (
    Action,
    Endpointer,
    Heard,
    Probe,
    SpeechBegan,
    Utterance,
    UtteranceSegmenter,
)
from edge.eot import (
    EndOfTurnOptions,
    PipecatEndpoint,
    SmartEndpoint,
    TextCue,
    lexical_cue,
    transcript_continues,
)
from edge.vad import WINDOW, VadOptions

pytestmark = pytest.mark.unit
WINDOW_NS = WINDOW * 1_000_000_000 // 16000
WINDOW_MS = 32


class Script:
    """Feeds a policy windows of speech (1.0) and silence (0.0); answers probes at once with
    `turn` (Smart Turn) and `text` (the transcript), or leaves them unanswered."""

    def __init__(self, policy: Endpointer, turn: float | None, text: str | Heard | None) -> None:
        self.policy = policy
        self.turn, self.text = turn, text
        self.i = 0
        self.probes: list[Probe] = []
        self.began: list[int] = []

    def feed(self, seconds: float, speech: bool) -> list[Utterance]:
        found = []
        for _ in range(round(seconds * 1000 / WINDOW_MS)):
            window = np.full(WINDOW, 0.1 if speech else 0.0, np.float32)
            actions = self.policy.step(window, 1.0 if speech else 0.0, self.i * WINDOW_NS)
            self.i += 1
            found += self._handle(actions)
        return found

    def _handle(self, actions: list[Action]) -> list[Utterance]:
        found = []
        for action in actions:
            if isinstance(action, Probe):
                self.probes.append(action)
                answer = self.turn if action.kind == "turn" else self.text
                if answer is not None:
                    found += self._handle(self.policy.resolve(action.id, answer))
            elif isinstance(action, SpeechBegan):
                self.began.append(action.stamp_ns)
            else:
                found.append(action)
        return found

    def now_ms(self) -> float:
        return self.i * WINDOW_MS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Where are the?", True),
        ("Where can I find the...", True),
        ("Do you have any", True),
        ("I need some, um", True),
        ("Where are the AA batteries?", False),
        ("How much is this?", False),
        ("", None),
        ("  ...", True),
    ],
)
def test_a_transcript_that_stops_mid_sentence_continues(text: str, expected: bool | None) -> None:
    assert transcript_continues(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Where are the", TextCue.DANGLING),
        ("I need some, um", TextCue.DANGLING),
        ("Actually.", TextCue.DANGLING),  # a shopper starting over, not a question
        ("Do you know where the milk is?", TextCue.WHOLE),  # a question may end on "is"
        ("Can you text the coupon to 5551234567?", TextCue.WHOLE),
        ("What is this one good for?", TextCue.WHOLE),
        ("What aisle is it in?", TextCue.WHOLE),
        ("What wine goes well with?", TextCue.DANGLING),
        ("Where is the sunscreen for", TextCue.DANGLING),
        ("Can you recommend something for?", TextCue.DANGLING),
        ("Where can I find the A-bag, or is...", TextCue.WANTING),  # trails off: may be done
        ("", None),
    ],
)
def test_words_alone_tell_a_dangling_sentence_from_a_trailing_voice(
    text: str, expected: TextCue | None
) -> None:
    assert lexical_cue(text) is expected


def test_a_question_that_names_nothing_yet_waits_longer() -> None:
    options = EndOfTurnOptions(wanting_ms=1500)
    run = Script(SmartEndpoint(options, lambda _: TextCue.WANTING), turn=0.95, text="Do you sell?")
    run.feed(0.5, speech=True)
    found = run.feed(2.0, speech=False)  # Smart Turn's "finished" does not end it early
    assert len(found) == 1 and found[0].reason == "fallback"
    assert 1450 <= (found[0].decided_ns - found[0].end_ns) / 1e6 <= 1600


def test_a_question_that_names_a_product_ends_on_a_less_certain_melody() -> None:
    options = EndOfTurnOptions(complete=0.5, named_complete=0.3)
    named = Script(SmartEndpoint(options, lambda _: TextCue.NAMED), turn=0.35, text="milk?")
    named.feed(0.5, speech=True)
    found = named.feed(0.5, speech=False)
    assert len(found) == 1 and found[0].reason == "smart-turn"
    whole = Script(SmartEndpoint(options, lambda _: TextCue.WHOLE), turn=0.35, text="why?")
    whole.feed(0.5, speech=True)
    assert whole.feed(0.5, speech=False) == []  # words alone: the melody must be surer


def test_words_the_recogniser_was_unsure_of_wait_even_when_smart_turn_is_sure() -> None:
    """Whisper hears "do you sell, um" as "D-cell" with about 0.5: not a name to end on. Smart
    Turn heard that fragment as finished (0.89 on one host, 0.98 on another)."""
    options = EndOfTurnOptions(unsure_ms=1500, min_confidence=0.5)
    named = lambda _: TextCue.NAMED  # noqa: E731
    for melody in (0.85, 0.98):
        unsure = Script(SmartEndpoint(options, named), turn=melody, text=Heard("D-cell", 0.49))
        unsure.feed(0.5, speech=True)
        found = unsure.feed(2.0, speech=False)
        assert len(found) == 1 and found[0].reason == "transcript"
        assert 1450 <= (found[0].decided_ns - found[0].end_ns) / 1e6 <= 1600
    heard_well = Script(SmartEndpoint(options, named), turn=0.85, text=Heard("D-cells?", 0.8))
    heard_well.feed(0.5, speech=True)
    assert len(heard_well.feed(0.5, speech=False)) == 1


def test_only_a_short_transcript_can_be_unsure_unless_it_is_mostly_a_guess() -> None:
    """A whole question in a robotic voice is heard with low confidence too: only one or two
    words heard poorly (a pause fragment) wait for more, or words heard very poorly."""
    named = lambda _: TextCue.NAMED  # noqa: E731
    question = Heard("where can I find the coffee filters", 0.45)
    long_one = Script(SmartEndpoint(EndOfTurnOptions(), named), turn=0.85, text=question)
    long_one.feed(0.5, speech=True)
    assert len(long_one.feed(0.5, speech=False)) == 1
    fragment = Script(
        SmartEndpoint(EndOfTurnOptions(), named), turn=0.85, text=Heard("D-cell", 0.49)
    )
    fragment.feed(0.5, speech=True)
    assert fragment.feed(0.5, speech=False) == []
    any_length = EndOfTurnOptions(unsure_max_words=0)
    waits = Script(SmartEndpoint(any_length, named), turn=0.85, text=question)
    waits.feed(0.5, speech=True)
    assert waits.feed(0.5, speech=False) == []
    guessed = Heard("is there ready", 0.26)  # "is there any, um, sunscreen for kids"
    mostly_a_guess = Script(SmartEndpoint(EndOfTurnOptions(), named), turn=0.85, text=guessed)
    mostly_a_guess.feed(0.5, speech=True)
    assert mostly_a_guess.feed(0.5, speech=False) == []
    off = EndOfTurnOptions(min_confidence=0.0)
    ends = Script(SmartEndpoint(off, named), turn=0.85, text=guessed)
    ends.feed(0.5, speech=True)
    assert len(ends.feed(0.5, speech=False)) == 1


def test_both_cues_finished_end_the_turn_at_once() -> None:
    run = Script(SmartEndpoint(), turn=0.9, text="Where are the batteries?")
    run.feed(0.5, speech=False)
    assert run.feed(1.0, speech=True) == []
    found = run.feed(1.0, speech=False)
    assert len(found) == 1 and found[0].reason == "smart-turn"
    # decided one window after the first look: 64 ms into the silence
    silence_ms = (found[0].decided_ns - found[0].end_ns) / 1e6
    assert silence_ms <= 100
    assert {p.kind for p in run.probes} == {"turn", "text"}
    assert len(run.began) == 1


def test_smart_turn_is_asked_only_when_the_transcript_leaves_it_a_say() -> None:
    """The transcript comes first; Smart Turn is asked after it only for a whole-looking
    question heard well, so that it does not take the cores from Whisper for nothing."""
    whole = Script(SmartEndpoint(), turn=0.9, text="Where is the duct tape?")
    whole.feed(0.5, speech=True)
    assert len(whole.feed(0.5, speech=False)) == 1
    assert [p.kind for p in whole.probes] == ["text", "turn"]
    for text in ("Where are the", Heard("D-cell", 0.3), ""):
        other = Script(SmartEndpoint(), turn=0.9, text=text)
        other.feed(0.5, speech=True)
        other.feed(0.5, speech=False)
        assert [p.kind for p in other.probes] == ["text"], text


def test_a_transcript_in_after_its_deadline_ends_the_turn_without_smart_turn() -> None:
    options = EndOfTurnOptions(named_disagree_ms=300)
    policy = SmartEndpoint(options, lambda _: TextCue.NAMED)
    run = Script(policy, turn=0.9, text=None)  # the transcript is slow to come
    run.feed(0.5, speech=True)
    assert run.feed(0.4, speech=False) == []
    (text_probe,) = run.probes
    found = policy.resolve(text_probe.id, "Where is the milk?")
    assert len(found) == 1 and isinstance(found[0], Utterance)
    assert found[0].reason == "transcript"


def test_a_dangling_transcript_holds_the_turn_through_a_long_pause() -> None:
    run = Script(SmartEndpoint(EndOfTurnOptions(hold_ms=2500)), turn=0.9, text="Where are the")
    run.feed(0.3, speech=True)
    assert run.feed(1.8, speech=False) == []  # "where are the ..." : a pause, not the end
    run.text = "Where are the batteries?"
    run.feed(0.4, speech=True)  # "... batteries?"
    found = run.feed(0.5, speech=False)
    assert len(found) == 1
    assert len(found[0].audio) / 16000 > 2.4  # one utterance: both pieces and the pause


def test_the_hold_ends_a_turn_that_really_stopped_mid_sentence() -> None:
    run = Script(SmartEndpoint(EndOfTurnOptions(hold_ms=1600)), turn=0.1, text="Do you have any")
    run.feed(0.5, speech=True)
    found = run.feed(2.0, speech=False)
    assert len(found) == 1 and found[0].reason == "fallback"
    assert 1500 <= (found[0].decided_ns - found[0].end_ns) / 1e6 <= 1700


def test_a_finished_sentence_with_an_unfinished_melody_ends_after_disagree_ms() -> None:
    options = EndOfTurnOptions(disagree_ms=600)
    run = Script(SmartEndpoint(options), turn=0.2, text="Where is the duct tape?")
    run.feed(0.5, speech=True)
    found = run.feed(1.5, speech=False)
    assert len(found) == 1 and found[0].reason == "transcript"
    assert 550 <= (found[0].decided_ns - found[0].end_ns) / 1e6 <= 700
    assert [p.kind for p in run.probes].count("turn") == 2  # asked again later in the silence


def test_without_answers_the_fallback_ends_the_turn() -> None:
    run = Script(SmartEndpoint(EndOfTurnOptions(fallback_ms=1000)), turn=None, text=None)
    run.feed(0.5, speech=True)
    found = run.feed(1.5, speech=False)
    assert len(found) == 1 and found[0].reason == "fallback"
    assert 950 <= (found[0].decided_ns - found[0].end_ns) / 1e6 <= 1100


def test_answers_about_audio_the_shopper_has_since_added_to_are_ignored() -> None:
    policy = SmartEndpoint()
    run = Script(policy, turn=None, text=None)
    run.feed(0.4, speech=True)
    run.feed(0.1, speech=False)  # a short gap between words: probes go out
    stale = list(run.probes)
    run.feed(0.3, speech=True)  # and the shopper goes on
    for probe in stale:
        assert policy.resolve(probe.id, 0.99 if probe.kind == "turn" else "Done.") == []


def test_the_transcript_probe_sees_exactly_the_utterance_that_is_answered() -> None:
    run = Script(SmartEndpoint(), turn=0.9, text="Where is the milk?")
    run.feed(0.3, speech=False)
    run.feed(0.6, speech=True)
    found = run.feed(0.5, speech=False)
    text_probe = next(p for p in run.probes if p.kind == "text")
    assert np.array_equal(text_probe.audio, found[0].audio)  # so the speculative STT is reused


def test_a_click_is_not_a_turn() -> None:
    run = Script(SmartEndpoint(), turn=0.9, text="uh")
    run.feed(0.064, speech=True)
    assert run.feed(1.0, speech=False) == []
    assert run.probes == []
    assert not run.policy.in_speech


def test_a_monologue_is_cut_at_the_maximum_turn_length() -> None:
    run = Script(SmartEndpoint(EndOfTurnOptions(max_turn_s=5)), turn=0.9, text="and")
    found = run.feed(7.0, speech=True)
    assert found and found[0].cut and found[0].reason == "max-turn"
    assert 4.8 < len(found[0].audio) / 16000 < 5.2


def test_pipecat_waits_three_seconds_when_smart_turn_says_unfinished() -> None:
    run = Script(PipecatEndpoint(), turn=0.3, text=None)
    run.feed(1.0, speech=True)
    found = run.feed(4.0, speech=False)
    assert len(found) == 1 and found[0].reason == "fallback"
    assert 2950 <= (found[0].decided_ns - found[0].end_ns) / 1e6 <= 3100
    run2 = Script(PipecatEndpoint(), turn=0.8, text=None)
    run2.feed(1.0, speech=True)
    found2 = run2.feed(1.0, speech=False)
    assert found2[0].reason == "smart-turn"
    assert 180 <= (found2[0].decided_ns - found2[0].end_ns) / 1e6 <= 260


def test_the_silence_rule_speaks_the_same_protocol() -> None:
    run = Script(UtteranceSegmenter(VadOptions(min_silence_ms=800)), turn=None, text=None)
    run.feed(1.0, speech=True)
    found = run.feed(1.0, speech=False)
    assert len(found) == 1 and found[0].reason == "silence" and run.probes == []
