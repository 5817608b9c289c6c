"""The vision stages' pure logic: anchors and NMS, matching with a margin, change, the sampler
and its one-frame mailbox, presence, show zones, and the scene the turn engine reads."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from edge.vision.change import ChangeDetector, ChangeOptions
from edge.vision.faces import Face, anchor_centres, weighted_nms
from edge.vision.matcher import MatchOptions, ProductMatcher
from edge.vision.presence import PresenceOptions, PresenceTracker
from edge.vision.providers import SessionOptions, choose_providers
from edge.vision.sampler import LatestFrame, Sampler, SamplerOptions
from edge.vision.zones import ZoneOptions, shopper_face, show_zone
from kiosk.agent.ports import HeldProduct, Scene
from kiosk.scene import LiveScene, StillScene

pytestmark = pytest.mark.unit

S = 1_000_000_000


def test_anchors_cover_both_grids_in_output_order() -> None:
    anchors = anchor_centres()
    assert anchors.shape == (896, 2)
    assert anchors[0].tolist() == anchors[1].tolist() == [1 / 32, 1 / 32]  # 16x16, 2 per cell
    assert anchors[2].tolist() == [3 / 32, 1 / 32]  # next cell along the row
    assert anchors[512].tolist() == [1 / 16, 1 / 16]  # 8x8 grid, 6 per cell
    assert anchors[518].tolist() == [3 / 16, 1 / 16]


def test_weighted_nms_blends_overlaps_and_keeps_apart_boxes() -> None:
    rows = np.zeros((3, 16))
    rows[0, :4] = [0.50, 0.50, 0.20, 0.20]
    rows[1, :4] = [0.52, 0.50, 0.20, 0.20]
    rows[2, :4] = [0.10, 0.10, 0.05, 0.05]
    merged = weighted_nms(rows, np.array([0.9, 0.6, 0.8]))
    assert len(merged) == 2
    (blend, score), (apart, _) = merged
    assert score == pytest.approx(0.9)
    assert blend[0] == pytest.approx((0.50 * 0.9 + 0.52 * 0.6) / 1.5)
    assert apart[0] == pytest.approx(0.10)


def test_face_boxes_grow_and_clip() -> None:
    face = Face(10.0, 20.0, 40.0, 40.0, 0.9)
    assert face.box(100, 100) == (10, 20, 50, 60)
    assert face.box(45, 100, margin=0.5) == (0, 0, 45, 80)
    assert face.scaled(2.0).box(1000, 1000) == (20, 40, 100, 120)


def _matcher() -> ProductMatcher:
    refs = np.eye(4, dtype=np.float32)
    return ProductMatcher(refs, ["a", "a", "b", "c"], MatchOptions(min_score=0.6, min_margin=0.1))


def test_a_match_needs_a_score_and_a_lead_over_the_runner_up() -> None:
    matcher = _matcher()
    assert matcher.products == ["a", "b", "c"]
    clear = matcher.match(np.array([0.1, 0.9, 0.2, 0.0]))  # a's second image wins
    assert clear is not None and clear.label == "a" and clear.accepted
    assert clear.runner_up == "b" and clear.margin == pytest.approx(0.7)
    close = matcher.match(np.array([0.0, 0.0, 0.7, 0.65]))
    assert close is not None and close.label == "b" and not close.accepted
    weak = matcher.match(np.array([0.0, 0.0, 0.5, 0.0]))
    assert weak is not None and not weak.accepted
    assert ProductMatcher(np.zeros((0, 4)), []).match(np.ones(4)) is None


def test_change_is_measured_against_the_last_analysed_frame() -> None:
    detector = ChangeDetector(ChangeOptions(threshold=0.02, refresh_s=10.0))
    room = np.full((480, 640, 3), 100, np.uint8)
    assert detector.should_analyse(detector.score(room), 0)
    detector.analysed(room, 0)
    noisy = np.clip(room + np.random.default_rng(0).normal(0, 2, room.shape), 0, 255)
    assert not detector.should_analyse(detector.score(noisy.astype(np.uint8)), 1 * S)
    held = room.copy()
    held[150:350, 250:400] = 230
    assert detector.should_analyse(detector.score(held), 2 * S)
    assert detector.should_analyse(detector.score(room), 11 * S)  # refreshed when stale


def test_the_sampler_runs_at_2_fps_idle_and_5_fps_engaged() -> None:
    sampler = Sampler(SamplerOptions(idle_fps=2.0, engaged_fps=5.0))
    taken = [t for t in range(0, S, S // 100) if sampler.due(t, engaged=False)]
    assert len(taken) == 2
    sampler.hurry()
    taken = [t for t in range(S, 2 * S, S // 100) if sampler.due(t, engaged=True)]
    assert len(taken) == 5
    assert sampler.wait_ns(2 * S - S // 100) > 0


def test_the_mailbox_keeps_only_the_newest_frame() -> None:
    box: LatestFrame[int] = LatestFrame()
    assert box.take(timeout=0.01) is None
    for i in range(5):
        box.put(i)
    assert box.take(timeout=0.01) == 4
    assert box.dropped == 4
    assert box.take(timeout=0.01) is None  # nothing newer yet
    threading.Timer(0.05, box.put, args=(9,)).start()
    assert box.take(timeout=2.0) == 9


def test_presence_needs_a_few_frames_to_arrive_and_time_to_leave() -> None:
    tracker = PresenceTracker(PresenceOptions(arrive_frames=3, leave_s=2.0))
    assert tracker.update(True, 1, 0) is None
    assert tracker.update(True, 1, S // 5) is None
    assert tracker.update(True, 1, 2 * S // 5) == "arrived"
    assert tracker.update(False, 0, S) is None  # a glance away is not leaving
    assert tracker.update(True, 1, S + S // 5) is None
    assert tracker.update(False, 0, 2 * S) is None
    assert tracker.tick(3 * S) is None
    assert tracker.tick(3 * S + S // 2) == "left"
    assert not tracker.engaged


def test_the_shopper_is_a_big_face_near_the_centre() -> None:
    options = ZoneOptions(min_face=0.12, centre_band=0.7)
    small = Face(300, 100, 40, 40, 0.9)
    aside = Face(10, 100, 120, 120, 0.9)
    shopper = Face(260, 80, 110, 110, 0.9)
    assert shopper_face([small, aside, shopper], 640, options) is shopper
    assert shopper_face([small, aside], 640, options) is None
    assert show_zone(640, 480, None, options) == (140, 60, 500, 420)  # the centre, 3/4 high
    x0, y0, x1, y1 = show_zone(640, 480, shopper, options)
    assert y0 >= 80 + 110 * 0.8 - 1 or y1 == 480  # below the face, within the frame
    assert 0 <= x0 < x1 <= 640 and x1 - x0 == y1 - y0


def test_providers_fall_back_to_the_cpu() -> None:
    wanted = SessionOptions(providers=("tensorrt", "cuda", "cpu"))
    assert choose_providers(wanted, ["CPUExecutionProvider"]) == ["CPUExecutionProvider"]
    chosen = choose_providers(
        wanted, ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]
    )
    assert [c if isinstance(c, str) else c[0] for c in chosen] == [
        "TensorrtExecutionProvider",
        "CUDAExecutionProvider",
        "CPUExecutionProvider",
    ]
    cuda_only = choose_providers(SessionOptions(providers=("cuda",)), ["CUDAExecutionProvider"])
    assert cuda_only == ["CUDAExecutionProvider", "CPUExecutionProvider"]


def test_the_live_scene_is_never_newer_than_the_utterance() -> None:
    scenes = LiveScene(stale_s=5.0)
    assert scenes.latest() is None
    first = Scene(1 * S, people=1, held=HeldProduct("0041333424019", "barcode", 1.0))
    second = Scene(3 * S, people=1)
    scenes.publish(first)
    scenes.publish(second)
    assert scenes.latest() is second
    assert scenes.latest(not_after_ns=2 * S) is first
    assert scenes.latest(not_after_ns=S // 2) is None
    scenes.confirm(9 * S)  # unchanged frames keep the last scene current
    assert scenes.latest(not_after_ns=10 * S) is second
    assert scenes.latest(not_after_ns=20 * S) is None  # the camera went quiet
    assert StillScene(first).latest(0) is first


def test_an_idle_scene_prepares_its_cloud_frame_once_and_only_when_asked() -> None:
    from edge.vision.frame import CloudFrame

    calls: list[int] = []

    def prepare(n: int) -> CloudFrame:
        calls.append(n)
        return CloudFrame(b"\xff\xd8jpeg%d" % n, n * S, 640, 480, 0)

    scenes = LiveScene()
    for n in (1, 2, 3):
        scenes.publish(Scene(n * S), lambda n=n: prepare(n))  # type: ignore[misc]
    assert calls == []
    newest = scenes.latest()
    assert newest is not None and newest.frame_jpeg == b"\xff\xd8jpeg3"
    assert scenes.latest() is newest and calls == [3]  # prepared once
    assert scenes.latest(not_after_ns=2 * S + 1) is not None and calls == [3, 2]
    oldest = scenes.latest(not_after_ns=S + 1)
    assert oldest is not None and oldest.frame_jpeg is None  # too old to keep its picture
