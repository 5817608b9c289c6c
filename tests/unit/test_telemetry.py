from __future__ import annotations

import json
import sqlite3
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from kiosk.cli import main
from kiosk.config import TelemetrySettings
from kiosk.events import StatusChanged, TurnCompleted
from kiosk.state import state_dir
from kiosk.telemetry.metrics import MetricsServer, TurnMetrics
from kiosk.telemetry.recorder import open_telemetry
from kiosk.telemetry.redact import redact
from kiosk.telemetry.stats import daily_stats
from kiosk.telemetry.turnlog import FILE_NAME, TurnLog

pytestmark = pytest.mark.unit
DAY = 86400.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my card is 4111 1111 1111 1111 thanks", "my card is [card] thanks"),
        ("card 4111-1111-1111-1111", "card [card]"),
        ("call me on (555) 123-4567", "call me on [phone]"),
        ("my number is +44 20 7946 0958", "my number is [phone]"),
        ("write to ann.lee+shop@example.co.uk please", "write to [email] please"),
        ("it's ann dot lee at example dot com", "it's [email]"),
        ("four one one one two two two two three", "[number]"),
        ("the AA batteries are 9.99, in aisle 5", "the AA batteries are 9.99, in aisle 5"),
        ("Advil 200 mg, 100 tablets for 12.99", "Advil 200 mg, 100 tablets for 12.99"),
    ],
)
def test_redaction(text: str, expected: str) -> None:
    assert redact(text) == expected


def _turn(route: str = "local", latency: float | None = 350.0, **kw: object) -> TurnCompleted:
    defaults: dict[str, object] = {
        "transcript": "where are the AA batteries",
        "reason": "locate: catalog match",
        "intent": "locate",
        "shelf_id": "A5-L" if route == "local" else None,
        "reply_text": "The Duracell AA batteries are in aisle 5.",
        "timings_ms": {"stt": 250.0, "route": 1.0, "tts_first_audio": 99.0},
        "latency_ms": latency,
    }
    defaults.update(kw)
    return TurnCompleted(route=route, **defaults)  # type: ignore[arg-type]


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_turn_log_stores_redacted_turns_and_expires_them(tmp_path: Path) -> None:
    clock = Clock(1_800_000_000.0)
    log = TurnLog(tmp_path / FILE_NAME, ttl_days=7, clock=clock)
    log.record(_turn(transcript="charge 4111 1111 1111 1111 and mail me at a@b.io"))
    clock.now += 3 * DAY
    log.record(
        _turn(
            "cloud",
            900.0,
            tokens={"prompt": 700, "response": 80, "total": 780},
            interrupted=True,
            error=None,
            timings_ms={"stt": 300.0, "cloud": 600.0},
        )
    )
    [first, second] = log.turns()
    assert first.transcript == "charge [card] and mail me at [email]"
    assert first.route == "local" and first.shelf == "A5-L" and first.latency_ms == 350.0
    assert first.timings == {"stt": 250.0, "route": 1.0, "tts_first_audio": 99.0}
    assert second.tokens == 780 and second.interrupted
    raw = sqlite3.connect(str(tmp_path / FILE_NAME)).execute("SELECT transcript FROM turns")
    assert all("4111" not in row[0] for row in raw)
    clock.now += 5 * DAY  # the first turn is now 8 days old
    assert log.purge() == 1
    assert [t.route for t in log.turns()] == ["cloud"]
    log.close()


def test_state_dir_prefers_config_then_systemd_then_xdg(tmp_path: Path) -> None:
    assert state_dir(tmp_path) == tmp_path
    assert state_dir(None, {"STATE_DIRECTORY": "/var/lib/kiosk"}) == Path("/var/lib/kiosk")
    assert state_dir(None, {"XDG_STATE_HOME": "/x"}) == Path("/x/kiosk")


def test_metrics_are_served_on_loopback_in_prometheus_text() -> None:
    metrics = TurnMetrics()
    metrics.observe(_turn())
    metrics.observe(_turn("cloud", 1200.0, tokens={"total": 500}, interrupted=True))
    metrics.observe(_turn("fallback", None, error="socket dropped"))
    server = MetricsServer(metrics, 0)
    try:
        assert server.url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(server.url, timeout=5) as response:
            text = response.read().decode()
    finally:
        server.close()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples[("kiosk_turns_total", (("route", "local"),))] == 1
    assert samples[("kiosk_turns_total", (("route", "cloud"),))] == 1
    assert samples[("kiosk_cloud_tokens_total", ())] == 500
    assert samples[("kiosk_interruptions_total", ())] == 1
    assert samples[("kiosk_turn_errors_total", ())] == 1
    bucket = ("kiosk_turn_latency_seconds_bucket", (("le", "0.4"), ("route", "local")))
    assert samples[bucket] == 1
    with pytest.raises(ValueError, match="loopback"):
        MetricsServer(metrics, 0, host="0.0.0.0")


def test_daily_stats() -> None:
    base = 1_800_000_000.0
    log_rows = []
    for i, (route, latency) in enumerate(
        [("local", 300.0), ("local", 400.0), ("cloud", 1000.0), ("local", 500.0)]
    ):
        log_rows.append(_row(base + i, route, latency, tokens=700 if route == "cloud" else 0))
    log_rows.append(_row(base + DAY, "fallback", None))
    days = daily_stats(log_rows)
    assert [d["turns"] for d in days] == [4, 1]
    first = days[0]
    assert first["local_share"] == 0.75 and first["tokens"] == 700
    assert first["p50_ms"] == 450.0 and first["local_p50_ms"] == 400.0


def _row(at: float, route: str, latency: float | None, tokens: int = 0):  # type: ignore[no-untyped-def]
    from kiosk.telemetry.turnlog import TurnRow

    return TurnRow(
        at, route, "r", "", "voice", "", "", None, None, latency, {}, tokens, False, None
    )


def test_recorder_and_stats_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    telemetry = open_telemetry(TelemetrySettings(state_dir=tmp_path))
    telemetry(StatusChanged("thinking"))  # not a turn: ignored
    telemetry(_turn())
    telemetry(_turn("cloud", 1500.0, tokens={"total": 321}))
    telemetry.close()
    assert main(["stats", "--state-dir", str(tmp_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["total"]["turns"] == 2 and report["total"]["local_share"] == 0.5
    assert report["total"]["tokens"] == 321
    assert main(["stats", "--state-dir", str(tmp_path), "--turns", "5"]) == 0
    table = capsys.readouterr().out
    assert "local%" in table and "50.0%" in table
    turn_lines = [line for line in table.splitlines() if "locate: catalog match" in line]
    assert len(turn_lines) == 2 and "stt=250" in turn_lines[0]
    assert "AA batteries" not in table  # the turn list never shows what was said
    assert main(["stats", "--state-dir", str(tmp_path / "none")]) == 1
    assert "no turn log yet" in capsys.readouterr().err
