"""onnxruntime session creation shared by the edge stages."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import onnxruntime as ort

from edge.errors import ModelLoadError


def open_session(
    path: Path, threads: int = 1, providers: Sequence[str] = ("CPUExecutionProvider",)
) -> ort.InferenceSession:
    """Open an ONNX model on the first of `providers` that this onnxruntime build has."""
    if not Path(path).is_file():
        raise ModelLoadError(f"{path}: model file not found (run `kiosk models fetch`)")
    available = set(ort.get_available_providers())
    chosen = [p for p in providers if p in available] or ["CPUExecutionProvider"]
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), sess_options=options, providers=chosen)
    except Exception as exc:  # onnxruntime raises bare RuntimeError subclasses
        raise ModelLoadError(f"{path}: does not load as ONNX: {exc}") from exc
