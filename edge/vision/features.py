"""Local-feature verification of a product: ORB key points matched against the reference
images' key points through an LSH index, then a RANSAC homography per candidate.

The MobileNet embedding ranks products by overall look; it is fast and scales, but on its own
it confuses packs that share a layout. A printed pack seen again matches many of its reference
key points in one consistent geometry, whatever the rotation, scale, light or a hand over one
edge. The product with the most geometric inliers wins if it clears `min_inliers` and leads
the runner-up by `min_lead` times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

WORK_SIDE = 400
"""Reference images are scaled so their longer side is at most this before key points are
found; `FeatureOptions.query_side` does the same for the show zone."""
LSH_PARAMS: dict[str, bool | int | float | str] = {
    "algorithm": 6,
    "table_number": 3,
    "key_size": 14,
    "multi_probe_level": 1,
}
"""FLANN's LSH over the binary descriptors. Three tables recall as well as four on the
augmented set (`kiosk bench vision`) and cost a tenth less per query."""


@dataclass(frozen=True)
class FeatureOptions:
    reference_points: int = 300
    query_points: int = 400
    query_side: int = 400
    ratio: float = 0.8
    """Lowe's ratio test: best match distance below this share of the second best."""
    min_inliers: int = 12
    min_lead: float = 1.5
    """The winner needs this many times the runner-up's inliers."""
    candidates: int = 3


@dataclass(frozen=True)
class Keypoints:
    points: np.ndarray
    """[N, 2] float32 pixel positions."""
    descriptors: np.ndarray
    """[N, 32] uint8 ORB descriptors."""

    @staticmethod
    def empty() -> Keypoints:
        return Keypoints(np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8))


@dataclass(frozen=True)
class Verified:
    index: int
    """Product position in the index."""
    inliers: int
    runner_up_inliers: int
    accepted: bool

    @property
    def score(self) -> float:
        """A confidence in 0..1 that grows with the inliers (12 inliers: 0.62)."""
        return min(0.99, 0.5 + self.inliers / 100.0)


@dataclass(frozen=True)
class Votes:
    """The show zone's key points matched into the index: the first half of a verification."""

    points: np.ndarray
    """[N, 2] query key point positions."""
    pairs: np.ndarray
    """[M, 2] (query key point, reference key point) that pass the ratio test."""
    owners: np.ndarray
    """[M] the product of each pair's reference key point."""
    counts: np.ndarray
    """Pairs per product position."""


class OrbExtractor:
    def __init__(self, points: int, side: int = WORK_SIDE, fast_score: bool = False) -> None:
        """`fast_score` ranks corners by FAST's score on six pyramid levels instead of Harris
        on eight: about a quarter cheaper, used for the show zone at frame rate."""
        if fast_score:
            self._orb = cv2.ORB.create(
                nfeatures=points, fastThreshold=10, nlevels=6, scoreType=cv2.ORB_FAST_SCORE
            )
        else:
            self._orb = cv2.ORB.create(nfeatures=points, fastThreshold=10)
        self._side = side

    def __call__(self, image: np.ndarray) -> Keypoints:
        gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        scale = min(1.0, self._side / max(gray.shape[:2]))
        if scale < 1.0:
            size = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
            gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
        keypoints, descriptors = self._orb.detectAndCompute(gray, None)
        if descriptors is None or not keypoints:
            return Keypoints.empty()
        points = np.array([k.pt for k in keypoints], dtype=np.float32) / scale
        return Keypoints(points, np.ascontiguousarray(descriptors, dtype=np.uint8))


class FeatureIndex:
    """All reference key points in one LSH index; `owners` says which product each belongs to."""

    def __init__(
        self,
        references: Sequence[Keypoints],
        owners: Sequence[int],
        options: FeatureOptions | None = None,
    ) -> None:
        self.options = options or FeatureOptions()
        self._extract = OrbExtractor(
            self.options.query_points, self.options.query_side, fast_score=True
        )
        kept = [(k, o) for k, o in zip(references, owners, strict=True) if len(k.descriptors)]
        self.size = sum(len(k.descriptors) for k, _ in kept)
        self._pointed: frozenset[int] = frozenset()
        self._matcher: cv2.FlannBasedMatcher | None = None
        if not kept:
            return
        self._points = np.concatenate([k.points for k, _ in kept])
        self._owner = np.concatenate([np.full(len(k.descriptors), o, np.int64) for k, o in kept])
        self._pointed = frozenset(int(o) for _, o in kept)
        descriptors = np.concatenate([k.descriptors for k, _ in kept])
        self._matcher = cv2.FlannBasedMatcher(LSH_PARAMS, {"checks": 32})
        self._matcher.add([descriptors])
        self._matcher.train()

    def has_points(self, product: int) -> bool:
        """Whether any reference image of the product gave key points (a plain pack gives
        none, and only the embedding can name it)."""
        return product in self._pointed

    def votes(self, image: np.ndarray) -> Votes | None:
        """The show zone's key points matched into the index; None when nothing matches."""
        if self._matcher is None:
            return None
        query = self._extract(image)
        if len(query.descriptors) < 2:
            return None
        found = self._matcher.knnMatch(query.descriptors, k=2)
        rows = [
            (m[0].queryIdx, m[0].trainIdx)
            for m in found
            if len(m) == 2 and m[0].distance < self.options.ratio * m[1].distance
        ]
        if not rows:
            return None
        pairs = np.array(rows, dtype=np.int64)
        owners = self._owner[pairs[:, 1]]
        return Votes(query.points, pairs, owners, np.bincount(owners))

    def verify(self, votes: Votes, extra: Sequence[int] = ()) -> Verified:
        """The product whose reference key points the votes fit best in one geometry, with
        its inliers. `extra` adds candidates beside the most voted (the embedding's best)."""
        counts = votes.counts
        ranked = [int(i) for i in np.argsort(-counts)[: self.options.candidates] if counts[i] > 0]
        candidates = [c for c in dict.fromkeys([*ranked, *extra]) if c < len(counts)]
        # A candidate's inliers never exceed its votes, so RANSAC runs only for those that
        # could win (votes >= min_inliers) or could still deny the winner its lead.
        count = {c: int(counts[c]) for c in candidates}
        inliers = {
            c: self._inliers(votes, c) for c in candidates if count[c] >= self.options.min_inliers
        }
        if not inliers:
            return Verified(ranked[0], 0, max(count.values(), default=0), False)
        index = max(inliers, key=lambda c: inliers[c])
        best = inliers[index]
        for c in candidates:
            if c not in inliers and count[c] * self.options.min_lead > best:
                inliers[c] = self._inliers(votes, c)
        second = max((inliers.get(c, count[c]) for c in candidates if c != index), default=0)
        accepted = best >= self.options.min_inliers and best >= self.options.min_lead * second
        return Verified(index, best, second, accepted)

    def _inliers(self, votes: Votes, product: int) -> int:
        pairs = votes.pairs[votes.owners == product]
        if len(pairs) < 5:
            return 0
        source = votes.points[pairs[:, 0]]
        target = self._points[pairs[:, 1]]
        _, mask = cv2.findHomography(source, target, cv2.RANSAC, 8.0)
        return int(mask.sum()) if mask is not None else 0
