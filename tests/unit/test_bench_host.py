"""A benchmark names the host it ran on: figures move with the CPU and the packages' kernels."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.bench.host import cpu_model, describe, machine, package_versions

pytestmark = pytest.mark.unit


def test_the_cpu_and_the_instruction_sets_that_pick_int8_kernels_are_read(tmp_path: Path) -> None:
    x86 = tmp_path / "x86"
    x86.write_text(
        "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse avx avx2 fma\n\n"
        "processor\t: 1\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse avx avx2 fma\n"
    )
    assert cpu_model(x86) == ("AMD EPYC", ["avx2"])
    arm = tmp_path / "arm"
    arm.write_text("processor\t: 0\nFeatures\t: fp asimd asimddp crc32\nCPU part\t: 0xd42\n")
    model, flags = cpu_model(arm)
    assert flags == ["asimd", "asimddp"] and model  # a Jetson names no model: the machine's


def test_a_package_that_is_not_installed_is_named_missing() -> None:
    versions = package_versions(("numpy", "no-such-package-here"))
    assert versions["no-such-package-here"] == "missing"
    assert versions["numpy"][0].isdigit()


def test_the_report_line_names_the_cpu_and_the_timed_packages() -> None:
    line = describe(machine())
    assert "CPUs" in line and "onnxruntime" in line and "ctranslate2" in line
