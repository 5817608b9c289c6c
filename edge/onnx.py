"""onnxruntime session creation shared by the edge stages."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import onnxruntime as ort

from edge.errors import ModelLoadError


def open_session(
    path: Path,
    threads: int = 1,
    providers: Sequence[str] = ("CPUExecutionProvider",),
    graph: bytes | None = None,
    spinning: bool = True,
) -> ort.InferenceSession:
    """Open an ONNX model on the first of `providers` that this onnxruntime build has: the file
    at `path`, or `graph` (a model made in memory from it), named by `path` in errors.
    `spinning` False: the thread pool sleeps after a run instead of spinning, so that sessions
    run in turn do not take the CPU from one another."""
    if graph is None and not Path(path).is_file():
        raise ModelLoadError(f"{path}: model file not found (run `kiosk models fetch`)")
    available = set(ort.get_available_providers())
    chosen = [p for p in providers if p in available] or ["CPUExecutionProvider"]
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    if not spinning:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        model = str(path) if graph is None else graph
        return ort.InferenceSession(model, sess_options=options, providers=chosen)
    except Exception as exc:  # onnxruntime raises bare RuntimeError subclasses
        raise ModelLoadError(f"{path}: does not load as ONNX: {exc}") from exc
