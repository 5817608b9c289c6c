"""Cutting a voice graph in two and decoding it in pieces, on small hand-built graphs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from edge.errors import ModelLoadError
from edge.vits import PieceOptions, SplitVits, quiet_cut

HOP = 8


def _voice(path: Path, decoder_reads_ids: bool = False) -> Path:
    """A graph shaped like Piper's: the 'phoneme ids' become one latent frame each (their
    value), and a `/dec/` transposed convolution turns each frame into HOP samples of it."""
    nodes = [
        helper.make_node("Cast", ["input"], ["/Cast_output_0"], name="/Cast", to=1),
        helper.make_node("Unsqueeze", ["/Cast_output_0", "axes"], ["/Mul_7_output_0"], name="/U"),
        helper.make_node(
            "ConvTranspose",
            ["/Mul_7_output_0", "dec.w"],
            ["/dec/up_output_0"],
            name="/dec/up",
            strides=[HOP],
        ),
        helper.make_node("Tanh", ["/dec/up_output_0"], ["/dec/Tanh_output_0"], name="/dec/Tanh"),
        helper.make_node("Unsqueeze", ["/dec/Tanh_output_0", "axes"], ["output"], name="/Out"),
    ]
    if decoder_reads_ids:  # a second way into the decoder: no single cut
        nodes[3] = helper.make_node(
            "Add", ["/dec/up_output_0", "/Cast_output_0"], ["/dec/Tanh_output_0"], name="/dec/A"
        )
    graph = helper.make_graph(
        nodes,
        "voice",
        [
            helper.make_tensor_value_info("input", TensorProto.INT64, [1, "n"]),
            helper.make_tensor_value_info("input_lengths", TensorProto.INT64, [1]),
            helper.make_tensor_value_info("scales", TensorProto.FLOAT, [3]),
        ],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, None)],
        initializer=[
            helper.make_tensor("axes", TensorProto.INT64, [1], [1]),
            helper.make_tensor("dec.w", TensorProto.FLOAT, [1, 1, HOP], [1.0] * HOP),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


def test_the_pieces_make_the_whole_and_end_in_the_quiet(tmp_path: Path) -> None:
    options = PieceOptions(first_frames=(4, 10), lead_frames=4, frames=(6, 12), quiet_window=4)
    vits = SplitVits(_voice(tmp_path / "v.onnx"), options)
    ids = [0] * 3 + ([1] * 5 + [0]) * 8  # silence, then words with a quiet frame between
    latents = vits.latents(ids, (0.667, 1.0, 0.8))
    assert latents.shape == (1, 1, len(ids))
    whole = vits.decode(latents)
    assert whole.size == len(ids) * HOP

    pieces = list(vits.pieces(latents, onset_floor=0.1))

    assert np.array_equal(np.concatenate(pieces), whole)
    first_loud = 3 * HOP
    assert 4 * HOP <= pieces[0].size - first_loud <= 10 * HOP  # counted from the first word
    ends = np.cumsum([p.size for p in pieces])[:-1]
    assert all(abs(whole[end]) < 0.1 and abs(whole[end - 1]) < 0.1 for end in ends)
    assert all(6 * HOP <= p.size <= 12 * HOP + 6 * HOP for p in pieces[1:])


def test_a_piece_that_is_all_silence_comes_out_whole(tmp_path: Path) -> None:
    vits = SplitVits(_voice(tmp_path / "v.onnx"), PieceOptions(lead_frames=0))
    latents = vits.latents([0] * 30, (0.667, 1.0, 0.8))
    pieces = list(vits.pieces(latents, onset_floor=0.1))
    assert [p.size for p in pieces] == [30 * HOP]
    assert list(vits.pieces(latents[:, :, :0])) == []


def test_a_graph_with_no_single_cut_is_refused_by_name(tmp_path: Path) -> None:
    path = _voice(tmp_path / "odd.onnx", decoder_reads_ids=True)
    with pytest.raises(ModelLoadError, match=r"odd\.onnx: no single cut"):
        SplitVits(path)
    with pytest.raises(ModelLoadError, match=r"missing\.onnx"):
        SplitVits(tmp_path / "missing.onnx")


def test_the_cut_is_at_the_quietest_point_in_range() -> None:
    audio = np.ones(100, np.float32)
    audio[40:44] = 0.0
    audio[90:] = 0.0
    assert 40 <= quiet_cut(audio, 20, 60, 3) <= 43
    assert quiet_cut(audio, 45, 500, 3) >= 90  # the range is clamped to the audio
    assert quiet_cut(audio, 70, 70, 3) == 70


def test_a_file_that_is_not_onnx_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "voice.onnx"
    path.write_bytes(b"not a model")
    with pytest.raises(ModelLoadError, match=r"voice\.onnx: does not load as ONNX"):
        SplitVits(path)


def test_the_cut_graphs_are_kept_and_used_at_the_next_start(tmp_path: Path) -> None:
    voice, kept = _voice(tmp_path / "v.onnx"), tmp_path / "kept"
    ids = [0, 1, 1, 0]
    first = SplitVits(voice, cache_dir=kept)
    before = first.decode(first.latents(ids, (0.667, 1.0, 0.8)))
    (folder,) = kept.iterdir()
    assert sorted(p.name for p in folder.iterdir()) == [
        "decoder.onnx",
        "encoder.onnx",
        "latent.txt",
    ]

    # a kept decoder that says every frame twice as loud proves the next start reads it
    decoder = onnx.load_from_string((folder / "decoder.onnx").read_bytes())
    (weights,) = [w for w in decoder.graph.initializer if w.name == "dec.w"]
    weights.CopyFrom(helper.make_tensor("dec.w", TensorProto.FLOAT, [1, 1, HOP], [2.0] * HOP))
    (folder / "decoder.onnx").write_bytes(decoder.SerializeToString())
    again = SplitVits(voice, cache_dir=kept)
    louder = again.decode(again.latents(ids, (0.667, 1.0, 0.8)))
    assert np.allclose(louder, np.tanh(2 * np.arctanh(before)), atol=1e-5)

    # kept graphs that do not load are cut again from the voice, and kept anew
    (folder / "encoder.onnx").write_bytes(b"torn")
    healed = SplitVits(voice, cache_dir=kept)
    assert np.allclose(healed.decode(healed.latents(ids, (0.667, 1.0, 0.8))), before)
    assert (folder / "encoder.onnx").stat().st_size > 4


def test_a_cache_that_cannot_be_written_only_costs_the_cut(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should go")
    vits = SplitVits(_voice(tmp_path / "v.onnx"), cache_dir=blocker)
    assert vits.decode(vits.latents([1, 1], (0.667, 1.0, 0.8))).size == 2 * HOP


def test_fetching_the_models_cuts_the_voices_so_the_first_start_does_not(tmp_path: Path) -> None:
    from kiosk.models import ModelCache, ModelFile, ModelSpec

    def spec(model_id: str, role: str) -> ModelSpec:
        files = (ModelFile(f"{model_id}.onnx", "0" * 64),)
        return ModelSpec(model_id, role, "pypi", "pkg", "1", "MIT", files)

    manifest = [
        spec("joe", "text to speech"),
        spec("odd", "text to speech"),
        spec("vad", "voice activity detection"),
        spec("absent", "text to speech"),
    ]
    cache = ModelCache(tmp_path / "models", manifest)
    for model_id in ("joe", "odd", "vad"):
        (cache.root / model_id).mkdir(parents=True)
    _voice(cache.root / "joe" / "joe.onnx")
    _voice(cache.root / "odd" / "odd.onnx", decoder_reads_ids=True)
    _voice(cache.root / "vad" / "vad.onnx")  # not a voice: left alone

    first = cache.prepare_voices()
    assert first[0] == "joe: voice graphs cut and kept"
    assert first[1].startswith("odd: voice graphs not cut, said a clause at a time:")
    assert "odd.onnx: no single cut" in first[1]
    assert len(first) == 2
    (folder,) = cache.voice_graphs.iterdir()
    assert folder.name.startswith("joe-")
    assert cache.prepare_voices()[0] == "joe: voice graphs kept already"

    # the kiosk's start reads what was kept: a kept decoder made silent is what it plays
    decoder = onnx.load_from_string((folder / "decoder.onnx").read_bytes())
    (weights,) = [w for w in decoder.graph.initializer if w.name == "dec.w"]
    weights.CopyFrom(helper.make_tensor("dec.w", TensorProto.FLOAT, [1, 1, HOP], [0.0] * HOP))
    (folder / "decoder.onnx").write_bytes(decoder.SerializeToString())
    vits = SplitVits(cache.root / "joe" / "joe.onnx", cache_dir=cache.voice_graphs)
    assert not vits.decode(vits.latents([1, 1], (0.667, 1.0, 0.8))).any()
