"""Match an embedding against the store's reference embeddings by cosine similarity.

A product may have several reference images; each product scores its best image. A match
counts only when the best product clears `min_score` and leads the runner-up product by
`min_margin`; otherwise the item is unknown. The reference matrix is L2-normalised, so cosine
similarity is one matrix product.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MatchOptions:
    min_score: float = 0.6
    """Cosine similarity the best product needs."""
    min_margin: float = 0.04
    """Lead over the runner-up product needed to name it."""


@dataclass(frozen=True)
class ProductMatch:
    label: str
    """The best product's label (its SKU or catalog key)."""
    score: float
    runner_up: str | None
    runner_up_score: float
    accepted: bool
    """Cleared both the score and the margin: the product is known."""

    @property
    def margin(self) -> float:
        return self.score - self.runner_up_score


class ProductMatcher:
    def __init__(
        self,
        embeddings: np.ndarray,
        labels: Sequence[str],
        options: MatchOptions | None = None,
    ) -> None:
        if len(embeddings) != len(labels):
            raise ValueError(f"{len(embeddings)} embeddings for {len(labels)} labels")
        self.options = options or MatchOptions()
        self.products = sorted(set(labels))
        index = {label: i for i, label in enumerate(self.products)}
        self._owner = np.array([index[label] for label in labels], dtype=np.int64)
        refs = np.asarray(embeddings, dtype=np.float32)
        self._refs = refs.reshape(len(labels), -1) if len(labels) else refs.reshape(0, 0)

    def __len__(self) -> int:
        return len(self.products)

    def scores(self, embedding: np.ndarray) -> np.ndarray:
        """Each product's best cosine similarity (in `products` order)."""
        sims = self._refs @ np.asarray(embedding, dtype=np.float32).reshape(-1)
        best = np.full(len(self.products), -1.0, dtype=np.float32)
        np.maximum.at(best, self._owner, sims)
        return best

    def match(self, embedding: np.ndarray) -> ProductMatch | None:
        """The best product and how sure it is; None with no references."""
        if not self.products:
            return None
        best = self.scores(embedding)
        order = np.argsort(-best)[:2]
        top = int(order[0])
        second = int(order[1]) if len(order) > 1 else None
        second_score = float(best[second]) if second is not None else -1.0
        score = float(best[top])
        accepted = (
            score >= self.options.min_score and score - second_score >= self.options.min_margin
        )
        return ProductMatch(
            self.products[top],
            score,
            self.products[second] if second is not None else None,
            second_score,
            accepted,
        )
