"""End-of-turn model: Smart Turn v3.2 (ONNX) on Whisper log-mel features, numpy only.

The model takes the last 8 s of the turn at 16 kHz (zero-padded at the front when shorter) as
80 Whisper log-mel bands x 800 frames and returns the probability that the speaker has finished
their turn. Pipecat calls the turn complete above 0.5. The features are computed here the way
Whisper's feature extractor computes them (waveform normalised to zero mean and unit variance,
400-point periodic Hann window, hop 160, centred with reflection, Slaney mel filters, log10
clamped to 8 below the maximum, then (x + 4) / 4), without torch or transformers.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from edge.onnx import open_session

SAMPLE_RATE = 16000
WINDOW_S = 8
N_FFT = 400
HOP = 160
N_MELS = 80
N_FRAMES = WINDOW_S * SAMPLE_RATE // HOP  # 800


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    linear = 3.0 * hz / 200.0
    log = 15.0 + np.log(np.maximum(hz, 1e-9) / 1000.0) * (27.0 / np.log(6.4))
    return np.where(hz >= 1000.0, log, linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    linear = 200.0 * mel / 3.0
    log = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0))
    return np.where(mel >= 15.0, log, linear)


@lru_cache(maxsize=1)
def mel_filters() -> np.ndarray:
    """Slaney-normalised triangular filters, shape (N_MELS, N_FFT // 2 + 1)."""
    edges = _mel_to_hz(np.linspace(_hz_to_mel(np.array(0.0)), _hz_to_mel(np.array(8000.0)), 82))
    bins = np.linspace(0.0, SAMPLE_RATE / 2, N_FFT // 2 + 1)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins[None, :] - lower) / (centre - lower)
    falling = (upper - bins[None, :]) / (upper - centre)
    triangles = np.maximum(0.0, np.minimum(rising, falling))
    filters: np.ndarray = (triangles * (2.0 / (upper - lower))).astype(np.float32)
    return filters


@lru_cache(maxsize=1)
def _hann() -> np.ndarray:
    return np.hanning(N_FFT + 1)[:-1].astype(np.float32)


def fit_window(audio: np.ndarray) -> np.ndarray:
    """The last 8 s of `audio`, zero-padded at the front when shorter."""
    samples = np.asarray(audio, dtype=np.float32).reshape(-1)
    size = WINDOW_S * SAMPLE_RATE
    if len(samples) >= size:
        return samples[-size:]
    return np.concatenate([np.zeros(size - len(samples), np.float32), samples])


def log_mel_features(audio: np.ndarray) -> np.ndarray:
    """Whisper log-mel features of exactly 8 s of 16 kHz audio: float32 (80, 800)."""
    x = fit_window(audio).astype(np.float64)
    x = (x - x.mean()) / np.sqrt(x.var() + 1e-7)
    padded = np.pad(x, N_FFT // 2, mode="reflect").astype(np.float32)
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP]
    spectrum = np.fft.rfft(frames * _hann(), axis=-1)
    power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
    mel = np.maximum(mel_filters() @ power.T, 1e-10)
    log = np.log10(mel)[:, :N_FRAMES]
    log = np.maximum(log, log.max() - 8.0)
    features: np.ndarray = ((log + 4.0) / 4.0).astype(np.float32)
    return features


class SmartTurn:
    """P(turn complete) for the audio of a turn so far, trailing silence included."""

    threshold = 0.5
    """Pipecat's line between complete and incomplete."""

    def __init__(self, model_path: Path, threads: int = 1) -> None:
        self._session = open_session(model_path, threads=threads)
        self._input = self._session.get_inputs()[0].name

    def probability(self, audio: np.ndarray) -> float:
        features = log_mel_features(audio)[None]
        out = self._session.run(None, {self._input: features})[0]
        return float(np.asarray(out).reshape(-1)[0])


__all__ = ["SmartTurn", "fit_window", "log_mel_features", "mel_filters"]
