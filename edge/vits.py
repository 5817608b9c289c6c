"""Piper's VITS voice cut in two, so a sentence's audio is decoded a piece at a time.

A Piper voice is one ONNX graph: the text encoder, duration predictor and flow turn phonemes
into latent frames (one per 256 samples), and HiFi-GAN (the nodes named `/dec/...`) turns
those frames into audio. The decoder is about 60% of a sentence's time and only looks a few
frames either side, so `SplitVits` runs the encoder once and then decodes the frames in pieces,
each with `context_frames` of context either side: the shopper hears the first piece after the
encoder and one short decode, instead of after the whole sentence. Eight frames of context
match the whole decode to about 60 dB.

Each piece ends at the quietest point in its allowed range (between words, or in a stop's
closure): the speaker resamples each piece on its own, and a cut through a loud vowel would
click where the pieces meet.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.errors import ModelLoadError
from edge.onnx import open_session

log = logging.getLogger(__name__)
DECODER_PREFIX = "/dec/"
INPUTS = ("input", "input_lengths", "scales")


@dataclass(frozen=True)
class PieceOptions:
    first_frames: tuple[int, int] = (8, 20)
    """Where the first piece may end, in latent frames from the first word's onset (about
    0.09-0.23 s at 22.05 kHz): short, so it is ready soon."""
    lead_frames: int = 12
    """Frames decoded beyond `first_frames` at first, for the silence Piper puts before the
    first word (about 0.1 s)."""
    frames: tuple[int, int] = (32, 64)
    """The same for every later piece: decoded far ahead of the speaker."""
    context_frames: int = 8
    """Frames decoded either side of a piece and dropped."""
    quiet_window: int = 64
    """Samples over which the cut point's loudness is measured."""


class SplitVits:
    """A Piper VITS graph as an encoder session and a decoder session."""

    def __init__(
        self,
        model_path: Path,
        options: PieceOptions | None = None,
        threads: int = 2,
        cache_dir: Path | None = None,
    ) -> None:
        """`cache_dir` keeps the two graphs once cut (cutting takes about a second at every
        start otherwise), in a folder named after the voice file's size and time."""
        self.options = options or PieceOptions()
        self._threads = threads
        model_path = Path(model_path)
        kept = _kept_folder(model_path, cache_dir)
        cut = _read_kept(kept) if kept is not None else None
        if cut is not None:
            try:
                self._open(model_path, cut)
                return
            except ModelLoadError as exc:
                log.warning("%s: the kept graphs do not load, cutting again: %s", kept, exc)
        cut = _split(model_path)
        self._open(model_path, cut)
        if kept is not None:
            _keep(kept, cut)

    def _open(self, model_path: Path, cut: Cut) -> None:
        """Two sessions that run in turn: neither spins after its run, or it would take the
        CPU from the other (that doubled the first audio on 2 cores)."""
        encoder, decoder, self._latent = cut
        self._encoder, self._decoder = (
            open_session(model_path, self._threads, graph=graph, spinning=False)
            for graph in (encoder, decoder)
        )

    def latents(self, phoneme_ids: Sequence[int], scales: Sequence[float]) -> np.ndarray:
        """The sentence's latent frames, [1, channels, frames]."""
        ids = np.asarray([phoneme_ids], dtype=np.int64)
        feeds = {
            "input": ids,
            "input_lengths": np.asarray([ids.shape[1]], dtype=np.int64),
            "scales": np.asarray(scales, dtype=np.float32),
        }
        return np.asarray(self._encoder.run(None, feeds)[0], dtype=np.float32)

    def decode(self, latents: np.ndarray, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Audio (float, -1..1) of frames [start, stop), decoded with context either side."""
        frames = latents.shape[2]
        stop = frames if stop is None else min(stop, frames)
        lo = max(0, start - self.options.context_frames)
        hi = min(frames, stop + self.options.context_frames)
        out = self._decoder.run(None, {self._latent: np.ascontiguousarray(latents[:, :, lo:hi])})
        audio = np.asarray(out[0], dtype=np.float32).reshape(-1)
        hop = audio.size // max(1, hi - lo)
        return audio[(start - lo) * hop : (stop - lo) * hop]

    def pieces(self, latents: np.ndarray, onset_floor: float = 0.0) -> Iterator[np.ndarray]:
        """The sentence's audio in pieces that end at quiet points (see `PieceOptions`). The
        first piece's bounds count from the first sample louder than `onset_floor`."""
        o = self.options
        frames = latents.shape[2]
        if not frames:
            return
        decoded = min(frames, o.first_frames[1] + o.lead_frames)
        pending = self.decode(latents, 0, decoded)
        hop = pending.size // decoded
        bounds, origin = o.first_frames, _onset(pending, onset_floor)
        while True:
            shortest, longest = bounds[0] * hop, bounds[1] * hop
            if decoded < frames and (origin is None or pending.size < origin + longest):
                stop = min(frames, decoded + bounds[1])
                pending = np.concatenate([pending, self.decode(latents, decoded, stop)])
                decoded = stop
                if origin is None:
                    origin = _onset(pending, onset_floor)
                continue
            ends_soon = origin is None or pending.size <= origin + longest + shortest
            if decoded >= frames and ends_soon:  # no piece shorter than `shortest` is left
                if pending.size:
                    yield pending
                return
            assert origin is not None
            cut = quiet_cut(pending, origin + shortest, origin + longest, o.quiet_window)
            yield pending[:cut]
            pending = pending[cut:]
            bounds, origin = o.frames, 0


def _onset(audio: np.ndarray, floor: float) -> int | None:
    """The first sample louder than `floor`; None when there is none yet."""
    loud = np.flatnonzero(np.abs(audio) > floor)
    return int(loud[0]) if loud.size else None


def quiet_cut(audio: np.ndarray, shortest: int, longest: int, window: int) -> int:
    """The sample in [shortest, longest] (clamped to the audio) where the audio around it is
    quietest, by the energy of the `window` samples centred on it."""
    longest = min(longest, audio.size)
    shortest = min(max(0, shortest), longest)
    if longest - shortest <= 1:
        return longest
    energy = np.convolve(np.square(audio, dtype=np.float64), np.ones(window), mode="same")
    return shortest + int(np.argmin(energy[shortest:longest]))


Cut = tuple[bytes, bytes, str]
"""The encoder graph, the decoder graph, and the name of the latent tensor between them."""


def keep_cut(model_path: Path, cache_dir: Path) -> bool:
    """Cut the voice and keep its graphs in `cache_dir` now (at install), so that the first
    start reads them instead of cutting. False when they were kept already. Raises
    ModelLoadError when the voice does not cut (it is then said a clause at a time)."""
    kept = _kept_folder(Path(model_path), cache_dir)
    if kept is None:
        raise ModelLoadError(f"{model_path}: no such voice file")
    if _read_kept(kept) is not None:
        return False
    _keep(kept, _split(Path(model_path)))
    return True


def _kept_folder(model_path: Path, cache_dir: Path | None) -> Path | None:
    if cache_dir is None or not model_path.is_file():
        return None
    stat = model_path.stat()
    return cache_dir / f"{model_path.stem}-{stat.st_size}-{stat.st_mtime_ns}"


def _read_kept(folder: Path) -> Cut | None:
    try:
        latent = (folder / "latent.txt").read_text(encoding="utf-8").strip()
        return (
            (folder / "encoder.onnx").read_bytes(),
            (folder / "decoder.onnx").read_bytes(),
            latent,
        )
    except OSError:
        return None


def _keep(folder: Path, cut: Cut) -> None:
    """Write the cut graphs to `folder` whole or not at all (a new folder renamed into place)."""
    partial = folder.with_name(f"{folder.name}.{os.getpid()}.partial")
    try:
        shutil.rmtree(folder, ignore_errors=True)  # kept graphs that did not load
        partial.mkdir(parents=True, exist_ok=True)
        (partial / "encoder.onnx").write_bytes(cut[0])
        (partial / "decoder.onnx").write_bytes(cut[1])
        (partial / "latent.txt").write_text(cut[2] + "\n", encoding="utf-8")
        partial.rename(folder)
    except OSError as exc:
        log.warning("%s: cannot keep the cut voice graphs (%s): cut at every start", folder, exc)
        shutil.rmtree(partial, ignore_errors=True)


def _split(model_path: Path) -> Cut:
    """The encoder and decoder graphs of a Piper voice, and the latent tensor between them.
    Raises ModelLoadError when the graph does not cut cleanly there (a voice exported some
    other way, or one with speakers, whose decoder also reads a speaker embedding)."""
    import onnx
    from onnx.utils import Extractor

    if not model_path.is_file():
        raise ModelLoadError(f"{model_path}: Piper voice missing (run `kiosk models fetch`)")
    try:
        model = onnx.load(str(model_path))
    except Exception as exc:  # protobuf's DecodeError, or an OSError
        raise ModelLoadError(f"{model_path}: does not load as ONNX: {exc}") from exc
    graph = model.graph
    made_by = {out: node.name for node in graph.node for out in node.output}
    decoder = [node for node in graph.node if node.name.startswith(DECODER_PREFIX)]
    inside = {out for node in decoder for out in node.output}
    entries = {
        name
        for node in decoder
        for name in node.input
        if name in made_by and not made_by[name].startswith(DECODER_PREFIX)
    }
    read_after = {
        name
        for node in graph.node
        if not node.name.startswith(DECODER_PREFIX)
        for name in node.input
        if name in inside
    } | ({o.name for o in graph.output} & inside)
    if not decoder or len(entries) != 1 or len(read_after) != 1:
        raise ModelLoadError(
            f"{model_path}: no single cut between encoder and decoder ({len(decoder)} decoder "
            f"nodes, {len(entries)} tensors into it, {len(read_after)} out of it)"
        )
    if [i.name for i in graph.input] != list(INPUTS):
        raise ModelLoadError(f"{model_path}: inputs are not Piper's {', '.join(INPUTS)}")
    (latent,) = entries
    (audio,) = read_after
    try:
        known = {info.name for info in graph.value_info}
        if not {latent, audio} <= known:  # Piper's exports carry them; shape inference is 0.5 s
            model = onnx.shape_inference.infer_shapes(model)
        extractor = Extractor(model)
        encoder = extractor.extract_model(list(INPUTS), [latent]).SerializeToString()
        decoder_graph = extractor.extract_model([latent], [audio]).SerializeToString()
    except (ValueError, onnx.shape_inference.InferenceError) as exc:
        raise ModelLoadError(f"{model_path}: cannot cut at {latent}: {exc}") from exc
    return encoder, decoder_graph, latent
