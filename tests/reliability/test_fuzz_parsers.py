"""Fuzzing the parsers a user feeds: the config file (and its environment overrides) and the
store pack. Every input gets a result or the module's own one-line error, never a crash."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kiosk.config import KioskConfig, Section, check_config_text, load_config
from kiosk.errors import ConfigError, StorePackError
from kiosk.store.catalog import Catalog
from kiosk.store.pack import StorePack, demo_store_path, load_store

pytestmark = pytest.mark.unit
FUZZ = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
SECTIONS: dict[str, list[str]] = {
    name: list(field.annotation.model_fields)
    for name, field in KioskConfig.model_fields.items()
    if isinstance(field.annotation, type) and issubclass(field.annotation, Section)
}
SAMPLE_CONFIG = """revision = "2026-11-21.1"
[audio]
input_device = "USB"
block_ms = 32
[vad]
threshold = 0.6
[router]
min_confidence = 0.62
[visit]
leave_after_s = 6.0
[telemetry]
ttl_days = 7
metrics_port = 9464
[ui]
suggestions = ["batteries", "milk"]
"""

scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.datetimes(),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def config_documents(draw: st.DrawFn) -> dict[str, Any]:
    """TOML documents shaped like the schema: real sections and fields, values of any type."""
    doc: dict[str, Any] = {}
    if draw(st.booleans()):
        doc["revision"] = draw(values)
    for section in draw(st.lists(st.sampled_from(sorted(SECTIONS)), max_size=4, unique=True)):
        known = st.sampled_from(SECTIONS[section]) | st.text(max_size=10)
        doc[section] = draw(st.dictionaries(known, values, max_size=4))
    if draw(st.integers(0, 9)) == 0:
        doc[draw(st.text(min_size=1, max_size=10))] = draw(values)
    return doc


def _valid_or_config_error(text: str) -> KioskConfig | None:
    try:
        return check_config_text(text, source="fuzz.toml")
    except ConfigError as exc:
        assert exc.problems, "a ConfigError names at least one problem"
        assert all(p.isprintable() for p in exc.problems), "one line each, nothing hidden"
        return None


@FUZZ
@given(config_documents())
def test_any_config_shaped_document_is_accepted_or_refused_by_field(doc: dict[str, Any]) -> None:
    config = _valid_or_config_error(tomli_w.dumps(doc))
    if config is not None:  # what was accepted writes back out and is accepted again
        again = check_config_text(tomli_w.dumps(config.model_dump(mode="json", exclude_none=True)))
        assert again == config


@FUZZ
@given(st.text(max_size=300))
@example("[audio]\nblock_ms = 1e400")
@example('revision = "\\u0000"')
@example("[[audio]]\n[[audio]]")
def test_any_text_is_accepted_or_refused(text: str) -> None:
    _valid_or_config_error(text)


@FUZZ
@given(st.integers(0, len(SAMPLE_CONFIG)), st.binary(max_size=8))
def test_truncated_and_corrupted_configs_are_refused_cleanly(cut: int, junk: bytes) -> None:
    _valid_or_config_error(SAMPLE_CONFIG[:cut] + junk.decode("latin-1"))


@FUZZ
@given(st.binary(max_size=200))
def test_a_config_file_of_any_bytes_is_refused_or_read(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kiosk.toml"
        path.write_bytes(data)
        try:
            load_config(path, use_env=False)
        except ConfigError as exc:
            assert str(exc).startswith(str(path))


@FUZZ
@given(
    st.sampled_from(sorted(SECTIONS)).flatmap(
        lambda s: st.tuples(st.just(s), st.sampled_from(["", *SECTIONS[s]]))
    ),
    st.text(max_size=30).filter(lambda t: "\0" not in t),
)
@example(("audio", ""), "{bad json")
@example(("vad", "threshold"), "abc")
def test_environment_overrides_are_refused_by_field(field: tuple[str, str], value: str) -> None:
    section, name = field
    variable = f"KIOSK_{section.upper()}" + (f"__{name.upper()}" if name else "")
    saved = os.environ.get(variable)
    os.environ[variable] = value
    try:
        load_config(None)
    except ConfigError as exc:
        assert str(exc).startswith("<defaults>: ")
    finally:
        if saved is None:
            del os.environ[variable]
        else:
            os.environ[variable] = saved


@FUZZ
@given(
    st.sampled_from(["api_key", "API_KEY", "token", "Password", "gemini_api_key"]),
    st.sampled_from(["", "cloud", "audio"]),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=12, max_size=40),
)
def test_secrets_are_refused_and_never_echoed(key: str, section: str, secret: str) -> None:
    text = (f"[{section}]\n" if section else "") + f'{key} = "{secret}"\n'
    with pytest.raises(ConfigError) as info:
        check_config_text(text)
    assert "secrets are not allowed" in str(info.value)
    assert secret not in str(info.value)


# ----- store packs -----

STORE_FIELDS = {
    "store": ["name", "map", "service_desk", "you_are_here"],
    "shelf": ["id", "label", "map_xy", "camera_xy"],
    "product": ["sku", "name", "aliases", "shelf", "price", "images"],
}
GOOD_SHELF = {"id": "A1", "label": "Aisle 1"}
GOOD_PRODUCT = {"sku": "0041333424019", "name": "AA batteries", "shelf": "A1"}


@st.composite
def store_documents(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly-valid packs with a few fields set to anything: where parsers are fragile."""

    def entry(kind: str, base: dict[str, Any]) -> dict[str, Any]:
        table = dict(base)
        for name in draw(st.lists(st.sampled_from(STORE_FIELDS[kind]), max_size=3)):
            table[name] = draw(values)
        return table

    doc: dict[str, Any] = {"store": entry("store", {"name": "Fuzz Mart"})}
    doc["shelf"] = [entry("shelf", GOOD_SHELF) for _ in range(draw(st.integers(0, 3)))]
    doc["product"] = [entry("product", GOOD_PRODUCT) for _ in range(draw(st.integers(0, 3)))]
    if draw(st.integers(0, 4)) == 0:
        doc[draw(st.sampled_from(["store", "shelf", "product"]))] = draw(values)
    return doc


def _load_or_refuse(folder: Path) -> StorePack | None:
    try:
        return load_store(folder)
    except StorePackError as exc:
        assert str(exc).startswith(str(folder / "store.toml"))
        return None


@FUZZ
@given(store_documents(), st.text(max_size=40))
@example(
    {"store": {"name": "x"}, "shelf": [{"id": "A1", "label": "a", "map_xy": [float("inf"), 1]}]},
    "",
)
@example(
    {
        "store": {"name": "x"},
        "shelf": [GOOD_SHELF],
        "product": [{**GOOD_PRODUCT, "images": ["a\0b.jpg"]}],
    },
    "",
)
def test_any_store_pack_loads_or_names_its_bad_field(doc: dict[str, Any], query: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "store.toml").write_text(tomli_w.dumps(doc), encoding="utf-8")
        store = _load_or_refuse(folder)
        if store is not None:
            Catalog(store).search(query)  # and a loaded pack can be searched for anything


@FUZZ
@given(st.binary(max_size=300))
def test_a_store_file_of_any_bytes_is_refused_or_read(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "store.toml").write_bytes(data)
        _load_or_refuse(Path(tmp))


@pytest.fixture(scope="module")
def demo_catalog() -> Catalog:
    return Catalog(load_store(demo_store_path()))


@FUZZ
@given(query=st.text(max_size=80))
@example(query='batteries" OR NEAR(x) *')
@example(query="col:name AND (")
@example(query="\0")
def test_the_catalog_answers_any_transcript(demo_catalog: Catalog, query: str) -> None:
    """Transcripts are whatever the recogniser heard: FTS5 syntax in them must not break search."""
    for match in demo_catalog.search(query):
        assert 0.0 <= match.score <= 1.0
