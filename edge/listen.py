"""The listening front end: microphone blocks in, clean 32 ms windows with a speech probability
out. Echo cancellation (with what the speaker was playing as its reference) runs first. Silero
hears the cancelled audio after the residual gate, so echo residue cannot look like speech; the
window's samples (what STT will hear) are the cancelled audio before the gate, so the first
syllable of a shopper talking over the kiosk is not cut. A second Silero stream (`barge_vad`)
hears the cancelled audio before the gate: the gate cannot tell the first 30-60 ms of a shopper
talking over the kiosk from echo residue and closes on them, and Silero, fed near silence,
then needs a window or two more to rise, so the barge-in watch listens to both streams.
Bad input is made harmless here: NaNs and infinities become silence, samples are clipped to
[-1, 1] and a DC offset is removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from edge.audio_io import AudioBlock
from edge.clock import DelayLockedLoop
from edge.echo import FRAME, EchoCanceller, ResidualGate
from edge.linear_echo import LinearEchoCanceller
from edge.timeline import NS_PER_SAMPLE, PlaybackTimeline
from edge.vad import SAMPLE_RATE, WINDOW

RESYNC_NS = 100_000_000
"""A block whose stamp is this far from where the previous one ended starts a new time base."""
ECHO_REACH_NS = 300_000_000
"""How long ago a sound can have been played and still echo in a window: the loopback delay
of the sound card and the room's direct path (about 60-150 ms), and its early reflections."""


class StreamingVad(Protocol):
    def process(self, block: np.ndarray) -> np.ndarray: ...

    def reset(self) -> None: ...


@dataclass(frozen=True)
class HeardWindow:
    samples: np.ndarray = field(repr=False)
    """512 samples at 16 kHz, echo removed."""
    probability: float
    stamp_ns: int
    """Capture time of the first sample."""
    playing: bool
    """The speaker was playing while this window was captured."""
    rms_dbfs: float
    ungated_probability: float = 0.0
    """Speech probability of the cancelled audio before the residual gate: the second stream's
    when one runs, else `probability` itself (nothing gates the audio)."""
    mic_dbfs: float = -120.0
    """Level of the microphone before echo cancellation."""
    reference_dbfs: float = -120.0
    """Level of the loudest 32 ms the speaker played within `ECHO_REACH_NS` before the window
    ended: the loudest echo that can be in it."""
    linear: np.ndarray | None = field(default=None, repr=False)
    """The microphone minus the linear echo canceller's estimate of the echo
    (`edge.linear_echo`), which never suppresses a shopper; None when none runs."""

    @property
    def ungated_dbfs(self) -> float:
        """Level of the cancelled audio before the residual gate."""
        return _dbfs(self.samples)

    @property
    def linear_dbfs(self) -> float | None:
        return None if self.linear is None else _dbfs(self.linear)


class AudioFrontEnd:
    def __init__(
        self,
        vad: StreamingVad,
        canceller: EchoCanceller | None = None,
        timeline: PlaybackTimeline | None = None,
        gate: ResidualGate | None = None,
        playing_floor_dbfs: float = -55.0,
        barge_vad: StreamingVad | None = None,
        linear: LinearEchoCanceller | None = None,
    ) -> None:
        self.vad = vad
        self.canceller = canceller if timeline is not None else None
        self.timeline = timeline
        self.gate = gate if self.canceller is not None else None
        self.barge_vad = barge_vad if self.gate is not None else None
        self.linear = linear if self.canceller is not None else None
        self._floor = playing_floor_dbfs
        self.reset()

    def reset(self) -> None:
        self.vad.reset()
        if self.barge_vad is not None:
            self.barge_vad.reset()
        self._times = DelayLockedLoop(SAMPLE_RATE, resync_ns=RESYNC_NS)
        self._raw = np.zeros(0, np.float32)
        self._raw_ns = 0.0
        self._clean = np.zeros(0, np.float32)
        self._gated = np.zeros(0, np.float32)
        self._mic = np.zeros(0, np.float32)
        self._linear = np.zeros(0, np.float32)
        self._clean_ns = 0.0
        self._flags = np.zeros(0, bool)
        self._dc: float | None = None

    def feed(self, block: AudioBlock) -> list[HeardWindow]:
        samples = _sanitize(block.samples)
        if not samples.size:
            return []
        start_ns, restarted = self._times.place(block.captured_ns, len(samples))
        spacing = self._times.spacing_ns
        if restarted:  # the first block, or a gap
            self._raw = np.zeros(0, np.float32)
            self._clean, self._flags = np.zeros(0, np.float32), np.zeros(0, bool)
            self._gated, self._mic = np.zeros(0, np.float32), np.zeros(0, np.float32)
            self._linear = np.zeros(0, np.float32)
        self._raw_ns = start_ns - len(self._raw) * spacing
        # a DC offset follows the block means with a 0.25 s time constant
        weight = 1.0 if self._dc is None else 1.0 - np.exp(-len(samples) / (0.25 * SAMPLE_RATE))
        self._dc = float(samples.mean()) * weight + (self._dc or 0.0) * (1.0 - weight)
        self._raw = np.concatenate([self._raw, samples - np.float32(self._dc)])
        usable = len(self._raw) - len(self._raw) % FRAME
        if not usable:
            return []
        chunk, chunk_ns = self._raw[:usable], self._raw_ns
        self._raw = self._raw[usable:]
        self._raw_ns = chunk_ns + usable * spacing
        cleaned, gated = self._cancel(chunk, chunk_ns, spacing)
        return self._windows(chunk, cleaned, gated, chunk_ns, spacing)

    def _cancel(
        self, chunk: np.ndarray, start_ns: float, spacing_ns: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """(cancelled, cancelled and gated)."""
        if self.timeline is None:
            self._flags = np.concatenate([self._flags, np.zeros(len(chunk), bool)])
            return chunk, chunk
        # at the microphone's own spacing: its clock is not the speaker's (edge.clock)
        reference = self.timeline.read_at(start_ns, len(chunk), spacing_ns)
        playing = [
            _dbfs(reference[i : i + FRAME]) > self._floor for i in range(0, len(chunk), FRAME)
        ]
        self._flags = np.concatenate([self._flags, np.repeat(np.array(playing, bool), FRAME)])
        if self.canceller is None:
            return chunk, chunk
        cleaned = self.canceller.process(chunk, reference)
        if self.linear is not None:
            self._linear = np.concatenate([self._linear, self.linear.process(chunk, reference)])
        if self.gate is None:
            return cleaned, cleaned
        return cleaned, self.gate.process(chunk, cleaned, reference)

    def _windows(
        self,
        mic: np.ndarray,
        cleaned: np.ndarray,
        gated: np.ndarray,
        start_ns: float,
        spacing_ns: float,
    ) -> list[HeardWindow]:
        self._clean_ns = start_ns - len(self._clean) * spacing_ns
        self._mic = np.concatenate([self._mic, mic])
        self._clean = np.concatenate([self._clean, cleaned])
        self._gated = np.concatenate([self._gated, gated])
        out = []
        while len(self._clean) >= WINDOW:
            window, self._clean = self._clean[:WINDOW], self._clean[WINDOW:]
            heard, self._gated = self._gated[:WINDOW], self._gated[WINDOW:]
            raw, self._mic = self._mic[:WINDOW], self._mic[WINDOW:]
            linear = None
            if self.linear is not None:
                linear, self._linear = self._linear[:WINDOW], self._linear[WINDOW:]
            playing, self._flags = bool(self._flags[:WINDOW].any()), self._flags[WINDOW:]
            probability = float(self.vad.process(heard)[-1])
            ungated = (
                probability if self.barge_vad is None else float(self.barge_vad.process(window)[-1])
            )
            stamp = round(self._clean_ns)
            out.append(
                HeardWindow(
                    window,
                    probability,
                    stamp,
                    playing,
                    _dbfs(heard),
                    ungated,
                    _dbfs(raw),
                    self._loudest_reference(stamp),
                    linear,
                )
            )
            self._clean_ns += WINDOW * spacing_ns
        return out

    def _loudest_reference(self, stamp_ns: int) -> float:
        if self.timeline is None:
            return -120.0
        reach = ECHO_REACH_NS // NS_PER_SAMPLE
        played = self.timeline.read(stamp_ns - ECHO_REACH_NS, reach + WINDOW).astype(np.float64)
        if not played.any():
            return -120.0
        energy = np.concatenate([[0.0], np.cumsum(played * played)])
        ends = np.arange(len(played), WINDOW - 1, -(WINDOW // 2))  # the last slice: the window
        sums = energy[ends] - energy[ends - WINDOW]
        return 10 * float(np.log10(float(sums.max()) / WINDOW + 1e-12))


def _sanitize(samples: np.ndarray) -> np.ndarray:
    raw = np.asarray(samples)
    if raw.dtype.kind in "iu":  # integer PCM handed over by mistake: scale it, don't clip it
        low, high = int(np.iinfo(raw.dtype).min), int(np.iinfo(raw.dtype).max)
        raw = (raw.astype(np.float64) - (high + low + 1) / 2) / ((high - low + 1) / 2)
    x = np.asarray(raw, dtype=np.float32).reshape(-1)
    if not np.isfinite(x).all():
        x = np.nan_to_num(x, nan=0.0, posinf=1.0, neginf=-1.0)
    return np.clip(x, -1.0, 1.0)


def _dbfs(x: np.ndarray) -> float:
    return 10 * float(np.log10(float(np.mean(np.square(x, dtype=np.float64))) + 1e-12))
