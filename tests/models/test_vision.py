"""The vision prefilter with the real models: `kiosk frame` on real faces and on product
photos, bad pictures, the reference cache, held-up products, and the live loop on a camera
made of pictures. Every frame prepared for the cloud is decoded exactly as it would be sent and
searched with both BlazeFace models: no face may be found."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.vision.faces import BlazeFace
from edge.vision.prefilter import Prefilter
from kiosk.cli import main
from kiosk.config import VisionSettings
from kiosk.events import DeviceStatus, Event, FramePreview, Presence
from kiosk.models import ModelCache
from kiosk.scene import LiveScene
from kiosk.store.pack import demo_store_path, load_store
from kiosk.vision import FACE_FULL, FACE_SHORT, VisionService, build_prefilter

pytestmark = pytest.mark.models

AA_SKU = "0041333424019"
AA_PHOTO = demo_store_path() / "images" / f"{AA_SKU}.jpg"


def _skimage_file(name: str) -> Path:
    from skimage import data

    return Path(os.path.dirname(data.__file__)) / name


@pytest.fixture(autouse=True)
def _index_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_VISION__INDEX_CACHE_DIR", str(tmp_path / "vision-index"))


@pytest.fixture(scope="module")
def detectors(model_cache: ModelCache) -> tuple[BlazeFace, BlazeFace]:
    return (
        BlazeFace(model_cache.require("blazeface", FACE_SHORT)),
        BlazeFace(model_cache.require("blazeface", FACE_FULL)),
    )


@pytest.fixture(scope="module")
def prefilter(model_cache: ModelCache, tmp_path_factory: pytest.TempPathFactory) -> Prefilter:
    settings = VisionSettings(index_cache_dir=tmp_path_factory.mktemp("index"))
    built, _ = build_prefilter(settings, model_cache, load_store(demo_store_path()))
    return built


def faces_in_sent(jpeg_path: Path, detectors: tuple[BlazeFace, BlazeFace]) -> int:
    sent = cv2.imdecode(np.frombuffer(jpeg_path.read_bytes(), np.uint8), cv2.IMREAD_COLOR)
    assert sent is not None, "the frame for the cloud must be a JPEG"
    return sum(len(d.detect(sent)) for d in detectors)


def frame_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main(["frame", *args, "--json"]) == 0
    result: dict[str, object] = json.loads(capsys.readouterr().out)
    return result


def test_kiosk_frame_on_the_astronaut_finds_one_face_and_sends_none(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    detectors: tuple[BlazeFace, BlazeFace],
) -> None:
    astronaut = _skimage_file("astronaut.png")
    before = cv2.imread(str(astronaut))
    assert sum(len(d.detect(before)) for d in detectors) == 2  # both models see her
    out = tmp_path / "sent.jpg"
    result = frame_json(capsys, "--image", str(astronaut), "--out", str(out))
    assert len(result["faces"]) == 1  # type: ignore[arg-type]
    assert result["shopper"] is True
    assert faces_in_sent(out, detectors) == 0


def test_kiosk_frame_on_a_product_photo_names_its_sku(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = frame_json(capsys, "--image", str(AA_PHOTO), "--out", str(tmp_path / "aa.jpg"))
    product = result["product"]
    assert isinstance(product, dict)
    assert product["sku"] == AA_SKU and product["how"] == "barcode"
    assert product["name"] == "Duracell AA batteries, 8 pack"
    assert result["faces"] == []


def test_odd_pictures_are_handled(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    detectors: tuple[BlazeFace, BlazeFace],
) -> None:
    colour = cv2.imread(str(_skimage_file("astronaut.png")))
    grey = tmp_path / "grey.png"
    cv2.imwrite(str(grey), cv2.cvtColor(colour, cv2.COLOR_BGR2GRAY))
    deep = tmp_path / "deep.png"
    cv2.imwrite(str(deep), colour.astype(np.uint16) * 257)
    big = tmp_path / "big.jpg"
    cv2.imwrite(str(big), cv2.resize(colour, (4000, 3000)), [cv2.IMWRITE_JPEG_QUALITY, 90])
    for picture in (grey, deep, big):
        out = tmp_path / f"{picture.stem}-sent.jpg"
        result = frame_json(capsys, "--image", str(picture), "--out", str(out))
        assert len(result["faces"]) >= 1, picture.name  # type: ignore[arg-type]
        sent = result["frame"]
        assert isinstance(sent, dict) and max(sent["width"], sent["height"]) <= 768
        assert faces_in_sent(out, detectors) == 0, picture.name


def test_bad_pictures_get_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(AA_PHOTO.read_bytes()[:200])
    for picture, words in ((empty, "empty file"), (corrupt, "not a readable image")):
        assert main(["frame", "--image", str(picture), "--out", str(tmp_path / "x.jpg")]) == 1
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and str(picture) in err and words in err
    assert not (tmp_path / "x.jpg").exists()


def test_an_unreadable_product_image_names_the_file_and_the_product(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store"
    shutil.copytree(demo_store_path(), store)
    (store / "images" / f"{AA_SKU}.jpg").write_bytes(b"not a picture")
    code = main(["frame", "--image", str(AA_PHOTO), "--store", str(store), "--out", "o.jpg"])
    assert code == 1
    err = capsys.readouterr().err
    assert f"sku {AA_SKU}" in err and f"images/{AA_SKU}.jpg" in err and "store.toml" in err


def test_reference_embeddings_come_from_the_cache_the_second_time(
    model_cache: ModelCache, tmp_path: Path
) -> None:
    from edge.vision.embed import Embedder
    from kiosk.vision import embedding_model
    from kiosk.vision_index import build_references

    store = tmp_path / "store"
    shutil.copytree(demo_store_path(), store)
    embedder = Embedder(embedding_model(model_cache, "int8"))
    cache = tmp_path / "cache"
    first, cold = build_references(load_store(store), embedder, cache)
    again, warm = build_references(load_store(store), embedder, cache)
    assert cold.computed == cold.images == 59 and warm.computed == 0
    assert np.allclose(first.embeddings, again.embeddings, atol=1e-3)
    assert first.labels == again.labels
    edited = store / "images" / f"{AA_SKU}.jpg"
    cv2.imwrite(str(edited), np.full((320, 320, 3), 200, np.uint8))
    _, one = build_references(load_store(store), embedder, cache)
    assert one.computed == 1


def test_a_live_kiosk_loads_key_points_first_and_the_embeddings_after(
    model_cache: ModelCache, tmp_path: Path
) -> None:
    from edge.vision.embed import Embedder
    from edge.vision.references import ProductIndex
    from kiosk.vision import complete_in_background, embedding_model
    from kiosk.vision_index import build_references

    embedder = Embedder(embedding_model(model_cache, "int8"))
    store = load_store(demo_store_path())
    whole, _ = build_references(store, embedder, None)
    cache = tmp_path / "cache"
    early, report = build_references(store, embedder, cache, defer_embeddings=True)
    assert report.computed == 59 and report.finish is not None
    assert not early.embeddings.any()  # nothing embedded yet
    assert [len(k.points) for k in early.keypoints] == [len(k.points) for k in whole.keypoints]
    index = ProductIndex(early)
    complete_in_background(index, report.finish).join(timeout=60)
    assert np.allclose(index.references.embeddings, whole.embeddings, atol=1e-2)
    match = index.matcher.match(whole.embeddings[0])
    assert match is not None and match.label == whole.labels[0]
    again, warm = build_references(store, embedder, cache, defer_embeddings=True)
    assert warm.computed == 0 and warm.finish is None  # the cache now holds everything
    assert np.allclose(again.embeddings, whole.embeddings, atol=1e-2)


def test_held_up_products_without_a_readable_barcode_are_recognised(
    prefilter: Prefilter,
) -> None:
    from kiosk.bench.vision_set import held_frames

    photos = {p.sku: p.images[0] for p in load_store(demo_store_path()).products if p.sku}
    chosen = dict(sorted(photos.items())[::10])  # six products
    visual = Prefilter(
        prefilter.faces, prefilter.embedder, prefilter.index, None, prefilter.framer
    )  # no barcode reader: only the embedding and key points
    right = wrong = 0
    for frame in held_frames(chosen, per_product=1, seed=5):
        analysis = visual.analyse(frame.image, 0)
        product = analysis.product
        right += product is not None and product.label == frame.sku
        wrong += product is not None and product.label != frame.sku
        if product is not None and product.how == "keypoints":
            assert "embed" not in analysis.timings_ms, "named by key points: no embedding"
    assert wrong == 0
    assert right >= 5


def test_with_nothing_held_up_every_step_runs_and_nothing_is_named(prefilter: Prefilter) -> None:
    from kiosk.bench.vision_set import empty_frames

    visual = Prefilter(prefilter.faces, prefilter.embedder, prefilter.index, None, prefilter.framer)
    for image in empty_frames(4, seed=7):
        analysis = visual.analyse(image, 0)
        assert analysis.product is None
        assert {"faces", "verify", "embed"} <= set(analysis.timings_ms)


def _plain_pack(colour: tuple[int, int, int]) -> np.ndarray:
    """A pack with no print: a flat colour and a soft disc, nothing ORB can find a corner in."""
    image = np.full((320, 320, 3), colour, np.uint8)
    cv2.circle(image, (160, 160), 90, tuple(c // 2 for c in colour), -1)
    return cv2.GaussianBlur(image, (0, 0), 12)


def test_plain_packs_are_matched_by_the_embedding_beside_printed_ones(
    prefilter: Prefilter,
) -> None:
    """References without key points are named by cosine and margin; printed packs still by
    their key points."""
    from edge.vision.embed import square_crop
    from edge.vision.features import Keypoints
    from edge.vision.image import read_image
    from edge.vision.references import ProductIndex, ReferenceSet

    assert prefilter.embedder is not None and prefilter.index is not None
    full = prefilter.index.references
    plain = {"plain-blue": _plain_pack((220, 120, 30)), "plain-red": _plain_pack((40, 40, 200))}
    crops = [square_crop(image, prefilter.analyse(image, 0).zone) for image in plain.values()]
    mixed = ProductIndex(
        ReferenceSet(
            (*full.labels, *plain),
            np.vstack([full.embeddings, prefilter.embedder.embed(crops)]),
            (*full.keypoints, *(Keypoints.empty() for _ in plain)),
        )
    )
    assert mixed.features.size > 0  # printed packs keep their key points
    visual = Prefilter(prefilter.faces, prefilter.embedder, mixed, None, prefilter.framer)
    for label, image in plain.items():
        product = visual.analyse(image, 0).product
        assert product is not None
        assert (product.label, product.how) == (label, "embedding")
    product = visual.analyse(read_image(AA_PHOTO), 0).product
    assert product is not None and (product.label, product.how) == (AA_SKU, "keypoints")


def test_real_faces_are_gone_from_every_cloud_frame(
    prefilter: Prefilter, detectors: tuple[BlazeFace, BlazeFace]
) -> None:
    from kiosk.bench.vision_faces import lfw, placed

    faces, _ = lfw()
    sent = 0
    for size in (96, 160):
        for frame, _ in placed(faces[:6], size, seed=size):
            prepared = prefilter.framer.prepare(frame, [], 0)
            if prepared is None:
                continue  # withheld: nothing is sent
            sent += 1
            decoded = cv2.imdecode(np.frombuffer(prepared.jpeg, np.uint8), cv2.IMREAD_COLOR)
            assert decoded is not None
            assert sum(len(d.detect(decoded)) for d in detectors) == 0
    assert sent >= 10


def test_the_live_loop_sees_a_shopper_and_keeps_faces_off_every_image(
    prefilter: Prefilter, tmp_path: Path, detectors: tuple[BlazeFace, BlazeFace]
) -> None:
    camera = tmp_path / "camera"
    camera.mkdir()
    shutil.copy(_skimage_file("astronaut.png"), camera / "shopper.png")
    events: list[Event] = []
    scene = LiveScene()
    settings = VisionSettings(camera=str(camera), arrive_frames=2, preview_fps=10.0)
    service = VisionService(settings, prefilter, scene, preview=True).start(events.append)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not any(isinstance(e, Presence) for e in events):
        time.sleep(0.1)
    service.close()
    assert DeviceStatus("camera", True, str(camera)) in events
    assert Presence(engaged=True, people=1) in events
    latest = scene.latest()
    assert latest is not None and latest.people == 1 and latest.frame_jpeg is not None
    sent = cv2.imdecode(np.frombuffer(latest.frame_jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert sent is not None and sum(len(d.detect(sent)) for d in detectors) == 0
    previews = [e for e in events if isinstance(e, FramePreview)]
    assert previews and all(p.redacted and p.image.shape[1] <= 640 for p in previews)
    assert sum(len(d.detect(previews[-1].image)) for d in detectors) == 0


def test_kiosk_ask_with_a_held_up_product_photo(
    model_cache: ModelCache, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from edge.tts import PiperTts
    from edge.wav import resample, write_wav

    tts = PiperTts(model_cache.require_file("piper-joe-medium"))
    voice = np.concatenate([c.samples for c in tts.stream("How much is this?")])
    speech = resample(voice.astype(np.float32) / 32768.0, tts.sample_rate, 16000)
    pad = np.zeros(8000, np.float32)
    wav = tmp_path / "question.wav"
    write_wav(wav, (np.concatenate([pad, speech, pad]) * 32767).astype(np.int16), 16000)
    code = main(["ask", "--audio", str(wav), "--image", str(AA_PHOTO), "--cloud", "off", "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["product"] == {"sku": AA_SKU, "name": "Duracell AA batteries, 8 pack"}
    assert "held-up product" in result["reason"]


class _DyingCamera:
    """The astronaut for `frames` grabs, then the camera is unplugged for good."""

    name = "usb camera"

    def __init__(self, picture: np.ndarray, frames: int) -> None:
        self.picture = picture
        self.left = frames

    def grab(self) -> bool:
        time.sleep(0.03)
        self.left -= 1
        return self.left >= 0

    def retrieve(self) -> np.ndarray:
        return self.picture

    def release(self) -> None:
        """Nothing held."""


def test_a_camera_lost_mid_visit_ends_the_visit(prefilter: Prefilter) -> None:
    from edge.vision.errors import CameraError

    picture = cv2.imread(str(_skimage_file("astronaut.png")))
    opened: list[int] = []

    def opener() -> _DyingCamera:
        opened.append(1)
        if len(opened) > 1:
            raise CameraError("usb camera: cannot open (unplugged, busy or no permission)")
        return _DyingCamera(picture, frames=60)

    events: list[Event] = []
    settings = VisionSettings(arrive_frames=2, leave_s=0.5, idle_fps=5.0)
    service = VisionService(settings, prefilter, LiveScene()).start(events.append, opener=opener)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and Presence(False, 1) not in events:
        time.sleep(0.1)
    service.close()
    kinds = [e for e in events if isinstance(e, Presence | DeviceStatus)]
    assert kinds[0] == DeviceStatus("camera", True, "usb camera")
    assert Presence(True, 1) in kinds
    lost = kinds.index(DeviceStatus("camera", False, "usb camera: stopped delivering frames"))
    assert kinds.index(Presence(True, 1)) < lost < kinds.index(Presence(False, 1))
