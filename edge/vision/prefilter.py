"""The vision prefilter: one camera frame in; faces, the held-up product, barcodes, a change
score and the redacted frame for the cloud out.

Steps, each timed:
- change: a tiny thumbnail difference; an unchanged scene is not analysed again.
- faces: BlazeFace short-range on the whole frame; the shopper is a large face near the centre.
- barcode: OpenCV's EAN/UPC detector on the show zone; a code in the catalog is exact.
- verify: ORB key points of the show zone against the references' (LSH + RANSAC); the product
  the key points vote for is named only with enough geometric inliers and a lead over the
  runner-up.
- embed: only when the key points named nothing: the MobileNetV2 embedding of the show zone,
  ranked against the references by cosine, offers its two best for the same geometric check.
  References without key points are matched by the embedding alone, with its margin.
  Otherwise the product is unknown.
- cloud: full-range BlazeFace finds every face, all are flattened, the frame is scaled and
  encoded, and the encoded frame is decoded and checked again before it may be sent.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from edge.vision.barcode import BarcodeReader
from edge.vision.change import ChangeDetector
from edge.vision.embed import Embedder, square_crop
from edge.vision.faces import BlazeFace, Face
from edge.vision.features import Verified
from edge.vision.frame import CloudFrame, CloudFramer
from edge.vision.image import fit_within
from edge.vision.references import ProductIndex
from edge.vision.zones import Box, ZoneOptions, shopper_face, show_zone

ANALYSIS_SIDE = 960
"""Frames are analysed at most this large; the cloud frame is cut from the original."""
BARCODE_SIDE = 800


@dataclass(frozen=True)
class Recognition:
    label: str
    how: str
    """'barcode', 'keypoints' (their geometry named it) or 'embedding' (the embedding
    ranked it and key points confirmed it, or the references have no key points)."""
    score: float


@dataclass(frozen=True)
class Analysis:
    captured_ns: int
    width: int
    height: int
    """Of the original frame; every box below is in its pixels."""
    faces: tuple[Face, ...]
    shopper: Face | None
    zone: Box
    product: Recognition | None
    unknown_item: bool
    """Something with a barcode, or partly like a product, is held up but matches none."""
    barcodes: tuple[str, ...]
    change: float
    timings_ms: dict[str, float] = field(default_factory=dict)
    """Wall time per step that ran."""
    cpu_ms: dict[str, float] = field(default_factory=dict)
    """CPU time of the analysing thread per step: what a step costs whatever else runs."""


@dataclass
class Prefilter:
    faces: BlazeFace
    embedder: Embedder | None
    index: ProductIndex | None
    barcodes: BarcodeReader | None
    framer: CloudFramer
    codes: Mapping[str, str] = field(default_factory=dict)
    """Barcode spelling -> product label."""
    zones: ZoneOptions = field(default_factory=ZoneOptions)
    change: ChangeDetector = field(default_factory=ChangeDetector)
    unknown_min_inliers: int = 6

    def warm_up(self) -> None:
        """Run every model once, so the first shopper doesn't pay for lazy initialisation."""
        blank = np.full((480, 640, 3), 128, np.uint8)
        self.cloud_frame(blank, self.analyse(blank, 0))
        if self.embedder is not None:
            self.embedder.embed([blank])

    def process(self, image: np.ndarray, captured_ns: int) -> tuple[Analysis | None, float]:
        """Analyse the frame if the scene changed; returns (analysis or None, change score)."""
        score = self.change.score(image)
        if not self.change.should_analyse(score, captured_ns):
            return None, score
        analysis = self.analyse(image, captured_ns, score)
        self.change.analysed(image, captured_ns)
        return analysis, score

    def analyse(self, image: np.ndarray, captured_ns: int, change: float = 1.0) -> Analysis:
        timings: dict[str, float] = {}
        cpu: dict[str, float] = {}
        clock = _Stopwatch(timings, cpu)
        height, width = image.shape[:2]
        work = fit_within(image, ANALYSIS_SIDE)
        scale = width / work.shape[1]
        clock.lap("resize")
        faces = [f.scaled(scale) for f in self.faces.detect(work)]
        shopper = shopper_face(faces, width, self.zones)
        zone = show_zone(width, height, shopper, self.zones)
        x0, y0, x1, y1 = (int(v / scale) for v in zone)
        crop = square_crop(work, (x0, y0, x1, y1))
        clock.lap("faces")
        product, codes, unread = self._barcode(crop)
        clock.lap("barcode")
        unknown = unread > 0 or bool(codes)
        if product is None and self.index is not None and self.embedder is not None:
            product, partial = self._visual(crop, clock)
            unknown = unknown or partial
        return Analysis(
            captured_ns=captured_ns,
            width=width,
            height=height,
            faces=tuple(faces),
            shopper=shopper,
            zone=zone,
            product=product,
            unknown_item=product is None and unknown,
            barcodes=codes,
            change=change,
            timings_ms=timings,
            cpu_ms=cpu,
        )

    def cloud_frame(self, image: np.ndarray, analysis: Analysis) -> CloudFrame | None:
        """The redacted, scaled, encoded frame; None if faces could not all be removed."""
        start, start_cpu = time.perf_counter(), time.thread_time()
        frame = self.framer.prepare(image, analysis.faces, analysis.captured_ns)
        analysis.timings_ms["cloud_frame"] = (time.perf_counter() - start) * 1000
        analysis.cpu_ms["cloud_frame"] = (time.thread_time() - start_cpu) * 1000
        return frame

    def _barcode(self, crop: np.ndarray) -> tuple[Recognition | None, tuple[str, ...], int]:
        if self.barcodes is None:
            return None, (), 0
        scan = self.barcodes.scan(fit_within(crop, BARCODE_SIDE))
        for code in scan.codes:
            for spelling in code.spellings():
                label = self.codes.get(spelling)
                if label is not None:
                    return Recognition(label, "barcode", 1.0), (code.code,), 0
        return None, tuple(c.code for c in scan.codes), scan.unread

    def _visual(self, crop: np.ndarray, clock: _Stopwatch) -> tuple[Recognition | None, bool]:
        """The product the show zone holds, and whether an unnamed item is partly like one."""
        assert self.index is not None and self.embedder is not None
        if not len(self.index):
            return None, False
        features = self.index.features
        votes = features.votes(crop) if features.size else None
        verified = features.verify(votes) if votes is not None else None
        clock.lap("verify")
        if verified is not None and verified.accepted:
            return self._named(verified, "keypoints"), False
        embedding = self.embedder.embed([crop])[0]
        scores = self.index.matcher.scores(embedding)
        ranked = [int(i) for i in np.argsort(-scores)[:2]]
        clock.lap("embed")
        if votes is not None:
            verified = features.verify(votes, extra=ranked)
            clock.lap("verify")
            if verified.accepted:
                return self._named(verified, "embedding"), False
        if not features.has_points(ranked[0]):  # a plain pack: the embedding alone names it
            match = self.index.matcher.match(embedding)
            if match is not None and match.accepted:
                return Recognition(match.label, "embedding", match.score), False
        partial = verified is not None and verified.inliers >= self.unknown_min_inliers
        return None, partial

    def _named(self, verified: Verified, how: str) -> Recognition:
        assert self.index is not None
        return Recognition(self.index.products[verified.index], how, verified.score)


class _Stopwatch:
    def __init__(self, timings: dict[str, float], cpu: dict[str, float]) -> None:
        self.timings = timings
        self.cpu = cpu
        self._last = time.perf_counter()
        self._last_cpu = time.thread_time()

    def lap(self, step: str) -> None:
        now, now_cpu = time.perf_counter(), time.thread_time()
        self.timings[step] = self.timings.get(step, 0.0) + (now - self._last) * 1000
        self.cpu[step] = self.cpu.get(step, 0.0) + (now_cpu - self._last_cpu) * 1000
        self._last, self._last_cpu = now, now_cpu
