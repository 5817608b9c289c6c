"""Text normalisation shared by the catalog index and the queries run against it.

Both sides go through the same steps, so a spoken query meets the catalog half way: lower case,
words only, spelled-out letter pairs in their spoken form ("AA" -> "double a"), a light plural
stemmer, and a consonant skeleton per word that survives most mishearings ("ibuprofin").
"""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"[a-z0-9]+")
_NOT = re.compile(r"n['\u2019]t\b")
_CLITIC = re.compile(r"['\u2019](?:s|re|d|ll|m|ve)\b")
"""'where's', 'we're', 'Rao's': the clitic is not a word of its own."""
_SPOKEN_LETTERS = {"aa": ["double", "a"], "aaa": ["triple", "a"], "aaaa": ["quad", "a"]}
_SOFT_C = re.compile(r"c(?=[eiy])")
_SKELETON_RULES = (("ph", "f"), ("ck", "k"), ("q", "k"), ("c", "k"), ("z", "s"), ("x", "ks"))

STOP_WORDS = frozenset(
    [
        "where",
        "what",
        "which",
        "how",
        "much",
        "many",
        "is",
        "are",
        "was",
        "were",
        "the",
        "an",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "from",
        "and",
        "or",
        "do",
        "does",
        "did",
        "you",
        "your",
        "we",
        "i",
        "me",
        "my",
        "mine",
        "can",
        "could",
        "would",
        "will",
        "shall",
        "should",
        "may",
        "might",
        "find",
        "found",
        "get",
        "got",
        "buy",
        "need",
        "needed",
        "want",
        "wanted",
        "looking",
        "look",
        "have",
        "has",
        "had",
        "any",
        "some",
        "sell",
        "sells",
        "carry",
        "carries",
        "keep",
        "kept",
        "stock",
        "there",
        "here",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "they",
        "them",
        "please",
        "thanks",
        "thank",
        "hi",
        "hello",
        "hey",
        "excuse",
        "sorry",
        "cost",
        "costs",
        "price",
        "priced",
        "aisle",
        "aisles",
        "located",
        "location",
        "store",
        "shop",
        "just",
        "also",
        "one",
        "ones",
        "kind",
        "sort",
        "be",
        "been",
        "being",
        "am",
        "if",
        "so",
        "like",
        "go",
        "going",
        "with",
        "by",
        "about",
        "okay",
        "ok",
        "um",
        "uh",
        "not",
        "no",
        "yes",
        "who",
        "when",
        "why",
        "our",
        "us",
        "he",
        "she",
        "his",
        "her",
        "their",
        "other",
        "another",
        "thing",
        "something",
        "anything",
        "stuff",
        "still",
        "even",
        "guy",
        "today",
        "right",
        "now",
        "again",
        "too",
        "very",
        "really",
        "know",
        "tell",
        "show",
        "take",
        "help",
        "way",
    ]
)
_LETTER_PREFIXES = frozenset({"double", "triple", "quad", "size", "vitamin", "grade", "type"})


def words(text: str) -> list[str]:
    """Lower-case words and numbers, spelled letter pairs spoken out, plurals stemmed."""
    out: list[str] = []
    lowered = _CLITIC.sub("", _NOT.sub(" not", text.lower()))
    for raw in _WORD.findall(lowered):
        expansion = _SPOKEN_LETTERS.get(raw)
        if expansion:
            out.extend(expansion)
        else:
            out.append(stem(raw))
    return out


def content_words(text: str) -> list[str]:
    """The words of a query that can name a product: stop words dropped, but 'a' kept after
    'double'/'triple' and the like."""
    kept: list[str] = []
    tokens = words(text)
    for i, token in enumerate(tokens):
        if token == "a":
            if i > 0 and tokens[i - 1] in _LETTER_PREFIXES:
                kept.append(token)
            continue
        if token not in STOP_WORDS:
            kept.append(token)
    return kept


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@lru_cache(maxsize=65536)
def skeleton(word: str) -> str:
    """A rough sound key: consonants normalised, every vowel run one 'a', repeats collapsed.
    'ibuprofin' and 'ibuprofen' share one; 'battery' and 'butter' do not."""
    if word.isdigit() or len(word) <= 2:
        return word
    w = _SOFT_C.sub("s", word)  # 'cereal' sounds like 'serial', 'cider' like 'sider'
    for src, dst in _SKELETON_RULES:
        w = w.replace(src, dst)
    w = re.sub(r"[aeiouy]+", "a", w.replace("h", "").replace("w", ""))
    return re.sub(r"(.)\1+", r"\1", w)
