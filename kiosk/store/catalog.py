"""Catalog search: exact SKU, names and aliases, and fuzzy matching for misheard words.

Candidates come from an in-memory SQLite FTS5 index over each product's phrases (its name and
aliases) and their sound skeletons; a small scorer then aligns the query's words with each
candidate phrase, weighting rare words more, and gives a score from 0 to 1.
"""

from __future__ import annotations

import math
import sqlite3
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from rapidfuzz.distance import Levenshtein

from kiosk.store.pack import Product, StorePack
from kiosk.store.text import content_words, skeleton, words

_CANDIDATES = 60
_COMMON = 400
_GOOD_ENOUGH = 0.8
_FUZZY_ONLY = 0.85
_MIN_SCORE = 0.2
"""Below this best score, also look for misheard words by shared letters."""
_KNOWN_WORD_SOUND_ALIKE = 0.7
"""A catalog word heard as such is probably right: a sound-alike of it counts this much."""


@dataclass(frozen=True)
class Match:
    product: Product
    score: float
    """0..1: how well the query covers the phrase and the phrase the query."""
    phrase: str
    """The name, alias or SKU that matched."""
    how: Literal["sku", "text"]
    sure: bool = True
    """A word of the query is a word of the phrase, or close to one (not only a lone letter or a
    short sound-alike, which Whisper also makes out of a pause)."""


@dataclass(frozen=True)
class _Phrase:
    product: int
    text: str
    tokens: tuple[str, ...]


class Catalog:
    """Search over one store pack. Build once per pack; searches are read-only."""

    def __init__(self, store: StorePack) -> None:
        self.store = store
        self._by_sku = {p.sku: p for p in store.products if p.sku}
        self._phrases: list[_Phrase] = []
        for index, product in enumerate(store.products):
            seen: set[tuple[str, ...]] = set()
            for text in (product.name, *product.aliases):
                tokens = tuple(words(text))
                if tokens and tokens not in seen:
                    seen.add(tokens)
                    self._phrases.append(_Phrase(index, text, tokens))
        frequency = Counter(t for p in self._phrases for t in set(p.tokens))
        self._frequency = frequency
        total = max(len(self._phrases), 1)
        self._idf = {t: math.log(1 + total / n) for t, n in frequency.items()}
        self._unknown_idf = math.log(1 + total)
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.execute("CREATE VIRTUAL TABLE phrase USING fts5(words, sounds)")
        self._db.execute("CREATE VIRTUAL TABLE letters USING fts5(words, tokenize='trigram')")
        rows = [(i, " ".join(p.tokens)) for i, p in enumerate(self._phrases)]
        self._db.executemany(
            "INSERT INTO phrase(rowid, words, sounds) VALUES (?, ?, ?)",
            (
                (i, text, " ".join(skeleton(t) for t in p.tokens))
                for (i, text), p in zip(rows, self._phrases, strict=True)
            ),
        )
        self._db.executemany("INSERT INTO letters(rowid, words) VALUES (?, ?)", rows)

    def __len__(self) -> int:
        return len(self.store.products)

    def by_sku(self, sku: str) -> Product | None:
        return self._by_sku.get(sku.strip())

    def search(self, query: str, limit: int = 5) -> list[Match]:
        """Best matches first, at most one per product."""
        digits = "".join(ch for ch in query if ch.isdigit())
        if len(digits) >= 8 and digits in self._by_sku:
            return [Match(self._by_sku[digits], 1.0, digits, "sku")]
        tokens = content_words(query)
        if not tokens:
            return []
        best: dict[int, Match] = {}
        self._score_into(best, tokens, self._candidates(tokens))
        if max((m.score for m in best.values()), default=0.0) < _GOOD_ENOUGH:
            self._score_into(best, tokens, self._misheard_candidates(tokens))
        ranked = sorted(
            (m for m in best.values() if m.score >= _MIN_SCORE),
            key=lambda m: (-m.score, m.product.name),
        )
        return ranked[:limit]

    def _score_into(self, best: dict[int, Match], tokens: list[str], phrase_ids: list[int]) -> None:
        for phrase_id in phrase_ids:
            phrase = self._phrases[phrase_id]
            score, sure = self._score(tokens, phrase.tokens)
            current = best.get(phrase.product)
            if current is None or score > current.score:
                product = self.store.products[phrase.product]
                best[phrase.product] = Match(product, score, phrase.text, "text", sure)

    def vocabulary(self, limit: int = 60) -> list[str]:
        """Distinctive product words, rarest first: a prompt that biases speech recognition."""
        names = sorted(self._idf, key=lambda t: (-self._idf[t], t))
        return [t for t in names if len(t) > 3 and not t.isdigit()][:limit]

    def _candidates(self, tokens: list[str]) -> list[int]:
        """Phrases sharing a distinctive word (or its sound) with the query. Words on more than
        `_COMMON` phrases only retrieve when nothing rarer was heard: ranking thousands of rows
        is what makes a query slow, and the scorer still weighs every word."""
        unique = list(dict.fromkeys(tokens))
        known = sorted((t for t in unique if t in self._frequency), key=self._frequency.__getitem__)
        rare = [t for t in known if self._frequency[t] <= _COMMON]
        terms = []
        if not rare and known:  # only common words: phrases holding all of them
            quoted_known = (t.replace('"', "") for t in known)
            terms.append("(" + " AND ".join(f'words:"{t}"' for t in quoted_known) + ")")
        for token in unique:
            quoted = token.replace('"', "")
            if token in self._frequency:
                if token in rare:
                    terms.append(f'words:"{quoted}"')
                continue
            if len(quoted) >= 3:
                terms.append(f'words:"{quoted}"*')
            sound = skeleton(token)
            if len(sound) >= 2:
                terms.append(f'sounds:"{sound}"')
        if not terms:
            return []
        sql = "SELECT rowid FROM phrase WHERE phrase MATCH ? ORDER BY rank LIMIT ?"
        return [int(r[0]) for r in self._db.execute(sql, (" OR ".join(terms), _CANDIDATES))]

    def _misheard_candidates(self, tokens: list[str]) -> list[int]:
        """Misheard words ("matteries") share letter triples with what was meant."""
        triples = {
            token[i : i + 3]
            for token in tokens
            if len(token) >= 5 and not token.isdigit() and token not in self._frequency
            for i in range(len(token) - 2)
        }
        if not triples:
            return []
        query = " OR ".join(f'"{t}"' for t in sorted(triples))
        sql = "SELECT rowid FROM letters WHERE letters MATCH ? ORDER BY rank LIMIT ?"
        return [int(r[0]) for r in self._db.execute(sql, (query, _CANDIDATES // 2))]

    def _score(self, query: list[str], phrase: tuple[str, ...]) -> tuple[float, bool]:
        query_weights = [self._idf.get(q, self._unknown_idf * 0.5) for q in query]
        phrase_weights = [self._idf.get(t, self._unknown_idf) for t in phrase]
        query_cover = sum(
            w * max(_similarity(q, t, q in self._idf) for t in phrase)
            for q, w in zip(query, query_weights, strict=True)
        ) / sum(query_weights)
        phrase_cover = sum(
            w * max(_similarity(t, q, q in self._idf) for q in query)
            for t, w in zip(phrase, phrase_weights, strict=True)
        ) / sum(phrase_weights)
        score = 0.5 * query_cover + 0.5 * phrase_cover
        # A lone letter ("b") or a three-letter sound-alike ("out" for "oat") is too little to be
        # sure of: Whisper makes both out of a pause.
        sure = any(_similarity(q, t) >= 0.85 for q in query if len(q) > 1 for t in phrase)
        if not sure:
            score *= _FUZZY_ONLY  # nothing heard for sure: a guess, not an answer
        return round(score, 4), sure


def _similarity(a: str, b: str, heard_known: bool = False) -> float:
    """How alike two words are, 0..1. `heard_known`: the query's word is itself a catalog word
    ('soap'), so it was probably heard right and a sound-alike ('soup') counts for less."""
    if a == b:
        return 1.0
    if a.isdigit() or b.isdigit():
        return 0.0
    discount = _KNOWN_WORD_SOUND_ALIKE if heard_known else 1.0
    if skeleton(a) == skeleton(b) and min(len(a), len(b)) > 2:
        return (0.85 if min(len(a), len(b)) > 3 else 0.7) * discount
    short, long_ = sorted((a, b), key=len)
    if long_.startswith(short):
        return 0.6 + 0.3 * len(short) / len(long_)
    ratio = float(Levenshtein.normalized_similarity(a, b))
    return ratio * discount if ratio >= 0.75 else 0.0
