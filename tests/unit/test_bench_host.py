"""A benchmark names the host it ran on: figures move with the CPU and the packages' kernels."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.bench.host import (
    cpu_model,
    cpu_ticks,
    describe,
    finish,
    machine,
    package_versions,
    steal_pct,
)

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


def test_the_time_a_shared_host_stole_is_its_share_of_all_ticks(tmp_path: Path) -> None:
    stat = tmp_path / "stat"
    stat.write_text("cpu  100 0 50 800 10 0 0 40 0 0\ncpu0 50 0 25 400 5 0 0 20 0 0\n")
    assert cpu_ticks(stat) == (40, 1000)
    assert steal_pct((40, 1000), (90, 1200)) == 25.0
    assert steal_pct(None, (90, 1200)) is None
    assert cpu_ticks(tmp_path / "absent") is None


def test_a_finished_report_says_what_the_run_cost_the_host() -> None:
    host = machine()
    finish(host)
    assert "load_avg_1m_at_end" in host and "steal_pct" in host
    assert "stolen by the hypervisor" in describe(host) or host["steal_pct"] is None
