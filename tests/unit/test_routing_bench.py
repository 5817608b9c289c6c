from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.bench.routing import default_set_dir, load_manifest, summarise
from kiosk.errors import KioskError

pytestmark = pytest.mark.unit


def _row(expected: str, route: str, shelf: str | None, want: str | None, **kw: object) -> dict:  # type: ignore[type-arg]
    row = {
        "file": "x.wav",
        "engine": kw.get("engine", "piper"),
        "expected_route": expected,
        "expected_shelf": want,
        "route": route,
        "shelf": shelf,
        "clarified": False,
        "route_ok": route == expected,
        "shelf_ok": None if shelf is None else shelf == want,
        "first_audio_ms": kw.get("ms", 500.0),
        "timings_ms": {"stt": 300.0, "route": 1.0, "tts_first_audio": 199.0},
    }
    if route == "local":
        row["warm_first_audio_ms"] = 301.0
    return row


def test_summary_figures() -> None:
    rows = [
        _row("local", "local", "A5-L", "A5-L", ms=400.0),
        _row("local", "local", "D1", "P2", ms=600.0),  # a wrong shelf
        _row("local", "cloud", None, "P1", engine="espeak-ng"),
        _row("cloud", "cloud", None, None),
    ]
    summary = summarise(rows)
    assert summary["route_accuracy"] == 0.75
    assert summary["shelf_accuracy"] == 0.5 and summary["wrong_shelf"] == 1
    assert summary["local_share"] == 0.5 and summary["local_recall"] == pytest.approx(1 / 3, 1e-3)
    assert summary["local"]["p50_ms"] == 500.0 and summary["local_prewarmed"]["n"] == 2
    assert summary["by_engine"]["espeak-ng"] == {"n": 1, "route_accuracy": 0.0}


def test_the_committed_set_is_labelled_and_small() -> None:
    folder = default_set_dir()
    entries = load_manifest(folder)
    assert len(entries) >= 60
    local = [e for e in entries if e["expect"]["route"] == "local"]
    assert all(e["expect"]["shelf"] for e in local)
    assert len(local) / len(entries) >= 0.7
    assert len({e["voice"] for e in entries}) >= 3 and len({e["speed"] for e in entries}) >= 3
    size = sum((folder / e["file"]).stat().st_size for e in entries)
    assert size < 6_000_000
    header = (folder / entries[0]["file"]).read_bytes()[:44]
    assert int.from_bytes(header[24:28], "little") == 16000 and header[22] == 1  # 16 kHz mono


def test_a_missing_set_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KioskError, match="routing set not found"):
        load_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"nope": 1}))
    with pytest.raises(KioskError, match="not a routing-set manifest"):
        load_manifest(tmp_path)
