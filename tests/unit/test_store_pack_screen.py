"""The store pack's optional fields for the screen: the kiosk's place on the map, and shelf
positions in the camera's view."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kiosk.errors import StorePackError
from kiosk.store.pack import demo_store_path, load_store

pytestmark = pytest.mark.unit


def _with(mini_store_dir: Path, tmp_path: Path, store_extra: str, shelf_extra: str) -> Path:
    dst = tmp_path / "store"
    shutil.copytree(mini_store_dir, dst)
    toml = (dst / "store.toml").read_text(encoding="utf-8")
    toml = toml.replace('service_desk = "SD"\n', f'service_desk = "SD"\n{store_extra}\n', 1)
    toml = toml.replace("map_xy = [412, 230]\n", f"map_xy = [412, 230]\n{shelf_extra}\n", 1)
    (dst / "store.toml").write_text(toml, encoding="utf-8")
    return dst


def test_the_demo_store_knows_where_the_kiosk_is() -> None:
    store = load_store(demo_store_path())
    assert store.you_are_here == (970, 736)


def test_positions_load(mini_store_dir: Path, tmp_path: Path) -> None:
    root = _with(mini_store_dir, tmp_path, "you_are_here = [10, 20]", "camera_xy = [0.25, 0.5]")
    store = load_store(root)
    assert store.you_are_here == (10, 20)
    assert store.shelves["A5-L"].camera_xy == (0.25, 0.5)
    assert store.shelves["SD"].camera_xy is None
    assert load_store(mini_store_dir).you_are_here is None  # both are optional


@pytest.mark.parametrize(
    ("store_extra", "shelf_extra", "message"),
    [
        ("you_are_here = [-1, 5]", "", "[store]: you_are_here: must be [x, y]"),
        ("you_are_here = 'door'", "", "[store]: you_are_here: must be [x, y]"),
        ("", "camera_xy = [1.5, 0.5]", "shelf[1] (id A5-L): camera_xy: must be [x, y], fractions"),
        ("", "camera_xy = [0.5]", "shelf[1] (id A5-L): camera_xy"),
    ],
)
def test_bad_positions_name_the_file_entry_and_field(
    mini_store_dir: Path, tmp_path: Path, store_extra: str, shelf_extra: str, message: str
) -> None:
    root = _with(mini_store_dir, tmp_path, store_extra, shelf_extra)
    with pytest.raises(StorePackError) as err:
        load_store(root)
    assert str(root / "store.toml") in str(err.value)
    assert message in str(err.value)
