"""Shared fixtures. Qt always renders offscreen in tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

DATA = Path(__file__).parent / "data"
SPEECH = DATA / "speech"
MINI_STORE = DATA / "mini_store"


@pytest.fixture
def mini_store_dir() -> Path:
    return MINI_STORE


@pytest.fixture(scope="session")
def model_cache():  # type: ignore[no-untyped-def]
    """The real model cache. Models tests fail, never skip, when it is incomplete."""
    from kiosk.models import ModelCache, default_cache_dir

    cache = ModelCache(default_cache_dir())
    problems = cache.verify()
    if problems:
        pytest.fail(f"model cache {cache.root} is incomplete, run `kiosk models fetch`: {problems}")
    return cache
