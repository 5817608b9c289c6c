"""Privacy promises as tests: transcripts in the turn log are redacted, turns older than the
TTL are gone (from the file's bytes too, not just from queries), no turn is lost while the
disk is full, and the API key never reaches a log line, whatever logs it at whatever level."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.cloud.budget import TokenBudget
from kiosk.cloud.client import GeminiLiveClient, LiveSettings
from kiosk.events import TurnCompleted
from kiosk.logsafe import MASK
from kiosk.store.catalog import Catalog
from kiosk.store.pack import demo_store_path, load_store
from kiosk.telemetry.metrics import TurnMetrics
from kiosk.telemetry.recorder import Telemetry
from kiosk.telemetry.turnlog import FILE_NAME, TurnLog

pytestmark = pytest.mark.unit
DAY = 86400.0


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _turn(
    transcript: str, reply: str = "It's in aisle 5.", error: str | None = None
) -> TurnCompleted:
    return TurnCompleted(
        transcript=transcript, route="local", reason="locate", reply_text=reply, error=error
    )


def _bytes_on_disk(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.glob(FILE_NAME + "*")))


def test_expired_turns_leave_the_file_not_just_the_queries(tmp_path: Path) -> None:
    clock = Clock(1_700_000_000.0)
    log = TurnLog(tmp_path / FILE_NAME, ttl_days=7, clock=clock)
    for i in range(40):
        log.record(_turn(f"expiring question number {i} about sunscreen"))
    assert b"expiring question" in _bytes_on_disk(tmp_path)
    clock.now += 8 * DAY
    log.record(_turn("a fresh question"))  # a running kiosk purges as it goes (hourly)
    assert [r.transcript for r in log.turns()] == ["a fresh question"]
    assert b"expiring question" not in _bytes_on_disk(tmp_path), "not in the database or its WAL"
    log.close()


def test_a_kiosk_started_after_a_long_stop_purges_at_once(tmp_path: Path) -> None:
    clock = Clock(1_700_000_000.0)
    log = TurnLog(tmp_path / FILE_NAME, ttl_days=1, clock=clock)
    log.record(_turn("from last week"))
    log.close()
    clock.now += 7 * DAY
    reopened = TurnLog(tmp_path / FILE_NAME, ttl_days=1, clock=clock)
    assert reopened.turns() == []
    assert b"from last week" not in _bytes_on_disk(tmp_path)
    reopened.close()


separators = st.sampled_from([" ", "-", "", "."])


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    groups = [draw(st.text(alphabet="0123456789", min_size=4, max_size=4)) for _ in range(4)]
    return draw(separators).join(groups)


@st.composite
def phone_numbers(draw: st.DrawFn) -> str:
    area = draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    rest = draw(st.text(alphabet="0123456789", min_size=7, max_size=7))
    style = draw(st.sampled_from(["({a}) {b}-{c}", "{a}-{b}-{c}", "{a} {b} {c}", "+1 {a} {b}{c}"]))
    return style.format(a=area, b=rest[:3], c=rest[3:])


emails = st.builds(
    "{}@{}.{}".format,
    st.from_regex(r"[a-z][a-z0-9.]{0,10}", fullmatch=True),
    st.from_regex(r"[a-z]{2,10}", fullmatch=True),
    st.sampled_from(["com", "co.uk", "org"]),
)
fillers = st.sampled_from(["my card is", "call me on", "please email", "it's", "ok", ""])


@settings(
    deadline=None, max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    fillers,
    st.one_of(card_numbers(), phone_numbers(), emails),
    st.sampled_from(["transcript", "reply", "error"]),
)
def test_numbers_and_addresses_never_reach_the_turn_log(
    tmp_path: Path, filler: str, secret: str, where: str
) -> None:
    text = f"{filler} {secret} thanks".strip()
    turn = _turn(
        text if where == "transcript" else "hello",
        text if where == "reply" else "hi",
        text if where == "error" else None,
    )
    path = tmp_path / f"{abs(hash((filler, secret, where)))}.sqlite3"
    log = TurnLog(path)
    Telemetry(log, TurnMetrics())(turn)
    [row] = log.turns()
    log.close()
    stored = " ".join([row.transcript, row.reply, row.error or ""])
    if "@" in secret:
        assert secret not in stored
    else:
        assert re.sub(r"\D", "", secret) not in re.sub(r"\D", "", stored)


def test_turns_wait_in_memory_while_the_disk_is_full_and_keep_their_time(tmp_path: Path) -> None:
    clock = Clock(1_700_000_000.0)
    log = TurnLog(tmp_path / FILE_NAME, clock=clock)
    telemetry = Telemetry(log, TurnMetrics())
    telemetry(_turn("before the disk filled"))
    db = log._db  # a full disk, as SQLite sees one: SQLITE_FULL on the next page
    db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0]}")
    for i in range(30):
        clock.now += 60.0
        telemetry(_turn(f"while full {i} " + "x" * 400))
    written = len(log.turns())
    assert written < 31, "the disk really was full"
    db.execute("PRAGMA max_page_count = 1073741823")  # space again
    clock.now += 3600.0
    telemetry(_turn("after"))
    rows = log.turns()
    assert [r.transcript for r in rows][-1] == "after"
    assert len(rows) == 32, "no turn lost"
    held = [r for r in rows if r.transcript.startswith("while full")]
    assert [r.at for r in held] == sorted(r.at for r in held)
    assert all(r.at < clock.now - 3000 for r in held), "written with the time they happened"
    assert telemetry.dropped == 0
    log.close()


def test_the_api_key_is_masked_in_every_log_line(caplog: pytest.LogCaptureFixture) -> None:
    key = "AIzaSy-privacy-test-key-0123456789"
    catalog = Catalog(load_store(demo_store_path()))
    client = GeminiLiveClient(
        catalog, key, LiveSettings(base_url="https://127.0.0.1:9"), TokenBudget(10)
    )
    client.close()
    chatty = logging.getLogger("websockets.client")
    with caplog.at_level(logging.DEBUG):
        chatty.debug("> %s: %s", "x-goog-api-key", key)  # what websockets logs at DEBUG
        try:
            raise RuntimeError(f"refused: {key}")
        except RuntimeError:
            logging.getLogger("kiosk.cloud").exception("connect failed")
    text = caplog.text
    assert key not in text
    assert f"x-goog-api-key: {MASK}" in text and f"refused: {MASK}" in text
