"""The store's reference images, ready to match: one embedding and one set of key points per
image, each image belonging to a product label (its SKU or catalog key)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from edge.vision.embed import DIM
from edge.vision.features import FeatureIndex, FeatureOptions, Keypoints
from edge.vision.matcher import MatchOptions, ProductMatcher


@dataclass(frozen=True)
class ReferenceSet:
    labels: tuple[str, ...]
    """One per image: the product it shows."""
    embeddings: np.ndarray = field(repr=False)
    """[images, 1280], L2-normalised."""
    keypoints: tuple[Keypoints, ...] = field(repr=False)

    @staticmethod
    def empty() -> ReferenceSet:
        return ReferenceSet((), np.zeros((0, DIM), np.float32), ())

    def __len__(self) -> int:
        return len(self.labels)


class ProductIndex:
    """The embedding matcher and the key-point index over one reference set."""

    def __init__(
        self,
        references: ReferenceSet,
        match: MatchOptions | None = None,
        features: FeatureOptions | None = None,
    ) -> None:
        self.references = references
        self.matcher = ProductMatcher(references.embeddings, references.labels, match)
        position = {label: i for i, label in enumerate(self.matcher.products)}
        owners = [position[label] for label in references.labels]
        self.features = FeatureIndex(references.keypoints, owners, features)

    def complete(self, references: ReferenceSet) -> None:
        """Take the embeddings of a reference set computed later (same images, same order).
        The matcher is swapped in one assignment, so a frame being analysed meanwhile sees the
        old one or the new one, never half of each."""
        if references.labels != self.references.labels:
            raise ValueError("the completed references are not the same images")
        options = self.matcher.options
        self.references = references
        self.matcher = ProductMatcher(references.embeddings, references.labels, options)

    @property
    def products(self) -> Sequence[str]:
        return self.matcher.products

    def __len__(self) -> int:
        return len(self.matcher)
