"""The live loop with hand-written fakes: lock step for a file read at full speed, and full
duplex in real time with a barge-in (a few seconds of wall time, no timing asserted)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest

from edge.audio_io import FileMic, Microphone, RecordingSpeaker
from edge.eot import SmartEndpoint
from edge.playback import VirtualSpeaker
from edge.room import EchoMic, EchoPath
from edge.stt import Transcript
from edge.tts import SpeechChunk
from kiosk.agent.turn import TurnEngine, TurnResult
from kiosk.conversation import ConversationLoop, LoopOptions
from kiosk.events import (
    Event,
    ReplyProgress,
    ReplyStarted,
    SpeechStarted,
    StatusChanged,
    TurnCompleted,
)
from kiosk.store.catalog import Catalog
from kiosk.store.pack import load_store
from tests.fakes import (
    Conversation,
    LoudnessVad,
    PathCanceller,
    ScriptedStt,
    SureTurn,
    ToneTts,
    lock_step_loop,
)

pytestmark = pytest.mark.unit


class SlowTone(ToneTts):
    """Speaks 200 ms per word, so a reply lasts long enough to be talked over."""

    def stream(self, text: str) -> Iterator[SpeechChunk]:
        self.spoken.append(text)
        for sentence in (s for s in text.split(". ") if s):
            n = int(self.sample_rate * 0.2 * len(sentence.split()))
            wave = (np.sin(np.arange(n) * 0.1) * 3000).astype(np.int16)
            yield SpeechChunk(wave, self.sample_rate, sentence)


class DawdlingTone(SlowTone):
    """Takes two seconds over the reply's second sentence (the engine asks for one sentence at
    a time): a reply still being made when the shopper's talking over its first sentence is
    confirmed."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def stream(self, text: str) -> Iterator[SpeechChunk]:
        self.calls += 1
        if self.calls == 2:
            time.sleep(2.0)
        yield from super().stream(text)


def _engine(store: Path, stt: ScriptedStt, tts: ToneTts) -> TurnEngine:
    return TurnEngine(Catalog(load_store(store)), LoudnessVad(), stt, tts, bias_stt=False)


@dataclass
class DuplexRun:
    loop: ConversationLoop
    speaker: VirtualSpeaker
    events: list[Event]
    results: list[TurnResult]


def _talk_over(
    store: Path,
    tts: ToneTts,
    second_at_s: float = 2.2,
    max_turns: int = 0,
    options: LoopOptions | None = None,
    burst_s: float = 0.6,
    room: EchoPath | None = None,
    murmur_s: float = 0.0,
) -> DuplexRun:
    """Two questions, the second spoken from `second_at_s` for `burst_s` while the first
    answer plays, through a real-time full-duplex loop; in `room`, the mic also hears the
    kiosk's echo, and a canceller that knows the room removes it. `murmur_s`: the burst
    trails off into a murmur 16 dB quieter, still speech to the VAD, for that long."""
    talk = Conversation(7).add_user_speech(0.3, 1.0)
    talk.add_user_speech(second_at_s, second_at_s + burst_s)
    if murmur_s:
        a = int((second_at_s + burst_s) * 16000)
        murmur = np.random.default_rng(5).standard_normal(int(murmur_s * 16000)) * 0.016
        talk.audio[a : a + len(murmur)] += murmur.astype(np.float32)
    stt = ScriptedStt("Where can I find the AA batteries?", "Where is the duct tape?")
    speaker = VirtualSpeaker()
    events: list[Event] = []
    mic: Microphone = FileMic.from_samples(talk.audio, realtime=True)
    if room is not None:
        mic = EchoMic(mic, speaker.timeline, room)
    loop = ConversationLoop(
        _engine(store, stt, tts),
        LoudnessVad(),
        SmartEndpoint(),
        mic,
        speaker,
        events.append,
        max_turns=max_turns,
        turn_model=SureTurn(),
        echo=PathCanceller(room) if room is not None else None,
        options=options or LoopOptions(),
    )
    assert loop.full_duplex
    try:
        results = loop.run(threading.Event())
    finally:
        speaker.close()
    return DuplexRun(loop, speaker, events, results)


def test_lock_step_answers_each_question_once(mini_store_dir: Path) -> None:
    talk = Conversation(6).add_user_speech(0.5, 1.5).add_user_speech(3.0, 4.0)
    stt = ScriptedStt("Where can I find the AA batteries?", "Where is the duct tape?")
    speaker = RecordingSpeaker()
    events: list[Event] = []
    loop = ConversationLoop(
        _engine(mini_store_dir, stt, ToneTts()),
        LoudnessVad(),
        SmartEndpoint(),
        FileMic.from_samples(talk.audio, realtime=False),
        speaker,
        events.append,
        turn_model=SureTurn(),
    )
    assert not loop.full_duplex
    results = loop.run(threading.Event())
    assert [r.shelf.id if r.shelf else None for r in results] == ["A5-L", "H2-R"]
    assert len(stt.heard) == 2  # the speculative transcript was the turn's transcript
    assert loop.stt.hits == 2
    assert len(speaker.played) == 2
    assert sum(isinstance(e, SpeechStarted) for e in events) == 2
    assert [e.state for e in events if isinstance(e, StatusChanged)][-1] == "stopped"
    assert sum(isinstance(e, TurnCompleted) for e in events) == 2


class IdleWatchingStt(ScriptedStt):
    """Notes, at each transcript, whether background work (prewarming) was let run."""

    def __init__(self, *replies: str) -> None:
        super().__init__(*replies)
        self.engine: TurnEngine | None = None
        self.background_let_run: list[bool] = []

    def transcribe(self, audio: np.ndarray, prompt: str | None = None) -> Transcript:
        assert self.engine is not None
        self.background_let_run.append(self.engine.idle.is_set())
        return super().transcribe(audio, prompt)


def test_background_work_waits_while_the_shopper_speaks(mini_store_dir: Path) -> None:
    talk = Conversation(6).add_user_speech(0.5, 1.5).add_user_speech(3.0, 4.0)
    stt = IdleWatchingStt("Where can I find the AA batteries?", "Where is the duct tape?")
    engine = stt.engine = _engine(mini_store_dir, stt, ToneTts())
    loop = lock_step_loop(engine, talk.audio)
    assert len(loop.run(threading.Event())) == 2
    assert stt.background_let_run == [False, False]  # the speculative transcripts
    assert engine.idle.is_set()  # let run again once nobody speaks


def test_a_turn_and_a_shopper_speaking_hold_background_work_together(
    mini_store_dir: Path,
) -> None:
    engine = _engine(mini_store_dir, ScriptedStt("Where is the duct tape?"), ToneTts())
    engine.shopper_speaking(True)
    engine.shopper_speaking(True)  # said twice: still one hold
    engine.run(Conversation(2).add_user_speech(0.2, 1.2).audio)
    assert not engine.idle.is_set()  # the turn ended; the shopper still speaks
    engine.shopper_speaking(False)
    assert engine.idle.is_set()
    engine.shopper_speaking(False)
    assert engine.idle.is_set()


def test_talking_over_the_reply_stops_it_and_starts_the_next_turn(mini_store_dir: Path) -> None:
    run = _talk_over(mini_store_dir, SlowTone())
    loop, speaker, events, results = run.loop, run.speaker, run.events, run.results
    assert [r.shelf.id if r.shelf else None for r in results] == ["A5-L", "H2-R"]
    assert loop.stats.barge_ins == 1
    first, *rest = speaker.handles
    assert first.started_ns and any(h.cut for h in [first, *rest])  # the first reply was cut
    assert speaker.cleared_ns  # its queue dropped at once
    done = [e for e in events if isinstance(e, ReplyProgress) and e.done]
    assert [e.interrupted for e in done] == [True, False]
    assert done[0].played_s < done[0].total_s
    completed = [e for e in events if isinstance(e, TurnCompleted)]
    assert [c.interrupted for c in completed] == [True, False]
    assert all(c.latency_ms is not None and c.latency_ms > 0 for c in completed)
    replies = [e for e in events if isinstance(e, ReplyStarted)]
    assert [r.shelf_id for r in replies] == ["A5-L", "H2-R"]
    assert sum(isinstance(e, SpeechStarted) for e in events) == 2  # the question, the barge-in


def test_device_losses_wait_for_the_loops_sink_then_flow_straight_through() -> None:
    from kiosk.audio_setup import DeviceRelay
    from kiosk.events import DeviceStatus

    relay = DeviceRelay()
    lost = relay.callback("microphone")
    lost(False, "input device 'USB' stopped")
    seen: list[Event] = []
    relay.attach(seen.append)
    relay.callback("speaker")(True, "speaker 'USB' is back")
    assert seen == [
        DeviceStatus("microphone", ok=False, detail="input device 'USB' stopped"),
        DeviceStatus("speaker", ok=True, detail="speaker 'USB' is back"),
    ]


def test_a_reply_cut_short_while_still_being_made_is_logged_as_interrupted(
    mini_store_dir: Path,
) -> None:
    run = _talk_over(mini_store_dir, DawdlingTone(), second_at_s=2.0)
    loop, events, results = run.loop, run.events, run.results
    assert loop.stats.barge_ins == 1
    completed = [e for e in events if isinstance(e, TurnCompleted)]
    assert [c.interrupted for c in completed] == [True, False]  # the first reached the log too
    assert [c.shelf_id for c in completed] == ["A5-L", "H2-R"]
    assert [r.shelf.id if r.shelf else None for r in results] == ["A5-L", "H2-R"]
    assert results[0].interrupted


def test_a_burst_over_the_reply_pauses_it_and_the_reply_goes_on(mini_store_dir: Path) -> None:
    """A sound over the kiosk's voice that does not go on (the room ringing with the kiosk's
    own echo, a cough) holds the speaker, then lets the reply finish where it paused."""
    run = _talk_over(mini_store_dir, SlowTone(), max_turns=1, burst_s=0.05)
    loop, speaker, events = run.loop, run.speaker, run.events
    assert (loop.stats.barge_in_held, loop.stats.barge_in_resumed, loop.stats.barge_ins) == (
        1,
        1,
        0,
    )
    assert speaker.held_ns and not speaker.cleared_ns
    assert not any(h.cut for h in speaker.handles)
    completed = [e for e in events if isinstance(e, TurnCompleted)]
    assert [c.interrupted for c in completed] == [False]
    # silence once the room stopped ringing ended the hold before it lapsed
    options = LoopOptions()
    assert len(loop.stats.resumed_after_ms) == 1
    assert loop.stats.resumed_after_ms[0] < options.barge_in_hold_ms


def test_a_murmur_the_hold_judged_not_the_shopper_is_not_answered_afterwards(
    mini_store_dir: Path,
) -> None:
    """A burst holds the speaker; what follows it in the hold is too quiet to confirm it (the
    room's echo and noise, someone across the store), so the reply goes on. That speech
    outlasts the room's ringing only because the speaker was held: it is not a question."""
    # the burst fills the two windows from 2.208 s: the hold's level is the burst's own
    run = _talk_over(mini_store_dir, SlowTone(), second_at_s=2.208, burst_s=0.064, murmur_s=0.5)
    stats = run.loop.stats
    assert stats.barge_in_held >= 1 and stats.barge_in_resumed == stats.barge_in_held
    assert stats.barge_ins == 0
    assert [r.shelf.id if r.shelf else None for r in run.results] == ["A5-L"]
    assert stats.echo_utterances_dropped >= 1


@pytest.mark.parametrize(
    ("heard", "answered"),
    [("aisle 5, left side. They're", ["A5-L"]), ("Where is the duct tape?", ["A5-L", "H2-R"])],
)
def test_speech_that_outlasts_the_reply_is_answered_unless_it_is_the_reply(
    mini_store_dir: Path, heard: str, answered: list[str]
) -> None:
    """Speech from late in a reply to after its end (no barge-in here): a question is answered
    once the reply is done; a stretch of the reply itself (a long-ringing room) is not."""
    stt = ScriptedStt("Where can I find the AA batteries?", heard)
    talk = Conversation(7).add_user_speech(0.3, 1.0).add_user_speech(3.3, 4.7)
    speaker = VirtualSpeaker()
    loop = ConversationLoop(
        _engine(mini_store_dir, stt, SlowTone()),
        LoudnessVad(),
        SmartEndpoint(),
        FileMic.from_samples(talk.audio, realtime=True),
        speaker,
        lambda event: None,
        turn_model=SureTurn(),
        options=LoopOptions(barge_in=False),
    )
    try:
        results = loop.run(threading.Event())
    finally:
        speaker.close()
    assert [r.shelf.id if r.shelf else None for r in results] == answered
    assert loop.stats.own_reply_dropped == 2 - len(answered)
    assert loop.stats.echo_utterances_dropped == 0


def test_speech_that_holds_a_reply_just_as_it_ends_does_not_deafen_the_kiosk(
    mini_store_dir: Path,
) -> None:
    """The reply's last sound is out and its turn about to end (its progress is polled) when
    the shopper speaks again: the hold this starts outlives the turn. It must go with it, or
    every later question is taken for the kiosk's own voice and dropped."""
    stt = ScriptedStt(
        "Where can I find the AA batteries?", "Where is the duct tape?", "Where is the milk?"
    )
    # the first reply (under a second of tone) is out by about 2.1 s; its turn ends at the
    # poll 1.5 s after it began, about 2.6 s
    talk = Conversation(8).add_user_speech(0.3, 1.0).add_user_speech(2.45, 3.1)
    talk.add_user_speech(5.0, 5.6)
    speaker = VirtualSpeaker()
    loop = ConversationLoop(
        _engine(mini_store_dir, stt, ToneTts()),
        LoudnessVad(),
        SmartEndpoint(),
        FileMic.from_samples(talk.audio, realtime=True),
        speaker,
        lambda event: None,
        max_turns=3,
        turn_model=SureTurn(),
        options=LoopOptions(progress_every_s=1.5),
    )
    try:
        results = loop.run(threading.Event())
    finally:
        speaker.close()
    assert loop.stats.barge_in_held >= 1
    assert loop.stats.echo_utterances_dropped == 0
    assert len(results) == 3
    assert [r.shelf.id if r.shelf else None for r in results][1] == "H2-R"


def test_a_hold_without_early_release_is_waited_out(mini_store_dir: Path) -> None:
    patient = LoopOptions(barge_in_release_windows=0)
    run = _talk_over(mini_store_dir, SlowTone(), max_turns=1, burst_s=0.05, options=patient)
    assert run.loop.stats.barge_in_resumed == 1
    assert run.loop.stats.resumed_after_ms[0] >= patient.barge_in_hold_ms


def test_speech_too_quiet_to_be_the_shopper_does_not_stop_the_reply(
    mini_store_dir: Path,
) -> None:
    quiet = LoopOptions(barge_in_min_dbfs=-10.0)  # the -20 dBFS voice as if across the store
    run = _talk_over(mini_store_dir, SlowTone(), max_turns=1, options=quiet)
    loop, events = run.loop, run.events
    assert loop.stats.barge_ins == 0
    completed = [e for e in events if isinstance(e, TurnCompleted)]
    assert [c.interrupted for c in completed] == [False]


def test_a_voice_the_canceller_lets_through_holds_the_reply_before_silero_is_sure(
    mini_store_dir: Path,
) -> None:
    """Louder than the room's echo and not cancelled: someone talking over the kiosk, told by
    the double-talk detector alone (Silero's rule is switched off here)."""
    deaf = LoopOptions(barge_in_threshold=1.01)
    run = _talk_over(mini_store_dir, SlowTone(), options=deaf, room=EchoPath())
    assert run.loop.stats.barge_in_held >= 1 and run.loop.stats.barge_ins == 1
    assert [r.shelf.id if r.shelf else None for r in run.results] == ["A5-L", "H2-R"]
    alone = replace(deaf, double_talk=None)
    unheard = _talk_over(mini_store_dir, SlowTone(), options=alone, room=EchoPath(), max_turns=1)
    assert unheard.loop.stats.barge_in_held == 0 and unheard.loop.stats.barge_ins == 0
