"""The live loop: microphone blocks in, answered turns out, full duplex.

One asyncio loop, in the thread that calls `run`, joins the stages with bounded queues: the mic
thread reads each block and runs the front end on it (echo cancellation with the speaker's
playback as its reference, the residual gate, Silero), and hands the loop only whole 32 ms
windows, so a short block costs no wake-up of the loop; the end-of-turn policy is
stepped on the loop and its probes (Smart Turn, the speculative transcript) run on their own
threads; a turn (STT, routing, TTS) runs on a turn thread, and each clause of the reply is
queued on the speaker as soon as it is synthesised.

While the kiosk thinks or speaks it keeps listening. Speech heard over its own voice for
`barge_in_ms` (after echo cancellation, at a stricter threshold) holds the speaker at once:
silence, with the reply kept. Once the speaker is quiet the echo dies away; if the speech goes
on (`barge_in_confirm_windows` more windows, heard once the room has stopped ringing with
what played before the hold) it is a barge-in: the speaker's queue is cleared,
the turn being prepared is cancelled, and the shopper's words become the next turn. If it does
not, it was the room ringing with the kiosk's own voice, and the reply goes on where it paused.
If the shopper goes on talking right after a turn ended, before any of its reply
was heard, the two pieces are answered as one question.

A mic read faster than real time (a file in a test) or a speaker that cannot stream falls back
to lock step: each turn is answered and played before the next block is read.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from edge.audio_io import Microphone, Speaker
from edge.doubletalk import DoubleTalkDetector, DoubleTalkOptions, Verdict
from edge.echo import EchoCanceller, ResidualGate
from edge.endpoint import Action, Endpointer, Heard, Probe, ProbeAnswer, SpeechBegan, Utterance
from edge.linear_echo import LinearEchoCanceller
from edge.listen import AudioFrontEnd, HeardWindow, StreamingVad
from edge.playback import PlayHandle
from edge.stt import SpeculativeStt, Transcript
from edge.tts import ReplyStopped, SpeechChunk, speech_tap
from edge.vad import WINDOW
from kiosk.agent.turn import TurnEngine, TurnResult
from kiosk.events import (
    AudioLevel,
    EventSink,
    PointToShelf,
    ReplyProgress,
    ReplyStarted,
    SpeechStarted,
    StatusChanged,
    UserSaid,
)
from kiosk.own_voice import echoes_reply

log = logging.getLogger(__name__)


WINDOW_S = WINDOW / 16000
TAIL_S = 3.0
KEEP_RESULTS = 32
"""Finished turns kept in `results` when the loop runs on (no `max_turns`): a kiosk that
runs for months must not keep every reply's audio."""
MAX_BACKLOG = 320
"""Windows (about 10 s) waiting for the loop before the oldest are dropped."""


class TurnModel(Protocol):
    def probability(self, audio: np.ndarray) -> float: ...


class TurnCancelled(ReplyStopped):
    """Raised inside a turn's speech tap when the shopper barged in."""


@dataclass(frozen=True)
class LoopOptions:
    barge_in: bool = True
    barge_in_ms: int = 32
    """Speech this long over the kiosk's own voice holds the speaker. One window: the
    shopper's speech reaches 0.6 through the echo canceller about 90 ms after it starts at
    p50, and several hundred ms later while the canceller still takes it for echo."""
    barge_in_threshold: float = 0.6
    barge_in_min_dbfs: float = -45.0
    """Quieter speech is someone else in the store, not a barge-in."""
    double_talk: DoubleTalkOptions | None = field(default_factory=DoubleTalkOptions)
    """Also hold the speaker when the echo cancellers let through loud audio that the room's
    echo cannot explain (`edge.doubletalk`), before Silero is sure of it. None: Silero alone,
    and STT hears AEC3's output only."""
    barge_in_hold_ms: int = 800
    """How long the speaker is held silent while speech over it is confirmed: long enough for
    the room to stop ringing (`echo_tail_ms`) and two windows after."""
    barge_in_confirm_windows: int = 2
    """Windows of speech during the hold, captured `echo_tail_ms` or more after the speaker
    went quiet (the echo of what played before the hold is gone by then), that confirm it. A
    reverberant room's echo leaks through the canceller in runs of a few windows while the
    kiosk talks (`kiosk bench audio`: self-interruptions); with the speaker held it fades."""
    barge_in_confirm_threshold: float = 0.5
    barge_in_release_windows: int = 3
    """Windows in a row that are clearly not speech (`barge_in_release_below`), once the room
    has stopped ringing, that end a hold early: it was the kiosk's own echo, and the reply goes
    on without waiting out `barge_in_hold_ms`. 0: always wait it out."""
    barge_in_release_below: float = 0.2
    barge_in_confirm_drop_db: float = 12.0
    """A confirming window is at most this much quieter than the one that held the speaker:
    the shopper goes on talking, while the room's echo falls away by tens of dB."""
    echo_tail_ms: int = 320
    """After the speaker goes quiet the room still rings: speech starting within this is
    treated as possible echo too."""
    merge_within_s: float = 2.0
    """Speech resumed this soon after a turn ended, before its reply played, joins that turn."""
    progress_every_s: float = 0.25
    level_every: int = 3
    """Emit an AudioLevel every this many windows (about 10 a second)."""


def _heard(transcript: Transcript) -> Heard:
    return Heard(transcript.text, transcript.confidence)


def speech_over_reply(window: HeardWindow, threshold: float, min_dbfs: float) -> bool:
    """The shopper may be talking over the kiosk: speech, loud enough to be someone at the
    kiosk, in the gated stream or the one before the gate."""
    gated = window.probability >= threshold and window.rms_dbfs >= min_dbfs
    ungated = window.ungated_probability >= threshold and window.ungated_dbfs >= min_dbfs
    return gated or ungated


def holds_speaker(window: HeardWindow, levels: Verdict, options: LoopOptions) -> bool:
    """Whether `window` holds the speaker: the double-talk detector's word (`levels`) says a
    shopper, or Silero hears speech over the reply where the detector did not find only the
    kiosk's echo."""
    if levels is Verdict.ECHO:
        return False
    heard = speech_over_reply(window, options.barge_in_threshold, options.barge_in_min_dbfs)
    return levels is Verdict.SHOPPER or heard


@dataclass
class LoopStats:
    barge_ins: int = 0
    barge_in_ms: list[float] = field(default_factory=list)
    """From the first window of the barge-in's speech to the speaker going silent (held, or
    cleared without a hold)."""
    barge_in_heard_ns: list[int] = field(default_factory=list)
    """Capture time of the end of the window that first held the speaker, for each barge-in."""
    barge_in_held: int = 0
    """Times speech over the kiosk held the speaker."""
    held_by_double_talk: int = 0
    """Of those, holds the double-talk detector started with Silero not (yet) sure."""
    barge_in_resumed: int = 0
    """Holds that were not confirmed: the reply went on."""
    resumed_after_ms: list[float] = field(default_factory=list)
    """How long each unconfirmed hold kept the reply silent (capture time)."""
    echo_utterances_dropped: int = 0
    own_reply_dropped: int = 0
    """Speech that outlasted the room's ringing but was heard as a stretch of the reply it
    started over (`kiosk.own_voice`)."""
    merged: int = 0
    windows_dropped: int = 0
    max_lag_ms: float = 0.0
    """The most a window was processed behind its capture (the front end falling behind)."""


@dataclass
class _Hold:
    """The speaker held silent while speech over it is confirmed."""

    turn: _Turn
    onset_ns: int
    heard_ns: int
    held_ns: int
    """When the speaker was told to hold (monotonic)."""
    until_ns: int
    """Capture time at which an unconfirmed hold lapses."""
    level_dbfs: float
    """Of the window that held the speaker."""
    quiet_since_ns: int = 0
    """Capture time of the first window with the speaker quiet (0: still playing)."""
    speech: int = 0
    silent: int = 0
    """Windows in a row, since the room stopped ringing, that are clearly not speech."""


@dataclass
class _Turn:
    utterance: Utterance
    over_reply: str = ""
    """The reply the utterance started over, if it did: what its echo would say."""
    cancel: threading.Event = field(default_factory=threading.Event)
    handles: list[PlayHandle] = field(default_factory=list)


@dataclass
class ConversationLoop:
    engine: TurnEngine
    vad: StreamingVad
    segmenter: Endpointer
    mic: Microphone
    speaker: Speaker
    emit: EventSink
    max_turns: int = 0
    turn_model: TurnModel | None = None
    echo: EchoCanceller | None = None
    gate: ResidualGate | None = None
    options: LoopOptions = field(default_factory=LoopOptions)
    linear_echo: LinearEchoCanceller | None = None
    """The double-talk detector's own canceller (`edge.linear_echo`); one is made when the
    detector runs and none is given (a bench hands over one that has already converged)."""
    room_learned: Callable[[], None] | None = None
    """Called, on the loop's thread, each time the double-talk detector comes to trust the
    linear canceller: it has learned the room, and its echo path is worth keeping."""

    def __post_init__(self) -> None:
        if not isinstance(self.engine.stt, SpeculativeStt):
            self.engine.stt = SpeculativeStt(self.engine.stt)
        self.stt: SpeculativeStt = self.engine.stt
        timeline = getattr(self.speaker, "timeline", None)
        # a second Silero stream hears the audio before the residual gate, which closes on the
        # first syllable of a shopper talking over the kiosk (`kiosk bench audio`, double_talk)
        twin = getattr(self.vad, "twin", None)
        barge_vad = twin() if twin is not None and self.gate is not None else None
        options = self.options.double_talk
        cancelling = self.echo is not None and timeline is not None
        self.double_talk = DoubleTalkDetector(options) if options and cancelling else None
        if self.double_talk is None:
            self.linear_echo = None
        elif self.linear_echo is None:
            self.linear_echo = LinearEchoCanceller()
        self.front = AudioFrontEnd(
            self.vad, self.echo, timeline, self.gate, barge_vad=barge_vad, linear=self.linear_echo
        )
        self.stats = LoopStats()
        self.results: list[TurnResult] = []
        self.turns_done = 0
        self._turn: _Turn | None = None
        self._barge_run: list[int] = []
        self._hold: _Hold | None = None
        self._speech_from_playback = False
        self._carry: Utterance | None = None
        self._windows_seen = 0
        self._last_ns = 0
        self._playing = False
        self._quiet_windows = 1_000_000
        self._last_playing_ns = 0
        self._judged_not_shopper_ns = 0
        """End of the last hold that did not confirm the speech under it: what was heard up to
        here was judged the room's echo or noise, and cannot make an utterance outlast it."""
        self._reply_text = ""
        """The last reply announced: what speech heard over it would say if it were its echo."""
        self._room_trusted = False
        self._barged = False
        self._probes: dict[str, Future[Any]] = {}

    @property
    def replying(self) -> bool:
        """A reply is playing: its first audio has reached the speaker."""
        turn = self._turn
        return turn is not None and any(h.started_ns for h in list(turn.handles))

    @property
    def full_duplex(self) -> bool:
        streaming = hasattr(self.speaker, "timeline") and hasattr(self.speaker, "pending_s")
        return streaming and bool(getattr(self.mic, "realtime", True))

    def run(self, stop: threading.Event) -> list[TurnResult]:
        """Listen and answer until `stop` is set, the mic ends, or `max_turns` are done."""
        self.emit(StatusChanged("listening"))
        try:
            if self.full_duplex:
                asyncio.run(self._run_duplex(stop))
            else:
                self._run_lockstep(stop)
        finally:
            self.engine.shopper_speaking(False)
            self.emit(StatusChanged("stopped"))
        return self.results

    # --- lock step ---------------------------------------------------------------------------
    def _run_lockstep(self, stop: threading.Event) -> None:
        last_ns = 0
        for block in self.mic.blocks():
            if stop.is_set():
                return
            windows = self.front.feed(block)
            last_ns = windows[-1].stamp_ns if windows else last_ns
            if self._lockstep_windows(windows):
                return
        if self.segmenter.in_speech:
            self._lockstep_windows(self._silence(last_ns), until_quiet=True)

    def _lockstep_windows(self, windows: list[HeardWindow], until_quiet: bool = False) -> bool:
        """Step the policy and answer each utterance; True once `max_turns` are done."""
        for window in windows:
            if until_quiet and not self.segmenter.in_speech:
                return False
            for utterance in self._step_sync(window):
                turn = _Turn(utterance)
                self._turn = turn
                self._answer_sync(turn)
                self._turn = None
                self.mic.drain()
                self.front.reset()
                self.segmenter.reset()
                if self._done():
                    return True
                self.emit(StatusChanged("listening"))
        return False

    def _step_sync(self, window: HeardWindow) -> list[Utterance]:
        actions = self.segmenter.step(window.samples, window.probability, window.stamp_ns)
        found: list[Utterance] = []
        while actions:
            action = actions.pop(0)
            if isinstance(action, Probe):
                actions += self.segmenter.resolve(action.id, self._probe_sync(action))
            elif isinstance(action, SpeechBegan):
                self.emit(SpeechStarted(action.stamp_ns))
            else:
                found.append(action)
        self.engine.shopper_speaking(self.segmenter.in_speech)
        return found

    def _probe_sync(self, probe: Probe) -> ProbeAnswer:
        if probe.kind == "text":
            return _heard(self.stt.start(probe.audio, self.engine.stt_prompt).result())
        return self.turn_model.probability(probe.audio) if self.turn_model else 0.5

    def _answer_sync(self, turn: _Turn) -> None:
        self.emit(StatusChanged("thinking"))
        result = self._run_turn(turn)
        if result is None:
            return
        self._announce(result)
        handed = time.monotonic_ns()
        handle = self.speaker.play(result.reply_audio, result.reply_rate)
        if isinstance(handle, PlayHandle):
            handle.finished.wait()
        self._complete(turn, result, handed)

    # --- full duplex -------------------------------------------------------------------------
    async def _run_duplex(self, stop: threading.Event) -> None:
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._windows: asyncio.Queue[HeardWindow | None] = asyncio.Queue(maxsize=MAX_BACKLOG)
        self._utterances: asyncio.Queue[tuple[Utterance, str] | None] = asyncio.Queue(maxsize=2)
        self._finished = asyncio.Event()
        self._models = ThreadPoolExecutor(1, thread_name_prefix="turn-model")
        self._turns = ThreadPoolExecutor(1, thread_name_prefix="turn")
        reader = threading.Thread(target=self._read, args=(stop,), name="mic", daemon=True)
        reader.start()
        answering = asyncio.create_task(self._answer_turns())
        try:
            while not self._finished.is_set():
                window = await self._windows.get()
                if window is None or stop.is_set():
                    break
                self._on_window(window)
            if not stop.is_set():
                await self._quiet_tail()
            await self._utterances.put(None)
            await answering
        finally:
            self._finished.set()
            self.mic.close()
            clear = getattr(self.speaker, "clear", None)
            if stop.is_set() and clear is not None:
                clear()
            for pool in (self._models, self._turns):
                pool.shutdown(wait=False, cancel_futures=True)

    async def _quiet_tail(self) -> None:
        """The mic ended (a file): let a question still being decided finish, as if the room
        had gone quiet, for at most `TAIL_S`."""
        for window in self._silence(self._last_ns):
            if not self.segmenter.in_speech or self._finished.is_set():
                return
            await asyncio.sleep(WINDOW_S)
            self._on_window(window)

    def _silence(self, after_ns: int) -> list[HeardWindow]:
        count = int(TAIL_S / WINDOW_S)
        step = int(WINDOW_S * 1e9)
        quiet = np.zeros(WINDOW, np.float32)
        return [
            HeardWindow(quiet, 0.0, after_ns + (i + 1) * step, False, -120.0) for i in range(count)
        ]

    def _read(self, stop: threading.Event) -> None:
        """The mic's own thread: each block through the front end, whole windows onto the
        loop's bounded queue."""
        try:
            for block in self.mic.blocks():
                if stop.is_set() or self._finished.is_set():
                    break
                windows: list[HeardWindow | None] = list(self.front.feed(block))
                if windows:
                    self._post(windows)
        except Exception:  # a mic that is not resilient, or the front end: end, do not hang
            log.exception("listening failed (the microphone or the front end)")
        finally:
            self._post([None])

    def _post(self, windows: list[HeardWindow | None]) -> None:
        """Hand windows to the loop's thread; once the loop has closed, nobody reads them."""
        try:
            self._loop.call_soon_threadsafe(self._offer, windows)
        except RuntimeError:
            if not self._loop.is_closed():
                raise

    def _offer(self, windows: list[HeardWindow | None]) -> None:
        for window in windows:
            if self._windows.full():  # the loop is seconds behind: drop the oldest window
                self._windows.get_nowait()
                self.stats.windows_dropped += 1
                if self.stats.windows_dropped % 100 == 1:
                    log.warning("listening fell %d windows behind: dropping audio", MAX_BACKLOG)
            self._windows.put_nowait(window)

    def _on_window(self, window: HeardWindow) -> None:
        lag = (time.monotonic_ns() - window.stamp_ns) / 1e6
        self.stats.max_lag_ms = max(self.stats.max_lag_ms, lag)
        self._last_ns = window.stamp_ns
        self._quiet_windows = 0 if window.playing else self._quiet_windows + 1
        if window.playing:
            self._last_playing_ns = window.stamp_ns + int(WINDOW_S * 1e9)
        self._playing = self._quiet_windows * 32 < self.options.echo_tail_ms
        self._level(window)
        levels = self.double_talk.step(window) if self.double_talk else Verdict.UNSURE
        self._notice_the_room()
        if self._hold is not None:  # also once its turn has ended, which lets the hold go
            self._confirm(self._hold, window)
        elif self._turn is not None and self.options.barge_in:
            self._watch_barge_in(window, levels)
        self._handle(self.segmenter.step(self._heard(window), window.probability, window.stamp_ns))
        self.engine.shopper_speaking(self.segmenter.in_speech)

    def _notice_the_room(self) -> None:
        trusted = self.double_talk is not None and self.double_talk.linear_armed
        if trusted and not self._room_trusted and self.room_learned is not None:
            self.room_learned()
        self._room_trusted = trusted

    def _heard(self, window: HeardWindow) -> np.ndarray:
        """What STT hears of `window`. While the kiosk's voice may be in it, that is what the
        converged linear canceller left, not AEC3's output: AEC3 suppresses the start of a
        shopper talking over the kiosk, and tiny.en hears "I find the memories" in it where
        the linear residue gives "Where can I find the AI batteries?" (`kiosk bench audio`)."""
        detector = self.double_talk
        if window.linear is None or detector is None or not self._playing:
            return window.samples
        return window.linear if detector.linear_armed else window.samples

    def _handle(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, Probe):
                self._start_probe(action)
            elif isinstance(action, SpeechBegan):
                # over the kiosk's own voice, or while a hold weighs what came over it, it may
                # be echo: only a barge-in confirms it
                over_reply = self._playing or self._hold is not None
                self._speech_from_playback = over_reply and not self._barged
                if not self._speech_from_playback and not self._barged:
                    self.emit(SpeechStarted(action.stamp_ns))
            else:
                self._on_utterance(action)

    def _start_probe(self, probe: Probe) -> None:
        future: Future[Any]
        if probe.kind == "text":
            future = self.stt.start(probe.audio, self.engine.stt_prompt)
        elif self.turn_model is not None:
            future = self._models.submit(self.turn_model.probability, probe.audio)
        else:
            return
        older = self._probes.get(probe.kind)
        if older is not None:
            older.cancel()  # not started yet: the newer audio makes it moot
        self._probes[probe.kind] = future

        def arrived(done: Future[Any]) -> None:
            if done.cancelled() or done.exception() is not None:
                return
            value = done.result()
            if probe.kind == "text":
                value = _heard(value)
            if not self._loop.is_closed():  # else the loop has ended: the answer is moot
                self._loop.call_soon_threadsafe(self._resolve, probe.id, value)

        future.add_done_callback(arrived)

    def _resolve(self, probe_id: int, value: ProbeAnswer) -> None:
        if not self._finished.is_set():
            self._handle(self.segmenter.resolve(probe_id, value))

    def _on_utterance(self, utterance: Utterance) -> None:
        self._barged = False
        suspect, self._speech_from_playback = self._speech_from_playback, False
        tail_ns = self.options.echo_tail_ms * 1_000_000
        judged_ns = self._judged_not_shopper_ns
        if self._hold is not None:  # the speech under it ended before confirming it
            judged_ns = max(judged_ns, utterance.end_ns)
        echo_until_ns = max(self._last_playing_ns + tail_ns, judged_ns)
        outlasted = utterance.end_ns > echo_until_ns  # echo cannot do that
        if suspect and not outlasted:
            self.stats.echo_utterances_dropped += 1
            log.info("speech heard over the kiosk's own voice, never confirmed: dropped")
            return
        if self._carry is not None:
            gap_s = (utterance.start_ns - self._carry.end_ns) / 1e9
            if gap_s <= self.options.merge_within_s:
                self.stats.merged += 1
                utterance = Utterance(
                    np.concatenate([self._carry.audio, utterance.audio]),
                    self._carry.start_ns,
                    utterance.end_ns,
                    utterance.cut,
                    utterance.decided_ns,
                    utterance.reason,
                )
            self._carry = None
        if self._utterances.full():
            self._utterances.get_nowait()  # only the newest question matters
        self._utterances.put_nowait((utterance, self._reply_text if suspect else ""))

    def _watch_barge_in(self, window: HeardWindow, levels: Verdict) -> None:
        """`levels`: the double-talk detector's word on this window."""
        options = self.options
        if not holds_speaker(window, levels, options):
            self._barge_run.clear()
            return
        self._barge_run.append(window.stamp_ns)
        needed = max(1, round(self.options.barge_in_ms / 32))
        if len(self._barge_run) < needed:
            return
        onset, heard_ns = self._barge_run[0], window.stamp_ns + int(WINDOW_S * 1e9)
        self._barge_run.clear()
        hold_speaker = getattr(self.speaker, "hold", None)
        turn = self._turn
        if hold_speaker is None or turn is None or turn.cancel.is_set():
            self.stats.barge_in_heard_ns.append(heard_ns)
            self._barge_in(onset)
            return
        hold_speaker(options.barge_in_hold_ms / 1000)
        self.stats.barge_in_held += 1
        threshold, floor = options.barge_in_threshold, options.barge_in_min_dbfs
        self.stats.held_by_double_talk += not speech_over_reply(window, threshold, floor)
        until = heard_ns + options.barge_in_hold_ms * 1_000_000
        self._hold = _Hold(turn, onset, heard_ns, time.monotonic_ns(), until, window.ungated_dbfs)

    def _confirm(self, hold: _Hold, window: HeardWindow) -> None:
        """While the speaker is held: the shopper's speech goes on, or the hold lapses."""
        options = self.options
        if hold.turn is not self._turn or hold.turn.cancel.is_set():
            self._hold = None
            self._release()
            return
        floor = max(options.barge_in_min_dbfs, hold.level_dbfs - options.barge_in_confirm_drop_db)
        if window.playing:
            hold.quiet_since_ns = 0
        elif not hold.quiet_since_ns:
            hold.quiet_since_ns = window.stamp_ns
        settle_ns = options.echo_tail_ms * 1_000_000
        settled = bool(hold.quiet_since_ns) and window.stamp_ns >= hold.quiet_since_ns + settle_ns
        if (
            settled
            and window.probability >= options.barge_in_confirm_threshold
            and window.ungated_dbfs >= floor
        ):
            hold.speech += 1
            if hold.speech >= options.barge_in_confirm_windows:
                self._hold = None
                self.stats.barge_in_heard_ns.append(hold.heard_ns)
                self._barge_in(hold.onset_ns, hold.held_ns)
                return
        quiet = settled and window.probability < options.barge_in_release_below
        hold.silent = hold.silent + 1 if quiet else 0
        released = 0 < options.barge_in_release_windows <= hold.silent
        end_ns = window.stamp_ns + int(WINDOW_S * 1e9)
        if end_ns >= hold.until_ns or released:
            self._hold = None
            self._judged_not_shopper_ns = end_ns
            self.stats.barge_in_resumed += 1
            self.stats.resumed_after_ms.append((end_ns - hold.heard_ns) / 1e6)
            self._release()
            log.info("speech over the kiosk was not confirmed: the reply goes on")

    def _release(self) -> None:
        release = getattr(self.speaker, "release", None)
        if release is not None:
            release()

    def _barge_in(self, onset_ns: int, silenced_ns: int = 0) -> None:
        """Stop the reply; `silenced_ns` is when a hold already silenced the speaker."""
        turn = self._turn
        self._barge_run.clear()
        if turn is None or turn.cancel.is_set():
            return
        turn.cancel.set()
        clear = getattr(self.speaker, "clear", None)
        if clear is not None:
            clear()
        cleared_ns = time.monotonic_ns()
        self.stats.barge_ins += 1
        self.stats.barge_in_ms.append(((silenced_ns or cleared_ns) - onset_ns) / 1e6)
        self._speech_from_playback = False  # the speech in progress is the shopper's
        self._barged = True
        if not any(h.started_ns for h in turn.handles):
            self._carry = turn.utterance  # nothing was heard yet: the shopper is still asking
        log.info("barge-in: reply stopped")
        self.emit(SpeechStarted(onset_ns))

    async def _answer_turns(self) -> None:
        while True:
            asked = await self._utterances.get()
            if asked is None:
                return
            turn = _Turn(*asked)
            self._turn = turn
            try:
                await self._answer_duplex(turn)
            except Exception:
                log.exception("turn failed; listening again")
            finally:
                self._turn = None
            if turn.cancel.is_set():
                continue
            self.emit(StatusChanged("listening"))
            if self._done():
                self._finished.set()
                self.mic.close()
                return

    async def _answer_duplex(self, turn: _Turn) -> None:
        self.emit(StatusChanged("thinking"))
        result = await self._loop.run_in_executor(self._turns, self._run_turn, turn)
        if result is None:
            return
        if turn.cancel.is_set():
            self._cut_short(turn, result)
            return
        play = self.speaker.play
        if not turn.handles and result.reply_audio.size:  # not streamed as it was made
            handle = play(result.reply_audio, result.reply_rate)
            if isinstance(handle, PlayHandle):
                turn.handles.append(handle)
        self._announce(result)
        total = sum(h.seconds for h in turn.handles)
        while not all(h.done for h in turn.handles) and not turn.cancel.is_set():
            played = sum(h.played_s for h in turn.handles)
            self.emit(ReplyProgress(played, total))
            await asyncio.sleep(self.options.progress_every_s)
        interrupted = turn.cancel.is_set() or any(h.cut for h in turn.handles)
        played = sum(h.played_s for h in turn.handles)
        self.emit(ReplyProgress(played, total, done=True, interrupted=interrupted))
        started = [h.started_ns for h in turn.handles if h.started_ns]
        self._complete(turn, result, min(started) if started else 0, interrupted)

    # --- one turn ----------------------------------------------------------------------------
    def _run_turn(self, turn: _Turn) -> TurnResult | None:
        """On the turn thread: the engine answers; each clause is queued as it is made."""
        play = self.speaker.play
        streaming = self.full_duplex

        def tap(chunk: SpeechChunk) -> None:
            if turn.cancel.is_set():
                raise TurnCancelled
            if streaming:
                handle = play(chunk.samples, chunk.sample_rate)
                if isinstance(handle, PlayHandle):
                    turn.handles.append(handle)

        if turn.over_reply and self._heard_own_reply(turn):
            return None
        token = speech_tap.set(tap)
        try:
            u = turn.utterance
            return self.engine.run(u.audio, trim=False, ended_ns=u.end_ns)
        except TurnCancelled:
            return None
        finally:
            speech_tap.reset(token)

    def _heard_own_reply(self, turn: _Turn) -> bool:
        """The transcript (the speculative one, which the engine then reuses) is a stretch of
        the reply the speech started over: the room still ringing with it, not a question."""
        heard = self.stt.peek(turn.utterance.audio, self.engine.stt_prompt)
        if not echoes_reply(heard.text, turn.over_reply):
            return False
        self.stats.own_reply_dropped += 1
        log.info("heard a stretch of the kiosk's own reply: dropped")
        return True

    def _cut_short(self, turn: _Turn, result: TurnResult) -> None:
        """The shopper talked over a reply that was still being made. If any of it was heard,
        the turn is done (interrupted) and goes to the turn log; if none was, it is forgotten:
        its question is asked again with what the shopper is adding."""
        started = [h.started_ns for h in turn.handles if h.started_ns]
        if started:
            self._complete(turn, result, min(started), interrupted=True)

    def _announce(self, result: TurnResult) -> None:
        timings = " ".join(f"{k}={v:.0f}ms" for k, v in result.timings_ms.items())
        log.info("turn route=%s (%s) %s", result.decision.route, result.decision.reason, timings)
        self._reply_text = result.reply_text
        self.emit(UserSaid(result.transcript))
        shelf_id = result.shelf.id if result.shelf else None
        audio_s = len(result.reply_audio) / result.reply_rate if result.reply_rate else 0.0
        self.emit(
            ReplyStarted(
                result.reply_text,
                result.decision.route,
                result.decision.reason,
                shelf_id,
                result.timings_ms,
                audio_s,
            )
        )
        if shelf_id:
            self.emit(PointToShelf(shelf_id))
        self.emit(StatusChanged("speaking"))

    def _complete(
        self, turn: _Turn, result: TurnResult, first_audio_ns: int, interrupted: bool = False
    ) -> None:
        """End of speech to the first reply audio reaching the speaker. A file mic read faster
        than real time has no such clock: the engine's processing time stands in."""
        ended = turn.utterance.end_ns
        latency = (first_audio_ns - ended) / 1e6 if first_audio_ns and ended else None
        self.turns_done += 1
        self.results.append(result)
        if not self.max_turns and len(self.results) > KEEP_RESULTS:
            del self.results[0]
        self.emit(result.completed(latency if latency and latency > 0 else None, interrupted))

    def _done(self) -> bool:
        return bool(self.max_turns) and self.turns_done >= self.max_turns

    def _level(self, window: HeardWindow) -> None:
        self._windows_seen += 1
        if self._windows_seen % self.options.level_every == 0:
            self.emit(AudioLevel(window.probability, window.rms_dbfs))
