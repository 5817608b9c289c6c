"""Double talk told by what the echo cancellers let through, not by what it sounds like.

AEC3 treats the first 100-800 ms of a shopper talking over the kiosk as echo now and then, and
what it lets through is distorted enough that Silero needs several windows to call it speech.
Two witnesses do better.

The linear canceller (`edge.linear_echo`) subtracts its estimate of the echo and suppresses
nothing. Once it has converged on the room, the kiosk's own voice leaves a residue 25-35 dB
under the microphone, and a shopper leaves themselves: a residue at least -40 dBFS (and 10 dB
above its usual floor, the store's noise) that the canceller took down by less than 10 dB is
someone talking, from the shopper's first window; a window it took down by 15 dB or more holds
only the kiosk's echo, whatever Silero hears in it. "Converged" is measured, not assumed: on
the windows that AEC3 took down by `echo_reduction_db` (the kiosk's echo alone), the linear
canceller must have taken the microphone down by `linear_armed_db` at the median. A real
loudspeaker's distortion may keep it from getting there; then it is never listened to.

Until then (the first replies after start-up), the levels around AEC3 decide. A converged AEC3
takes the kiosk's voice down by 15-45 dB. Audio that is loud after cancellation and barely
quieter than the microphone, in a window whose microphone is louder than the echo of this room
has been lately, is someone else talking; so is a microphone well above that echo, whatever the
canceller made of it. "Lately" is learned from the same echo windows, each giving the room's
coupling (the microphone's level against the loudest playback that can echo into it), and the
rule is armed once `min_history` of them have been seen. The coupling works the other way too:
a window whose microphone is well below what the echo of this playback reaches holds nothing
but that echo, so speech Silero hears in it is the kiosk's own voice leaking through AEC3.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import Enum

import numpy as np

from edge.listen import HeardWindow


@dataclass(frozen=True)
class DoubleTalkOptions:
    min_dbfs: float = -35.0
    """Cancelled audio at least this loud: a voice at the kiosk, not chatter across the store."""
    max_reduction_db: float = 12.0
    """The canceller took the microphone down by less than this."""
    echo_reduction_db: float = 15.0
    """A window taken down by at least this much while the speaker played was the echo alone."""
    history: int = 100
    """Echo windows (about 3 s of the kiosk speaking) the coupling is learned from."""
    min_history: int = 10
    reference_floor_dbfs: float = -60.0
    """Only windows with playback this loud within reach teach the coupling."""
    margin_db: float = 0.0
    """How far above the loudest learned coupling the microphone must be."""
    mic_above_echo_db: float = 4.0
    """A microphone at least `min_dbfs` and this far above the loudest learned coupling is
    someone talking even while the canceller suppresses all of it (AEC3 does, for up to
    several hundred ms, at the start of double talk)."""
    echo_below_db: float = 9.0
    """A microphone this far below the loudest learned coupling holds only the kiosk's echo
    (`Verdict.ECHO`): on the replayed loud reverberant path this vetoes 6 of the 9 windows of the
    kiosk's own voice that Silero took for speech, and no shopper's first window."""
    linear_armed_db: float = 20.0
    """The linear canceller's residue is trusted once it takes the learned echo windows down
    by this much at the median (it has converged on this room)."""
    linear_min_dbfs: float = -40.0
    """A residue at least this loud, and mostly not echo, is someone talking at the kiosk."""
    linear_above_floor_db: float = 10.0
    """... and at least this far above the residue's usual floor (the store's own noise)."""
    linear_max_reduction_db: float = 10.0
    """Mostly not echo: the linear canceller took the microphone down by less than this."""
    linear_echo_db: float = 15.0
    """A window the converged linear canceller took down by this much holds only the kiosk's
    echo, whatever Silero hears in it (`Verdict.ECHO`)."""
    floor_windows: int = 300
    """The residue's floor is its 20th percentile over this many windows (about 10 s)."""


class Verdict(Enum):
    SHOPPER = "shopper"
    """Someone is talking over the kiosk."""
    ECHO = "echo"
    """The microphone holds well under what the room's echo of this playback reaches: whatever
    speech is in the window is the kiosk's own voice leaking through the canceller."""
    UNSURE = "unsure"


class DoubleTalkDetector:
    def __init__(self, options: DoubleTalkOptions | None = None) -> None:
        self.options = options or DoubleTalkOptions()
        self._coupling: deque[float] = deque(maxlen=self.options.history)
        self._linear_reduction: deque[float] = deque(maxlen=self.options.history)
        self._residue: deque[float] = deque(maxlen=self.options.floor_windows)
        self._taken_db: float | None = None

    @property
    def linear_taken_db(self) -> float | None:
        """How far the linear canceller takes the kiosk's echo down, at the median of the
        learned echo windows; None before `min_history` of them."""
        return self._taken_db

    @property
    def linear_armed(self) -> bool:
        """The linear canceller has converged on this room: its residue decides."""
        taken = self.linear_taken_db
        return taken is not None and taken >= self.options.linear_armed_db

    def step(self, window: HeardWindow) -> Verdict:
        """What `window` is, by levels alone; then learn from it."""
        o = self.options
        reduction = window.mic_dbfs - window.ungated_dbfs
        coupling = window.mic_dbfs - window.reference_dbfs
        verdict = Verdict.UNSURE
        residue_dbfs = window.linear_dbfs
        if residue_dbfs is not None and self.linear_armed:
            verdict = self._by_residue(window, residue_dbfs)
        elif len(self._coupling) >= o.min_history:
            loudest = max(self._coupling)
            let_through = window.ungated_dbfs >= o.min_dbfs and reduction < o.max_reduction_db
            louder = window.mic_dbfs >= o.min_dbfs and coupling >= loudest + o.mic_above_echo_db
            if (let_through and coupling >= loudest + o.margin_db) or louder:
                verdict = Verdict.SHOPPER
            elif coupling < loudest - o.echo_below_db:
                verdict = Verdict.ECHO
        if window.reference_dbfs > o.reference_floor_dbfs and reduction >= o.echo_reduction_db:
            self._coupling.append(coupling)
            if residue_dbfs is not None:
                self._learn_linear(window.mic_dbfs - residue_dbfs)
        if residue_dbfs is not None:
            self._residue.append(residue_dbfs)
        return verdict

    def _learn_linear(self, taken_db: float) -> None:
        """Once per echo window, not per question: the loop asks `linear_armed` twice a window."""
        learned = self._linear_reduction
        learned.append(taken_db)
        if len(learned) >= self.options.min_history:
            self._taken_db = float(np.median(learned))

    def _by_residue(self, window: HeardWindow, residue_dbfs: float) -> Verdict:
        o = self.options
        taken = window.mic_dbfs - residue_dbfs
        floor = float(np.percentile(self._residue, 20)) if self._residue else -120.0
        loud = residue_dbfs >= max(o.linear_min_dbfs, floor + o.linear_above_floor_db)
        if loud and taken < o.linear_max_reduction_db:
            return Verdict.SHOPPER
        if taken >= o.linear_echo_db:
            return Verdict.ECHO
        return Verdict.UNSURE
