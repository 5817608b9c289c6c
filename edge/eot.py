"""End of turn: when has the shopper finished the question?

`SmartEndpoint` (the kiosk's policy) listens to two cues during the silence after speech:

- lexical: the utterance's transcript, decoded speculatively 64 ms into the silence (the kiosk
  needs it to answer anyway), read by a `TranscriptJudge`. Words alone tell a sentence that
  stops on a word a question cannot end with ("where are the", "um": it dangles). A judge that
  knows the store (`kiosk.agent.completeness`) also tells a question that names a product
  from one that asks where, whether or how much without naming anything yet ("do you sell?");
- acoustic: Smart Turn v3.2's probability that the turn is complete, on the turn's audio with
  the silence so far, asked once the transcript is in and only when it can still change the
  decision (a whole-looking question before its deadline), and again `reprobe_ms` later if it
  was unsure (it grows surer as the silence lasts). On two cores, Smart Turn run beside
  Whisper slowed the transcript from about 200 to about 300 ms, and most questions end on the
  transcript's deadline anyway (`kiosk bench audio`, live end of turn).

A question that names a product ends as soon as Smart Turn is fairly sure (`named_complete`),
or after `named_disagree_ms`; any other whole-looking question needs Smart Turn surer
(`complete`), or `disagree_ms`. A dangling sentence waits up to `hold_ms`, one that names
nothing yet `wanting_ms`; with no cue at all the turn ends after `fallback_ms`. Pipecat's
default, by contrast, asks the model once after 200 ms and waits 3 s whenever it says
"unfinished", which is what makes its tail long. `PipecatEndpoint` models that default so both
are measured on the same audio.

The timings were chosen by a sweep on the evaluation set in `kiosk.bench.turn_eval`;
`kiosk bench audio` reports them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

import numpy as np

from edge.endpoint import (
    Action,
    Heard,
    Probe,
    ProbeAnswer,
    SpeechBegan,
    TurnAudio,
    Utterance,
    check_window,
)
from edge.vad import WINDOW_MS

_ARTICLES = "the a an some any my your our their his her its no each every"
_PREPOSITIONS = "for with of to in on at from about by near under over into than like between"
_CONJUNCTIONS = "and or but so because if than"
_FILLERS = "um uh er erm uhm hmm ah eh mm actually wait"
_PREPOSITION_SET = frozenset(_PREPOSITIONS.split())
_WH_OBJECT = re.compile(r"(?:what|who|whom)(?:'s| is| are| was| were| do| does| did)\b")
"""A question opening like this asks about the object of a verb or preposition later on."""
_OBJECTS = frozenset(["this", "that", "it", "these", "those", "them", "they", "one", "ones"])
_AUXILIARIES = "can could would should will"
"""Not is, are, do, have: "do you know where the milk is?" ends on one."""
_VERBS = "find need want get buy sell keep recommend looking get carry stock"
_WH = "where what which how who whose"
CONTINUATION_WORDS = frozenset(
    " ".join([_ARTICLES, _PREPOSITIONS, _CONJUNCTIONS, _FILLERS, _AUXILIARIES, _VERBS, _WH]).split()
)
"""Words a shopper's question does not end with: a pause after one is a pause, not the end."""


class TextCue(Enum):
    """What the transcript so far says about the end of the turn."""

    WHOLE = "whole"
    """It could be a whole question."""
    NAMED = "named"
    """A whole question that names what it asks about (a judge that knows the store says so):
    the strongest sign that the shopper has finished."""
    DANGLING = "dangling"
    """It stops on a word a question cannot end with: 'where are the', 'um'."""
    WANTING = "wanting"
    """Grammatical, but it asks for something without naming it yet ('do you sell?'): a
    judge that knows the store says so; the shopper is likely still looking for the word."""


TranscriptJudge = Callable[[str], "TextCue | None"]
"""Reads a speculative transcript; None when there are no words to judge."""


def lexical_cue(text: str) -> TextCue | None:
    """The judge that knows only words. A last word a question cannot end with dangles; a
    trailing "..." or comma alone (Whisper's mark for a voice that trails off, also at the end
    of a finished question) only wants more."""
    continues = transcript_continues(text)
    if continues is None:
        return None
    if not continues:
        return TextCue.WHOLE
    last = re.findall(r"[a-z0-9']+", text.lower())[-1:]
    return TextCue.DANGLING if not last or last[0] in CONTINUATION_WORDS else TextCue.WANTING


def transcript_continues(text: str) -> bool | None:
    """True when the transcript stops mid-sentence, False when it could be a whole question,
    None when there are no words to judge."""
    stripped = text.strip()
    if stripped.endswith(("...", "\u2026", ",", "-")):
        return True
    words = re.findall(r"[a-z0-9']+", stripped.lower())  # "text it to 5551234567" ends
    if not words:
        return None
    if words[-1] in _PREPOSITION_SET and _stranded(words):
        return False
    return words[-1] in CONTINUATION_WORDS


def _stranded(words: list[str]) -> bool:
    """A question may end on a preposition whose object it asked about first: "what aisle is
    this in?", "what is this one good for?" (not "what wine goes well with")."""
    if len(words) > 1 and words[-2] in _OBJECTS:
        return True
    return bool(_WH_OBJECT.match(" ".join(words)))


@dataclass(frozen=True)
class EndOfTurnOptions:
    threshold: float = 0.5
    """Silero probability above which a window is speech."""
    min_speech_ms: int = 150
    """Shorter bursts (a click, a cough) are dropped."""
    preroll_ms: int = 200
    pad_ms: int = 64
    """Audio kept after the last speech window; the transcript is started when it is in."""
    reprobe_ms: int = 128
    """Silence after an 'unfinished' answer from Smart Turn before it is asked again (once)."""
    complete: float = 0.5
    """Smart Turn probability at or above which the turn sounds finished."""
    disagree_ms: int = 900
    """Silence after which a finished-looking transcript wins over an 'unfinished' melody."""
    named_complete: float = 0.3
    """As `complete`, when the transcript names a product."""
    named_disagree_ms: int = 200
    """As `disagree_ms`, when the transcript names a product. Live on two cores the transcript
    is in about 200 ms into the silence, so a named product ends the turn then; waiting for
    Smart Turn as well (300 ms) made it 364-369 ms after the speech against 300 (p50,
    `kiosk.bench.turn_live`). A shopper who goes on within `merge_within_s`, before the reply
    plays, is heard as the same turn (`kiosk.conversation`)."""
    min_confidence: float = 0.55
    """A short whole-looking transcript (`unsure_max_words`) the recogniser was less sure of
    ends the turn after `unsure_ms`, whatever Smart Turn says: Whisper hears a pause fragment
    as a question that names a product ("do you sell" as "D-cell") with 0.49-0.50, and Smart
    Turn heard that fragment as finished too (0.89 on one host, 0.98 on another). The margin
    over 0.5 is for that spread: numpy's BLAS on one thread instead of two moved it to 0.502,
    and the turn was cut off. 0: off."""
    unsure_max_words: int = 2
    """Only transcripts of at most this many words can be unsure; 0: any length. Longer
    finished questions in robotic voices are heard with low confidence too, and waiting on
    them all raised p95 from 0.34 to 1.2 s on the evaluation set (`kiosk bench audio`,
    policy `kiosk_unsure_any_length`)."""
    unsure_below: float = 0.3
    """A transcript heard with confidence under this is unsure whatever its length: the words
    are mostly a guess. On an AMD EPYC, Whisper's int8 kernels heard the first half of "is
    there any, um, sunscreen for kids" as "is there ready" (0.26), which names a product; the
    finished questions of the evaluation set were all heard with 0.4 or more."""
    unsure_ms: int = 1200
    """Longest pause waited through when the transcript is unsure (`min_confidence`): the
    evaluation set's longest first pause is 1.1 s."""
    fallback_ms: int = 1000
    """Silence after which the turn ends when no cue has decided it."""
    hold_ms: int = 2500
    """Longest pause waited through when the transcript stops mid-sentence."""
    wanting_ms: int = 1600
    """Longest pause waited through when the question does not yet name what it asks for."""
    max_turn_s: float = 15.0


class SmartEndpoint:
    """VAD silence + Smart Turn + the transcript's last word, with adaptive fallbacks."""

    def __init__(
        self, options: EndOfTurnOptions | None = None, judge: TranscriptJudge = lexical_cue
    ) -> None:
        self.options = options or EndOfTurnOptions()
        self.judge = judge
        self._turn = TurnAudio(self.options.preroll_ms, self.options.max_turn_s)
        self._pad = max(1, round(self.options.pad_ms / WINDOW_MS))
        self._reprobe_after = max(1, round(self.options.reprobe_ms / WINDOW_MS))
        self._min_speech = max(1, round(self.options.min_speech_ms / WINDOW_MS))
        self._next_id = 0
        self._epoch = 0
        self._pending: dict[int, tuple[str, int]] = {}
        self.reset()

    @property
    def in_speech(self) -> bool:
        return self._turn.active

    def reset(self) -> None:
        self._turn.clear()
        self._voiced = 0
        self._silent = 0
        self._last_voiced = -1
        self._last_voiced_ns = 0
        self._last_ns = 0
        self._new_silence()

    def _new_silence(self) -> None:
        self._epoch += 1
        self._pending.clear()
        self._turn_p: float | None = None
        self._turn_asked = 0
        self._turn_due: int | None = None
        self._text: TextCue | None = None
        self._unsure = False

    def step(self, window: np.ndarray, probability: float, stamp_ns: int) -> list[Action]:
        check_window(window)
        self._last_ns = stamp_ns
        voiced = probability >= self.options.threshold
        if not self._turn.active:
            if not voiced:
                self._turn.idle(window, stamp_ns)
                return []
            self._turn.begin(window, stamp_ns)
            self._voiced, self._silent = 1, 0
            self._last_voiced, self._last_voiced_ns = len(self._turn.windows) - 1, stamp_ns
            self._new_silence()
            return [SpeechBegan(stamp_ns)]
        self._turn.add(window, stamp_ns)
        if voiced:
            if self._silent:
                self._new_silence()
            self._voiced += 1
            self._silent = 0
            self._last_voiced, self._last_voiced_ns = len(self._turn.windows) - 1, stamp_ns
            return [self._finish("max-turn", cut=True)] if self._turn.full else []
        self._silent += 1
        if self._turn.full:
            return [self._finish("max-turn", cut=True)]
        if self._voiced < self._min_speech:
            if self._silent * WINDOW_MS >= self.options.disagree_ms:
                self.reset()  # a click or a cough, not a question
            return []
        actions: list[Action] = []
        if self._silent == self._pad:
            actions.append(self._probe("text", self.utterance_audio()))
        if self._silent == self._turn_due:
            actions += self._ask_turn()
        return actions + self._decide()

    def resolve(self, probe_id: int, value: ProbeAnswer) -> list[Action]:
        probe = self._pending.pop(probe_id, None)
        if probe is None or probe[1] != self._epoch or not self._turn.active:
            return []  # the shopper spoke again since: the answer is stale
        if probe[0] == "turn":
            assert not isinstance(value, Heard)
            self._turn_p = float(value)
            if self._turn_p < self._bar() and self._turn_asked == 1:
                self._turn_due = self._silent + self._reprobe_after
            return self._decide()
        heard = value if isinstance(value, Heard) else Heard(str(value))
        self._text = self.judge(heard.text)
        o = self.options
        short = not o.unsure_max_words or len(heard.text.split()) <= o.unsure_max_words
        below = o.min_confidence if short else min(o.unsure_below, o.min_confidence)
        self._unsure = heard.confidence < below
        decided = self._decide()
        return decided or self._ask_turn()

    def _bar(self) -> float:
        """Smart Turn's probability that ends a turn with this transcript."""
        o = self.options
        return o.named_complete if self._text is TextCue.NAMED else o.complete

    def _deadline(self) -> int:
        """Silence after which a whole-looking transcript ends the turn without Smart Turn."""
        o = self.options
        return o.named_disagree_ms if self._text is TextCue.NAMED else o.disagree_ms

    def _ask_turn(self) -> list[Action]:
        """Ask Smart Turn when its answer can still end the turn sooner than the transcript's
        deadline: only a whole-looking question heard well can end on it."""
        if self._text not in (TextCue.WHOLE, TextCue.NAMED) or self._unsure:
            return []
        if self._silent * WINDOW_MS >= self._deadline() or any(
            k == "turn" for k, _ in self._pending.values()
        ):
            return []
        self._turn_asked += 1
        return [self._probe("turn", self._turn.audio())]

    def utterance_audio(self) -> np.ndarray:
        """The turn through its last speech window and the pad after it."""
        return self._turn.audio(self._last_voiced + 1 + self._pad)

    def _probe(self, kind: str, audio: np.ndarray) -> Probe:
        self._next_id += 1
        self._pending[self._next_id] = (kind, self._epoch)
        return Probe(self._next_id, "turn" if kind == "turn" else "text", audio)

    def _decide(self) -> list[Action]:
        o = self.options
        silence = self._silent * WINDOW_MS
        p = self._turn_p
        if self._text is TextCue.DANGLING:
            ended, reason = silence >= o.hold_ms, "fallback"
        elif self._text is TextCue.WANTING:
            ended, reason = silence >= o.wanting_ms, "fallback"
        elif self._text in (TextCue.WHOLE, TextCue.NAMED) and self._unsure:
            ended, reason = silence >= o.unsure_ms, "transcript"
        elif self._text in (TextCue.WHOLE, TextCue.NAMED):
            if p is not None and p >= self._bar():
                ended, reason = True, "smart-turn"
            else:  # unsure, or not asked yet: the transcript's deadline
                ended, reason = silence >= self._deadline(), "transcript"
        else:
            ended, reason = silence >= o.fallback_ms, "fallback"
        return [self._finish(reason, cut=False)] if ended else []

    def _finish(self, reason: str, cut: bool) -> Utterance:
        audio = self._turn.audio() if cut else self.utterance_audio()
        utterance = self._turn.utterance(audio, self._last_voiced_ns, self._last_ns, cut, reason)
        self.reset()
        return utterance


@dataclass(frozen=True)
class PipecatOptions:
    confidence: float = 0.7
    start_s: float = 0.2
    stop_s: float = 0.2
    pre_speech_s: float = 0.5
    complete: float = 0.5
    stop_secs: float = 3.0
    """Silence after which the turn ends when Smart Turn said 'incomplete'."""
    max_turn_s: float = 15.0


class PipecatEndpoint:
    """Pipecat 1.14's default turn taking, for comparison: Silero at confidence 0.7 with 0.2 s
    start and stop, Smart Turn v3 asked when the VAD stops (on the turn from 0.5 s before
    speech began), and a 3 s silence fallback when it answers 'incomplete'. (Pipecat also gates
    the VAD on a smoothed volume; the evaluation's audio is normalised, so that is left out.)"""

    def __init__(self, options: PipecatOptions | None = None) -> None:
        self.options = o = options or PipecatOptions()
        self._start_windows = round(o.start_s * 1000 / WINDOW_MS)
        self._stop_windows = round(o.stop_s * 1000 / WINDOW_MS)
        self._stop_after = round(o.stop_secs * 1000 / WINDOW_MS)
        self._turn = TurnAudio(int((o.pre_speech_s + o.start_s) * 1000), o.max_turn_s)
        self._next_id = 0
        self.reset()

    @property
    def in_speech(self) -> bool:
        return self._turn.active

    def reset(self) -> None:
        self._turn.clear()
        self._run = 0
        self._speaking = False
        self._silent = 0
        self._last_voiced_ns = 0
        self._last_ns = 0
        self._waiting: int | None = None

    def step(self, window: np.ndarray, probability: float, stamp_ns: int) -> list[Action]:
        check_window(window)
        self._last_ns = stamp_ns
        voiced = probability >= self.options.confidence
        if not self._turn.active:
            self._run = self._run + 1 if voiced else 0
            if self._run < self._start_windows:
                self._turn.idle(window, stamp_ns)
                return []
            self._turn.begin(window, stamp_ns)
            self._speaking, self._silent, self._last_voiced_ns = True, 0, stamp_ns
            return [SpeechBegan(stamp_ns)]
        self._turn.add(window, stamp_ns)
        if self._turn.full:
            return [self._finish("max-turn", cut=True)]
        if voiced:
            self._silent, self._last_voiced_ns, self._waiting = 0, stamp_ns, None
            self._speaking = True
            return []
        self._silent += 1
        if self._silent >= self._stop_after:
            return [self._finish("fallback", cut=False)]
        if self._speaking and self._silent >= self._stop_windows:
            self._speaking = False  # the VAD stops: ask the model
            self._next_id += 1
            self._waiting = self._next_id
            return [Probe(self._next_id, "turn", self._turn.audio())]
        return []

    def resolve(self, probe_id: int, value: ProbeAnswer) -> list[Action]:
        if probe_id != self._waiting or not self._turn.active:
            return []
        self._waiting = None
        if not isinstance(value, Heard) and float(value) > self.options.complete:
            return [self._finish("smart-turn", cut=False)]
        return []

    def _finish(self, reason: str, cut: bool) -> Utterance:
        audio = self._turn.audio()
        utterance = self._turn.utterance(audio, self._last_voiced_ns, self._last_ns, cut, reason)
        self.reset()
        return utterance
