"""Pictures in: decoding, odd pixel formats and bad files; barcodes on the demo photos; the
redaction of a face box; the frame for the cloud (without detectors)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.vision.barcode import BarcodeReader, gtin_valid, spellings
from edge.vision.errors import ImageError
from edge.vision.faces import Face
from edge.vision.frame import CloudFramer, FrameOptions
from edge.vision.image import as_bgr8, decode_image, fit_within, read_image
from edge.vision.redact import redact
from kiosk.store.pack import demo_store_path

pytestmark = pytest.mark.unit

DEMO_AA = demo_store_path() / "images" / "0041333424019.jpg"


def _png(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", image)
    assert ok
    return data.tobytes()


def test_grey_16_bit_alpha_and_float_pictures_become_8_bit_bgr() -> None:
    grey = np.tile(np.arange(256, dtype=np.uint8), (20, 1))
    assert decode_image(_png(grey)).shape == (20, 256, 3)
    deep = (grey.astype(np.uint16) * 257)[..., None].repeat(3, axis=2)
    out = decode_image(_png(deep))
    assert out.dtype == np.uint8 and out.shape == (20, 256, 3)
    assert out[0, 255, 0] == 255 and out[0, 0, 0] == 0  # scaled, not clipped
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., 2] = 200
    assert decode_image(_png(rgba))[0, 0].tolist() == [0, 0, 200]
    assert as_bgr8(np.full((4, 4), 0.5, np.float32))[0, 0, 0] == 127


@pytest.mark.parametrize(
    "data, words",
    [
        (b"", "empty file"),
        (b"\xff\xd8\xff\xe0 this is not really a jpeg", "not a readable image"),
        (b"GIF89a" + bytes(10), "not a readable image"),
    ],
)
def test_broken_pictures_get_a_clear_error(data: bytes, words: str) -> None:
    with pytest.raises(ImageError, match=words):
        decode_image(data, "shot.jpg")


def test_a_truncated_jpeg_names_the_file(tmp_path: Path) -> None:
    half = tmp_path / "half.jpg"
    half.write_bytes(DEMO_AA.read_bytes()[:300])
    with pytest.raises(ImageError, match=r"half\.jpg"):
        read_image(half)
    with pytest.raises(ImageError, match="file not found"):
        read_image(tmp_path / "missing.jpg")
    with pytest.raises(ImageError, match="folder"):
        read_image(tmp_path)


def test_zero_size_arrays_are_refused() -> None:
    with pytest.raises(ImageError, match="zero-size"):
        as_bgr8(np.zeros((0, 640, 3), np.uint8))
    with pytest.raises(ImageError, match="channels"):
        as_bgr8(np.zeros((4, 4, 2), np.uint8))


def test_a_12_megapixel_photo_decodes_and_is_scaled_down_for_work() -> None:
    photo = cv2.resize(cv2.imread(str(DEMO_AA)), (4000, 3000))
    ok, data = cv2.imencode(".jpg", photo, [cv2.IMWRITE_JPEG_QUALITY, 80])
    assert ok
    image = decode_image(data.tobytes())
    assert image.shape == (3000, 4000, 3)
    assert fit_within(image, 768).shape == (576, 768, 3)
    assert fit_within(image[:100, :100], 768).shape == (100, 100, 3)  # never scaled up


def test_check_digits_and_the_two_spellings_of_an_ean_13() -> None:
    assert gtin_valid("0041333424019") and gtin_valid("041333424019")
    assert not gtin_valid("0041333424018") and not gtin_valid("12345")
    assert spellings("041333424019") == ("041333424019", "0041333424019")
    assert spellings("0041333424019") == ("0041333424019", "041333424019")
    assert spellings("5012345678900") == ("5012345678900",)


def test_the_demo_photo_barcode_reads_as_its_sku() -> None:
    scan = BarcodeReader().scan(cv2.imread(str(DEMO_AA)))
    assert [c.code for c in scan.codes] == ["041333424019"]
    assert "0041333424019" in scan.codes[0].spellings()
    assert BarcodeReader().scan(np.full((240, 320, 3), 90, np.uint8)).codes == ()


def test_redaction_flattens_the_face_box_and_its_margin_only() -> None:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (200, 200, 3), dtype=np.uint8)
    face = Face(80.0, 80.0, 40.0, 40.0, 0.9)
    out = redact(image, [face])
    inside = out[80:120, 80:120].astype(np.float32)
    assert inside.std(axis=(0, 1)).max() < 8  # no detail left where the face was
    assert np.array_equal(out[:40], image[:40])  # far away: untouched
    assert np.array_equal(out[:, :50], image[:, :50])
    assert not np.array_equal(out[70:80, 80:120], image[70:80, 80:120])  # margin above


class _ScriptedDetector:
    """Finds a face where told, in the picture it is given, while the patch there has detail."""

    def __init__(self, box: tuple[float, float, float, float]) -> None:
        self.box = box
        self.calls = 0

    def detect(self, image: np.ndarray, threshold: float | None = None) -> list[Face]:
        self.calls += 1
        scale = image.shape[1] / 1600
        x, y, w, h = (v * scale for v in self.box)
        patch = image[int(y) : int(y + h), int(x) : int(x + w)].astype(np.float32)
        return [Face(x, y, w, h, 0.9)] if patch.std() > 10 else []


def test_the_cloud_frame_is_scaled_redacted_and_checked_after_encoding() -> None:
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (1200, 1600, 3), dtype=np.uint8)
    detector = _ScriptedDetector((700, 300, 200, 200))
    framer = CloudFramer([detector], FrameOptions(max_side=768, quality=85))
    frame = framer.prepare(image, [], captured_ns=42)
    assert frame is not None
    assert (frame.width, frame.height, frame.captured_ns) == (768, 576, 42)
    sent = cv2.imdecode(np.frombuffer(frame.jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert sent is not None and sent.shape == (576, 768, 3)
    assert detector.detect(sent) == []


class _Stubborn:
    """A detector that always sees a face: the frame must then be withheld."""

    def detect(self, image: np.ndarray, threshold: float | None = None) -> list[Face]:
        return [Face(1.0, 1.0, 5.0, 5.0, 0.99)]


def test_a_frame_that_still_shows_a_face_is_withheld() -> None:
    framer = CloudFramer([_Stubborn()])
    assert framer.prepare(np.zeros((100, 100, 3), np.uint8), [], 0) is None
