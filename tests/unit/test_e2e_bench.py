"""The end-to-end benchmark's own logic: the virtual shopper's timeline, the virtual speaker,
and how a run's records become rows and ratios. Scripted clocks and hand-made records; the
real run is tests/models/test_bench_e2e.py."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from kiosk.bench import e2e_analysis as analysis
from kiosk.bench.virtual_audio import RATE, Director, Plan, Question, VirtualOutput

pytestmark = pytest.mark.unit
BLOCK = 512
BLOCK_NS = BLOCK * 1_000_000_000 // RATE


def _wav(path: Path, seconds: float, amplitude: float = 0.0) -> str:
    samples = np.full(int(seconds * RATE), amplitude, dtype=np.float32)
    with wave.open(str(path), "wb") as wf:
        wf.setnchannels(1)
        wf.setsampwidth(2)
        wf.setframerate(RATE)
        wf.writeframes((samples * 32767).astype("<i2").tobytes())
    return str(path)


@pytest.fixture
def plan(tmp_path: Path) -> Plan:
    questions = tuple(
        Question(
            id=f"q{i}",
            kind="local",
            route="local",
            text=f"question {i}",
            wav=_wav(tmp_path / f"q{i}.wav", 1.0, 0.5),
            speech_end_s=0.8,
            last_piece_s=0.1,
            frame=str(tmp_path / "held.jpg") if i == 1 else None,
        )
        for i in range(2)
    )
    return Plan(
        questions=questions,
        bed=_wav(tmp_path / "bed.wav", 0.5, 0.01),
        shopper_frame="shopper.jpg",
        empty_frame="empty.jpg",
        settle_s=0.5,
        idle_s=1.0,
        gap_s=0.5,
        frame_lead_s=1.0,
        answer_timeout_s=2.0,
        quiet_s=0.6,
    )


class Clock:
    def __init__(self) -> None:
        self.now = 10_000_000_000

    def __call__(self) -> int:
        return self.now


def run_until(director: Director, clock: Clock, end_ns: int) -> list[np.ndarray]:
    """Feed the microphone block by block, the clock following the blocks' capture times."""
    heard = []
    while clock.now < end_ns and not director.finished.is_set():
        samples, stamp = director.fill(BLOCK)
        heard.append(samples)
        clock.now = stamp + BLOCK_NS
    return heard


def test_questions_are_asked_in_turn_over_the_noise_and_answered_replies_end_them(
    plan: Plan,
) -> None:
    clock = Clock()
    asked: list[str] = []
    director = Director(plan, clock, on_ask=lambda q, t: asked.append(q.id))
    t0 = director.start()
    heard = run_until(director, clock, t0 + int(0.4e9))
    assert director.phase == "settle" and not asked
    assert 0 < float(np.abs(np.concatenate(heard)).max()) < 0.05  # only the store noise
    assert director.frame() == "shopper.jpg"
    heard = run_until(director, clock, t0 + int(1.6e9))
    assert asked == ["q0"]
    first = director.asked[0]
    assert first.speech_end_ns - first.start_ns == int(0.8e9)
    assert float(np.abs(np.concatenate(heard)).max()) > 0.4  # the question is heard
    # The reply is heard 300 ms after the end of speech; the speaker then goes quiet.
    reply_ns = first.speech_end_ns + 300_000_000
    director.heard_reply(reply_ns, reply_ns + 500_000_000, reply_ns - 20_000_000, 0.5)
    director.device_busy(reply_ns + 500_000_000)
    run_until(director, clock, reply_ns + 500_000_000 + int(0.65e9))
    assert first.answered and first.done_ns
    assert director.frame() == str(Path(plan.questions[1].frame or ""))  # held up before q1
    result = first.result()
    assert result["latency_ms"] == 300.0 and not result["replied_before_end"]


def test_an_unanswered_question_is_given_up_and_the_session_ends_idle(plan: Plan) -> None:
    clock = Clock()
    director = Director(plan, clock)
    t0 = director.start()
    run_until(director, clock, t0 + int(30e9))
    assert director.finished.is_set()
    assert [a.answered for a in director.asked] == [False, False]
    assert list(director.phase_ns) == ["settle", "session", "idle", "done"]
    assert director.frame() == "empty.jpg"
    assert all(a.result()["latency_ms"] is None for a in director.asked)


def test_a_reply_before_the_shopper_finished_is_a_cut_off_and_the_full_answer_is_awaited(
    plan: Plan,
) -> None:
    clock = Clock()
    director = Director(plan, clock)
    t0 = director.start()
    run_until(director, clock, t0 + int(0.9e9))
    asked = director.asked[0]
    early = asked.start_ns + 400_000_000
    director.heard_reply(early, early + 100_000_000, early, 0.1)
    director.device_busy(early + 100_000_000)
    run_until(director, clock, asked.speech_end_ns + int(0.9e9))
    assert not asked.done_ns  # a fragment was answered: still waiting for the real answer
    late = asked.speech_end_ns + int(1.0e9)
    director.heard_reply(late, late + 100_000_000, late, 0.1)
    director.device_busy(late + 100_000_000)
    run_until(director, clock, late + int(0.8e9))
    result = asked.result()
    assert asked.done_ns and result["replied_before_end"] and result["latency_ms"] is None
    assert len(result["onsets"]) == 2


def test_the_virtual_speaker_plays_queued_audio_and_clear_cuts_it(plan: Plan) -> None:
    director = Director(plan)
    director.start()
    heard: list[tuple[int, int]] = []
    director.heard_reply = lambda first, last, handed, s: heard.append((first, handed))  # type: ignore[method-assign]
    device = VirtualOutput(director, speed=1.0, output_latency_ms=20.0)
    try:
        quiet = np.zeros(1600, np.int16)
        loud = np.concatenate([quiet, np.full(800, 20000, np.int16)])
        item = device.put(loud, 16000)
        assert item.finished.wait(5.0)
        assert item.done and not item.cut and item.started_ns >= item.handed_ns
        first, handed = heard[0]
        assert handed == item.handed_ns
        # The first audible sample is 100 ms into the audio, plus the output latency.
        assert first - item.started_ns >= 100_000_000 + 20_000_000 - 1_000_000
        long = device.put(np.full(16000 * 5, 20000, np.int16), 16000)
        assert device.clear() > 0
        assert long.cut and long.finished.is_set() and device.pending_s() == 0
    finally:
        device.close()


def _question(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "q",
        "kind": "local",
        "expected_route": "local",
        "start_ns": 0,
        "speech_end_ns": 2_000_000_000,
        "last_piece_ns": 0,
        "done_ns": 5_000_000_000,
        "answered": True,
        "onsets": [{"audible_ns": 2_600_000_000, "handed_ns": 2_580_000_000}],
        "replied_before_end": False,
        "latency_ms": 600.0,
        "reply_audio_s": 2.0,
    }
    return base | over


def test_kiosk_rows_join_the_turn_its_stages_and_the_servers_view() -> None:
    q = _question()
    events = [
        {"t_ns": 2_200_000_000, "event": "status", "state": "thinking"},
        {
            "t_ns": 4_000_000_000,
            "event": "turn",
            "route": "cloud",
            "reason": "open",
            "heard": "x",
            "product_sku": None,
            "shelf": None,
            "timings_ms": {"stt": 50.0, "route": 1.0, "cloud": 400.0,
                           "cloud_activity_end": 5.0, "cloud_first_audio": 320.0},
            "error": None,
        },
    ]  # fmt: skip
    turns = [
        {"started_ns": 2_260_000_000, "first_audio_ns": 2_560_000_000, "ttfb_ms": 300.0,
         "hear_ms": 0.1, "tokens": {"total": 500}, "images": 1}
    ]  # fmt: skip
    [row] = analysis.kiosk_rows({"questions": [q]}, events, turns, gap_s=0.5)
    assert row["route"] == "cloud" and not row["cut_off"] and row["server_turns"] == 1
    assert sum(row["stages_ms"].values()) == pytest.approx(600.0, abs=0.5)
    assert row["stages_ms"]["end_of_turn"] == 200.0
    assert row["overhead_ms"] == pytest.approx(600.0 - 200.0 - 300.0)
    assert row["to_server_ms"] == 260.0 and row["frames"] == 1


def test_two_turns_for_one_question_are_a_cut_off_and_compare_uses_shared_questions() -> None:
    q = _question()
    turn = {"event": "turn", "route": "local", "reason": "", "heard": "", "product_sku": None,
            "shelf": None, "timings_ms": {}, "error": None}  # fmt: skip
    events = [{**turn, "t_ns": 1_000_000_000}, {**turn, "t_ns": 3_000_000_000}]
    [kiosk] = analysis.kiosk_rows({"questions": [q]}, events, [], gap_s=0.5)
    assert kiosk["cut_off"]
    fine = analysis.kiosk_rows({"questions": [_question(id="a")]}, [], [], 0.5)
    peer = analysis.peer_rows({"questions": [_question(id="a", latency_ms=1200.0)]}, [], 0.5)
    versus = analysis.compare(fine, peer)
    assert versus["n"] == 1 and versus["ratio_p50"] == 0.5
