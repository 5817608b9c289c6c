"""Fuzzing image input: encoded files of any bytes, truncated and corrupted photos, frames of
any dtype and shape, and odd sizes through the real prefilter (BlazeFace, the product matcher,
barcodes) and the cloud frame. Each gives an `ImageError` or a correct result, never a crash;
a frame that leaves the device is always a decodable 8-bit JPEG."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from skimage import data

from edge.vision.errors import ImageError
from edge.vision.faces import Face
from edge.vision.image import as_bgr8, decode_image
from edge.vision.prefilter import Prefilter
from kiosk.config import VisionSettings
from kiosk.models import ModelCache
from kiosk.vision import build_prefilter

FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
ASTRONAUT = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)  # type: ignore[no-untyped-call]
JPEG = cv2.imencode(".jpg", ASTRONAUT)[1].tobytes()
PNG = cv2.imencode(".png", ASTRONAUT[:64, :64])[1].tobytes()


def _bgr8_or_error(make: object, *args: object) -> np.ndarray | None:
    try:
        image = make(*args)  # type: ignore[operator]
    except ImageError as exc:
        assert str(exc) and "\n" not in str(exc)
        return None
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    assert min(image.shape[:2]) > 0
    return image  # type: ignore[no-any-return]


@pytest.mark.unit
@FUZZ
@given(st.binary(max_size=300))
@example(b"\xff\xd8\xff")
@example(b"\x89PNG\r\n\x1a\n")
def test_any_bytes_decode_as_a_picture_or_say_why_not(blob: bytes) -> None:
    _bgr8_or_error(decode_image, blob, "fuzz")


@pytest.mark.unit
@FUZZ
@given(
    st.sampled_from([JPEG, PNG]),
    st.integers(0, 2000),
    st.binary(min_size=1, max_size=16),
    st.integers(1, 100),
)
def test_truncated_and_corrupted_photos(photo: bytes, offset: int, patch: bytes, keep: int) -> None:
    damaged = bytearray(photo)
    damaged[offset : offset + len(patch)] = patch
    _bgr8_or_error(decode_image, bytes(damaged[: len(damaged) * keep // 100]), "fuzz")


frames = hnp.arrays(
    st.sampled_from([np.uint8, np.uint16, np.int16, np.int32, np.float32, np.float64, np.bool_]),
    st.one_of(
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=0, max_side=12),
        hnp.array_shapes(min_dims=3, max_dims=3, min_side=0, max_side=6),
        hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=4),
    ),
)


@pytest.mark.unit
@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")
@FUZZ
@given(frames)
def test_frames_of_any_kind_become_bgr8_or_say_why_not(frame: np.ndarray) -> None:
    _bgr8_or_error(as_bgr8, frame, "fuzz")


# ----- the real prefilter and the cloud frame -----


@pytest.fixture(scope="module")
def prefilter(model_cache: ModelCache) -> Prefilter:
    built, _ = build_prefilter(VisionSettings(), model_cache, None)
    return built


odd_sizes = st.sampled_from([(1, 1), (1, 900), (900, 1), (2, 3), (17, 5), (480, 640), (2000, 40)])
contents = st.sampled_from(["noise", "black", "white", "astronaut"])
odd_faces = st.lists(
    st.builds(
        Face,
        st.floats(-5000, 5000),
        st.floats(-5000, 5000),
        st.floats(0, 9000),
        st.floats(0, 9000),
        st.floats(0, 1),
    ),
    max_size=3,
)


def _picture(size: tuple[int, int], content: str, seed: int) -> np.ndarray:
    height, width = size
    if content == "astronaut":
        return cv2.resize(ASTRONAUT, (width, height), interpolation=cv2.INTER_AREA)
    if content == "noise":
        return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return np.full((height, width, 3), 0 if content == "black" else 255, np.uint8)


@pytest.mark.models
@settings(
    deadline=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(odd_sizes, contents, odd_faces, st.integers(0, 1000))
def test_odd_frames_through_the_prefilter_and_the_cloud_frame(
    prefilter: Prefilter,
    size: tuple[int, int],
    content: str,
    faces: list[Face],
    seed: int,
) -> None:
    image = _picture(size, content, seed)
    analysis = prefilter.analyse(image, captured_ns=1)
    assert analysis.width == size[1] and analysis.height == size[0]
    frame = prefilter.framer.prepare(image, [*analysis.faces, *faces], captured_ns=1)
    if frame is None:
        return  # withheld: a face it could not remove never leaves
    sent = cv2.imdecode(np.frombuffer(frame.jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert sent is not None and sent.shape[:2] == (frame.height, frame.width)
    assert max(sent.shape[:2]) <= VisionSettings().max_side_px
    assert not [f for d in prefilter.framer.detectors for f in d.detect(sent)]
