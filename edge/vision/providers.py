"""onnxruntime sessions for the vision models: CPU by default; CUDA and TensorRT when this
onnxruntime build has them and the config asks for them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import onnxruntime as ort

from edge.errors import ModelLoadError

Accelerator = Literal["tensorrt", "cuda", "cpu"]
ORT_NAMES: dict[str, str] = {
    "tensorrt": "TensorrtExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "cpu": "CPUExecutionProvider",
}


@dataclass(frozen=True)
class SessionOptions:
    """How to run a vision model: the wanted providers in order of preference, CPU threads,
    and where TensorRT keeps the engines it builds (building one takes minutes)."""

    providers: tuple[Accelerator, ...] = ("cpu",)
    threads: int = 1
    trt_cache_dir: Path | None = None
    trt_fp16: bool = True


def choose_providers(
    options: SessionOptions, available: Sequence[str] | None = None
) -> list[str | tuple[str, dict[str, Any]]]:
    """The providers to pass to onnxruntime: those wanted that this build has, in order, with
    CPU always last as the fallback for operators an accelerator lacks."""
    have = set(ort.get_available_providers() if available is None else available)
    chosen: list[str | tuple[str, dict[str, Any]]] = []
    for name in options.providers:
        ort_name = ORT_NAMES[name]
        if ort_name not in have or name == "cpu":
            continue
        if name == "tensorrt":
            trt: dict[str, Any] = {"trt_fp16_enable": options.trt_fp16}
            if options.trt_cache_dir is not None:
                trt["trt_engine_cache_enable"] = True
                trt["trt_engine_cache_path"] = str(options.trt_cache_dir)
            chosen.append((ort_name, trt))
        else:
            chosen.append(ort_name)
    chosen.append("CPUExecutionProvider")
    return chosen


def open_vision_session(path: Path, options: SessionOptions) -> ort.InferenceSession:
    if not Path(path).is_file():
        raise ModelLoadError(f"{path}: model file not found (run `kiosk models fetch`)")
    session_options = ort.SessionOptions()
    session_options.intra_op_num_threads = options.threads
    session_options.inter_op_num_threads = 1
    session_options.log_severity_level = 3
    if options.trt_cache_dir is not None:
        options.trt_cache_dir.mkdir(parents=True, exist_ok=True)
    try:
        return ort.InferenceSession(
            str(path), sess_options=session_options, providers=choose_providers(options)
        )
    except Exception as exc:  # onnxruntime raises bare RuntimeError subclasses
        raise ModelLoadError(f"{path}: does not load as ONNX: {exc}") from exc


def active_provider(session: ort.InferenceSession) -> str:
    """The short name of the provider that runs most of the model ('tensorrt', 'cuda', 'cpu')."""
    first = session.get_providers()[0]
    return next((short for short, name in ORT_NAMES.items() if name == first), first)
