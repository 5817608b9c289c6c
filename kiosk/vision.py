"""Vision wiring: the prefilter built from config, the model cache and the store pack; and the
live loop that runs it on the camera.

`VisionService` owns the camera thread and one analysis thread. Each frame it takes is scored
for change; a changed frame, at the sampler's rate (2 fps idle, 5 fps engaged), is analysed,
gets its redacted cloud frame and becomes the scene the turn engine reads. Presence
transitions become `Presence` events; with a window, a small redacted `FramePreview` goes to
the screen. A lost camera becomes a `DeviceStatus` event and is retried.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from edge.camera import Camera, CameraOptions, FrameSource, describe, open_source
from edge.errors import EdgeError
from edge.vision.barcode import BarcodeReader
from edge.vision.embed import Embedder
from edge.vision.faces import BlazeFace, Face
from edge.vision.features import FeatureOptions
from edge.vision.frame import CloudFrame, CloudFramer, FrameOptions
from edge.vision.image import fit_within
from edge.vision.matcher import MatchOptions
from edge.vision.prefilter import Analysis, Prefilter
from edge.vision.presence import PresenceOptions, PresenceTracker
from edge.vision.providers import SessionOptions
from edge.vision.redact import redact
from edge.vision.references import ProductIndex, ReferenceSet
from edge.vision.sampler import Sampler, SamplerOptions
from edge.vision.zones import ZoneOptions
from kiosk.config import VisionSettings
from kiosk.errors import KioskError
from kiosk.events import DeviceStatus, EventSink, FaceBox, FramePreview, Presence
from kiosk.models import ModelCache
from kiosk.scene import LiveScene, scene_from
from kiosk.store.pack import StorePack
from kiosk.vision_index import IndexReport, build_references, default_index_dir

if TYPE_CHECKING:
    from kiosk.runtime import Runtime

log = logging.getLogger(__name__)

FACE_SHORT = "face_detection_front_128x128_barracuda.onnx"
FACE_FULL = "face_detection_back_256x256_barracuda.onnx"
PREVIEW_SIDE = 640


def session_options(settings: VisionSettings, models: ModelCache) -> SessionOptions:
    return SessionOptions(
        providers=settings.providers,
        threads=settings.threads,
        trt_cache_dir=models.root / "tensorrt" if "tensorrt" in settings.providers else None,
    )


def embedding_model(models: ModelCache, precision: str) -> Path:
    return models.require("mobilenet-v2", f"mobilenet_v2_{precision}.onnx")


def build_prefilter(
    settings: VisionSettings,
    models: ModelCache,
    store: StorePack | None,
    precision: str | None = None,
    defer_embeddings: bool = False,
) -> tuple[Prefilter, IndexReport | None]:
    """The real prefilter; with a store, its reference images are indexed (from the cache).
    With `defer_embeddings`, new images get key points only; `report.finish` computes the rest
    (see `complete_in_background`)."""
    session = session_options(settings, models)
    short = BlazeFace(models.require("blazeface", FACE_SHORT), session=session)
    full = BlazeFace(models.require("blazeface", FACE_FULL), session=session)
    framer = CloudFramer((short, full), FrameOptions(settings.max_side_px, settings.jpeg_quality))
    embedder = Embedder(embedding_model(models, precision or settings.embedding_precision), session)
    index, report, codes = None, None, {}
    if store is not None:
        references, report = build_references(
            store,
            embedder,
            default_index_dir(settings.index_cache_dir),
            defer_embeddings=defer_embeddings,
        )
        index = product_index(references, settings)
        codes = barcode_codes(store)
    prefilter = Prefilter(
        faces=short,
        embedder=embedder,
        index=index,
        barcodes=BarcodeReader(),
        framer=framer,
        codes=codes,
        zones=ZoneOptions(min_face=settings.min_face),
    )
    return prefilter, report


def complete_in_background(
    index: ProductIndex, finish: Callable[[], ReferenceSet]
) -> threading.Thread:
    """Compute the deferred embeddings on a low-priority thread and hand them to the index.
    Products are recognised by their key points meanwhile; plain packs wait for this."""

    def run() -> None:
        with contextlib.suppress(AttributeError, OSError):  # Linux: lower this thread only
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        try:
            index.complete(finish())
        except (KioskError, EdgeError, OSError, ValueError) as exc:
            log.warning("vision reference embeddings not computed: %s", exc)

    thread = threading.Thread(target=run, name="vision-embeddings", daemon=True)
    thread.start()
    return thread


def product_index(references: ReferenceSet, settings: VisionSettings) -> ProductIndex:
    return ProductIndex(
        references, MatchOptions(), FeatureOptions(min_inliers=settings.min_inliers)
    )


def barcode_codes(store: StorePack) -> dict[str, str]:
    """Every spelling of every SKU (EAN-13 with and without its leading 0) -> the SKU."""
    from edge.vision.barcode import spellings

    codes: dict[str, str] = {}
    for product in store.products:
        if product.sku:
            for spelling in spellings(product.sku):
                codes.setdefault(spelling, product.sku)
    return codes


def camera_source(settings: VisionSettings) -> str | int | None:
    """What to open; None when the camera is switched off."""
    source = settings.camera
    if isinstance(source, str) and source.strip().lower() == "off":
        return None
    return 0 if source is None else source


@dataclass
class Shot:
    analysis: Analysis
    frame: CloudFrame | None


def analyse_still(prefilter: Prefilter, image: np.ndarray, captured_ns: int = 0) -> Shot:
    """One picture through the whole prefilter (`kiosk frame`, `kiosk ask --image`)."""
    analysis = prefilter.analyse(image, captured_ns)
    return Shot(analysis, prefilter.cloud_frame(image, analysis))


class VisionService:
    def __init__(
        self,
        settings: VisionSettings,
        prefilter: Prefilter,
        scene: LiveScene,
        preview: bool = False,
    ) -> None:
        self.settings = settings
        self.prefilter = prefilter
        self.scene = scene
        self.preview = preview and settings.preview_fps > 0
        self.presence = PresenceTracker(PresenceOptions(settings.arrive_frames, settings.leave_s))
        self.sampler = Sampler(SamplerOptions(settings.idle_fps, settings.engaged_fps))
        self.camera: Camera | None = None
        self._emit: EventSink = lambda event: None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._faces: tuple[Face, ...] = ()
        self._shopper_seen = False
        self.analysed = 0

    def start(
        self,
        emit: EventSink,
        source: str | int | None = None,
        opener: Callable[[], FrameSource] | None = None,
    ) -> VisionService:
        """Open the camera (retrying in the background) and start analysing. `source`
        replaces the configured camera, `opener` the whole source (benchmarks, tests)."""
        if opener is None:
            target = camera_source(self.settings) if source is None else source
            if target is None:
                log.info("vision: camera off (config)")
                return self
            options = CameraOptions(target, self.settings.camera_size)
            opener = partial(open_source, options)
        self._emit = emit
        self.prefilter.change.reset()  # the first frame is always analysed
        self.camera = Camera(opener, self._camera_status).start()
        self._thread = threading.Thread(target=self._run, name="vision", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the threads to stop without waiting (safe in a signal handler)."""
        self._stop.set()
        if self.camera is not None:
            self.camera.stop()

    def close(self) -> None:
        """Stop and release the camera."""
        self.stop()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
        if self.camera is not None:
            self.camera.close()

    def _camera_status(self, ok: bool, detail: str) -> None:
        if ok:
            log.info("camera: %s delivering frames", detail)
        else:
            log.warning("camera unavailable: %s (retrying)", detail)
        self._emit(DeviceStatus("camera", ok, detail))

    def _run(self) -> None:
        assert self.camera is not None
        preview_ns = int(1e9 / self.settings.preview_fps) if self.preview else 0
        while not self._stop.is_set():
            frame = self.camera.read(timeout=1.0)
            now = time.monotonic_ns()
            if frame is None:  # a lost camera sees nobody: the visit ends after leave_s
                seen = self._shopper_seen and self.camera.ok is not False
                self._presence(self.presence.update(seen, len(self._faces), now))
                continue
            try:
                self.step(frame.image, frame.captured_ns)
            except Exception:  # one bad frame must not stop the camera
                log.exception("vision: analysing a frame failed")
            wait = self.sampler.wait_ns(time.monotonic_ns())
            if preview_ns:
                wait = min(wait, preview_ns)
            self._stop.wait(wait / 1e9)

    def step(self, image: np.ndarray, captured_ns: int) -> Analysis | None:
        """One frame: analyse when due and changed, publish the scene, report presence."""
        analysis = None
        if self.sampler.due(captured_ns, self.presence.engaged):
            analysis, _ = self.prefilter.process(image, captured_ns)
            if analysis is None:  # the same scene: whoever was there still is
                self.scene.confirm(captured_ns)
            else:
                self.analysed += 1
                self._publish(image, analysis)
                self._faces = analysis.faces
                self._shopper_seen = analysis.shopper is not None
            people = len(self._faces)
            self._presence(self.presence.update(self._shopper_seen, people, captured_ns))
        if self.preview:
            self._emit_preview(image, captured_ns)
        return analysis

    def _publish(self, image: np.ndarray, analysis: Analysis) -> None:
        """The scene, with its cloud frame made now while someone is engaged (a turn is likely),
        or on demand otherwise (an idle kiosk spends no face search on frames nobody asks for)."""
        if self.presence.engaged or analysis.shopper is not None:
            self.scene.publish(scene_from(analysis, self.prefilter.cloud_frame(image, analysis)))
            return
        self.scene.publish(
            scene_from(analysis, None), partial(self.prefilter.cloud_frame, image, analysis)
        )

    def _presence(self, transition: str | None) -> None:
        if transition is None:
            return
        engaged = transition == "arrived"
        if engaged:
            self.sampler.hurry()
        log.info("vision: shopper %s", transition)
        self._emit(Presence(engaged, self.presence.people))

    def _emit_preview(self, image: np.ndarray, captured_ns: int) -> None:
        small = fit_within(image, PREVIEW_SIDE)
        scale = small.shape[1] / image.shape[1]
        faces = [f.scaled(scale) for f in self._faces] + self.prefilter.faces.detect(small)
        shown = redact(small, faces) if faces else small
        boxes = tuple(FaceBox(int(f.x), int(f.y), int(f.w), int(f.h)) for f in faces)
        self._emit(FramePreview(shown, captured_ns, boxes, redacted=True))


class NoVision:
    """Stands in when the kiosk runs without a camera."""

    def start(
        self,
        emit: EventSink,
        source: str | int | None = None,
        opener: Callable[[], FrameSource] | None = None,
    ) -> NoVision:
        return self

    def stop(self) -> None:
        """Nothing to stop."""

    def close(self) -> None:
        """Nothing to release."""


def open_vision(
    runtime: Runtime, windowed: bool, enabled: bool = True
) -> tuple[VisionService | NoVision, str]:
    """The live vision service for `kiosk run`, feeding the turn engine's scene, and a line
    saying what it does. Missing models or a broken reference image leave the kiosk running
    without a camera; they never stop it."""
    settings = runtime.config.vision
    source = camera_source(settings)
    if not enabled or source is None:
        return NoVision(), "camera: off"
    try:
        prefilter, report = build_prefilter(
            settings, runtime.models, runtime.store, defer_embeddings=True
        )
        prefilter.warm_up()
        if report is not None and report.finish is not None and prefilter.index is not None:
            complete_in_background(prefilter.index, report.finish)
    except (KioskError, EdgeError) as exc:
        return NoVision(), f"camera: vision unavailable ({exc}); answering by voice only"
    scene = LiveScene()
    runtime.engine.scene = scene
    service = VisionService(settings, prefilter, scene, preview=windowed)
    refs = f", {report.images} reference images" if report is not None else ""
    return service, f"camera: {describe(source)}{refs}"
