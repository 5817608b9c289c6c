"""A linear echo canceller of our own, for telling a shopper from the kiosk's echo.

AEC3 (`edge.echo`) cancels well, but its suppressor treats the first 100-800 ms of a shopper
talking over the kiosk as echo now and then, so its output is a poor witness of double talk.
This canceller only subtracts its estimate of the echo and never suppresses: what it leaves is
the shopper at full level plus a residue 25-35 dB under the echo once it has converged (on the
simulated paths of `kiosk bench audio`). `edge.doubletalk` reads that residue; nothing the
shopper or STT hears passes through here.

The filter is a partitioned-block frequency-domain NLMS (overlap-save, constrained gradient)
over `taps_ms` of playback, normalised per frequency bin by the reference's power across the
partitions. Two copies of it guard against double talk: the background filter adapts on every
block and may be pulled off course by a shopper's voice; the foreground filter, whose residue
is the output, takes the background's weights only while they cancel better, and hands them
back when the background has clearly diverged. A foreground that leaves more than the
microphone heard for 300 ms (the echo path changed under it) is forgotten rather than let add
echo.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RATE = 16000


@dataclass(frozen=True)
class LinearEchoOptions:
    block: int = 160
    """Samples per update (10 ms): the front end hands over multiples of it."""
    taps_ms: float = 400.0
    """How much playback the filter spans: the loudspeaker-to-microphone delay (device buffers
    included) plus the room's ringing."""
    step: float = 1.0
    """NLMS step size (0-2); 1 converges in about 4 s of the kiosk speaking."""
    regularization: float = 1e-5
    """Per sample of the filter's span: keeps quiet bins from taking huge steps."""
    smoothing: float = 0.7
    """Memory of the residue energies that the two filters are compared by, per block."""
    take_below: float = 0.8
    """The foreground takes the background's weights when its residue is this much smaller."""
    reset_above: float = 8.0
    """The background takes the foreground's weights back when its residue is this much
    larger: it adapted on someone's voice."""
    worse_above: float = 4.0
    """A foreground whose residue is this much louder than the microphone itself (6 dB) for
    `worse_blocks` blocks in a row adds echo instead of taking it away: the echo path changed
    under it (the speaker turned down, the kiosk moved). It is forgotten: the residue is the
    microphone until the background has learned the new path. A filter a few samples off (the
    clocks slipped) leaves up to 3 dB more, and relearns faster from where it is."""
    worse_blocks: int = 30
    """A converged filter leaves more than the microphone for a few blocks in the tail of a
    loud word, and at the start of a reply until its echo comes back (up to 200 ms through a
    sound server's buffers)."""
    added_floor_db: float = -40.0
    """A residue this far under the playback is never taken for added echo."""
    active_dbfs: float = -80.0
    """The background adapts only on blocks where the speaker played at least this loud."""
    lead: int = 32
    """Samples (2 ms) the microphone is held back against the reference. The filter is
    causal: an echo that the reference's time stamps place even a sample before its sound
    played cannot be cancelled. Through PulseAudio, a speaker's underrun left the two clocks
    agreeing to within 2-13 samples, the wrong way: the canceller made the echo 3 dB louder,
    and with 16 samples of lead it took 20-30 dB off again. The residue is this much late."""


class LinearEchoCanceller:
    def __init__(self, options: LinearEchoOptions | None = None) -> None:
        self.options = o = options or LinearEchoOptions()
        self._block = o.block
        self._parts = int(np.ceil(o.taps_ms * RATE / 1000 / o.block))
        bins = o.block + 1
        self._spectra = np.zeros((self._parts, bins), np.complex64)
        self._background = np.zeros((self._parts, bins), np.complex64)
        self._foreground = np.zeros((self._parts, bins), np.complex64)
        self._previous = np.zeros(o.block, np.float32)
        self._held = np.zeros(o.lead, np.float32)
        self._delta = o.regularization * 2 * o.block * self._parts
        self._active = o.block * 10 ** (o.active_dbfs / 10)
        self._background_energy = 0.0
        self._foreground_energy = 0.0
        self._mic_energy = self._reference_energy = 0.0
        self._added_floor = 10 ** (o.added_floor_db / 10)
        self._worse = 0
        """Blocks in a row that the foreground left more than the microphone heard."""

    def weights(self) -> np.ndarray:
        """The echo path it answers with (partitions x bins, complex), to keep across restarts."""
        return self._foreground.copy()

    def restore(self, weights: np.ndarray) -> None:
        """Start from an echo path learned before, by a canceller with the same options."""
        expected = self._foreground.shape
        if weights.shape != expected or not np.iscomplexobj(weights):
            raise ValueError(f"an echo path of {expected} complex weights, not {weights.shape}")
        if not np.isfinite(weights).all():
            raise ValueError("the echo path holds NaN or infinite weights")
        self._foreground = weights.astype(np.complex64)
        self._background = self._foreground.copy()
        self._background_energy = self._foreground_energy = 0.0
        self._mic_energy = self._reference_energy = 0.0
        self._worse = 0

    def process(self, mic: np.ndarray, reference: np.ndarray) -> np.ndarray:
        """The microphone, held back `lead` samples, minus the estimated echo of `reference`;
        both 16 kHz float, the same length, a multiple of `block`."""
        n = self._block
        if len(mic) != len(reference) or len(mic) % n:
            raise ValueError(f"mic and reference must be equal multiples of {n} samples")
        if self.options.lead:
            joined = np.concatenate([self._held, np.asarray(mic, np.float32)])
            mic, self._held = joined[: len(mic)], joined[len(mic) :]
        out = np.empty(len(mic), np.float32)
        for at in range(0, len(mic), n):
            out[at : at + n] = self._step(
                np.asarray(mic[at : at + n], np.float32),
                np.asarray(reference[at : at + n], np.float32),
            )
        return out

    def _step(self, mic: np.ndarray, reference: np.ndarray) -> np.ndarray:
        o = self.options
        self._spectra = np.roll(self._spectra, 1, axis=0)
        self._spectra[0] = np.fft.rfft(np.concatenate([self._previous, reference]))
        self._previous = reference
        background: np.ndarray = mic - self._estimate(self._background)
        foreground: np.ndarray = mic - self._estimate(self._foreground)
        active = float(np.dot(reference, reference)) > self._active
        if active:
            self._adapt(background)
        self._background_energy = self._smoothed(self._background_energy, background)
        self._foreground_energy = self._smoothed(self._foreground_energy, foreground)
        self._mic_energy = self._smoothed(self._mic_energy, mic)
        self._reference_energy = self._smoothed(self._reference_energy, reference)
        floor = self._added_floor * self._reference_energy + self._active
        worse = self._foreground_energy > o.worse_above * self._mic_energy + floor
        self._worse = self._worse + 1 if worse else 0
        if self._worse >= o.worse_blocks:
            self._foreground[:] = 0
            self._foreground_energy, self._worse = self._mic_energy, 0
            return mic
        if active and self._background_energy < o.take_below * self._foreground_energy:
            self._foreground = self._background.copy()
            self._foreground_energy = self._background_energy
            return background
        if self._background_energy > o.reset_above * self._foreground_energy:
            self._background = self._foreground.copy()
            self._background_energy = self._foreground_energy
        return foreground

    def _smoothed(self, energy: float, residue: np.ndarray) -> float:
        keep = self.options.smoothing
        return keep * energy + (1 - keep) * float(np.dot(residue, residue))

    def _estimate(self, weights: np.ndarray) -> np.ndarray:
        spectrum = (weights * self._spectra).sum(axis=0)
        estimate: np.ndarray = np.fft.irfft(spectrum)[self._block :]
        return estimate

    def _adapt(self, residue: np.ndarray) -> None:
        n = self._block
        error = np.fft.rfft(np.concatenate([np.zeros(n), residue]))
        x = self._spectra
        power = (x.real**2 + x.imag**2).sum(axis=0) + self._delta
        gradient = np.fft.irfft(np.conj(x) * (self.options.step * error / power), axis=1)
        gradient[:, n:] = 0.0  # the constraint: a filter of `block` taps per partition
        self._background += np.fft.rfft(gradient, axis=1)


__all__ = ["LinearEchoCanceller", "LinearEchoOptions"]
