"""What a benchmark ran on: the CPU and the versions of the packages whose kernels it times.

Figures move with both. The same code and models took 92-115 ms per Whisper decode on one
2-core host and 180-390 ms on another (an AMD EPYC without AVX-512), and the int8 kernels of
the two gave different words. So every report names its host and its packages.
"""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

TIMED_PACKAGES = (
    "numpy",
    "onnxruntime",
    "ctranslate2",
    "faster-whisper",
    "piper-tts",
    "livekit",
    "soxr",
    "sounddevice",
    "opencv-python-headless",
)
"""The packages whose code the benchmarks time."""

_CPU_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "asimd", "asimddp")
"""Instruction sets that decide which int8 kernels run."""


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> tuple[str, list[str]]:
    """The CPU's model name and those of `_CPU_FLAGS` it has, from `cpuinfo` (Linux)."""
    model, flags = "", set[str]()
    try:
        lines = cpuinfo.read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    for line in lines:
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key in ("model name", "hardware", "cpu model") and not model:
            model = value.strip()
        elif key in ("flags", "features") and not flags:
            flags = set(value.split())
    return model or platform.processor() or platform.machine(), [
        f for f in _CPU_FLAGS if f in flags
    ]


def package_versions(names: tuple[str, ...] = TIMED_PACKAGES) -> dict[str, str]:
    """Installed versions; "missing" for a package that is not installed."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "missing"
    return versions


def cpu_ticks(stat: Path = Path("/proc/stat")) -> tuple[int, int] | None:
    """(ticks stolen by the hypervisor, all ticks) since boot, over every CPU; None off Linux."""
    try:
        fields = stat.read_text(encoding="utf-8").splitlines()[0].split()
    except (OSError, IndexError):
        return None
    if fields[:1] != ["cpu"] or len(fields) < 9:
        return None
    ticks = [int(f) for f in fields[1:9]]  # user nice system idle iowait irq softirq steal
    return ticks[7], sum(ticks)


def steal_pct(since: tuple[int, int] | None, now: tuple[int, int] | None = None) -> float | None:
    """The share of CPU time a virtual machine's host took for others since `since`. Two runs
    of the same code on one shared host differed by 30-50% in Whisper's decode times; this
    says whether neighbours were the reason."""
    now = now or cpu_ticks()
    if since is None or now is None or now[1] <= since[1]:
        return None
    return round(100 * (now[0] - since[0]) / (now[1] - since[1]), 1)


def machine() -> dict[str, Any]:
    """The host, for a report's "machine" key."""
    model, flags = cpu_model()
    return {
        "cpu": model,
        "cpu_flags": flags,
        "cpus": os.cpu_count(),
        "arch": platform.machine(),
        "load_avg_1m_at_start": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "packages": package_versions(),
        "cpu_ticks_at_start": cpu_ticks(),
    }


def finish(machine: dict[str, Any]) -> None:
    """Add what the run cost the host: its load at the end, and the CPU time stolen."""
    start = machine.get("cpu_ticks_at_start")
    machine["load_avg_1m_at_end"] = round(os.getloadavg()[0], 2)
    machine["steal_pct"] = steal_pct((start[0], start[1]) if start else None)


def describe(machine: dict[str, Any]) -> str:
    """One line for a printed report."""
    flags = ", ".join(machine.get("cpu_flags") or []) or "no AVX2/NEON dot-product flags"
    packages = " ".join(f"{k} {v}" for k, v in machine.get("packages", {}).items())
    cpu = f"{machine['cpu']} ({machine['cpus']} CPUs; {flags})"
    steal = machine.get("steal_pct")
    stolen = "" if steal is None else f", {steal}% of CPU time stolen by the hypervisor"
    return f"{cpu}, load {machine['load_avg_1m_at_start']} at the start{stolen}; {packages}"
