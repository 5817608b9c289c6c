from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.errors import StorePackError
from kiosk.store.pack import demo_store_path, load_store

pytestmark = pytest.mark.unit


def _copy(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "store"
    shutil.copytree(src, dst)
    return dst


def test_mini_store_loads(mini_store_dir: Path) -> None:
    store = load_store(mini_store_dir)
    assert store.name == "Mini Mart"
    assert store.service_desk == "SD"
    milk = next(p for p in store.products if p.name.startswith("Whole milk"))
    assert milk.sku is None and milk.key == "name:whole milk, 1 gallon"
    assert store.shelves["A5-L"].map_xy == (412, 230)


def test_demo_store_is_a_real_store() -> None:
    store = load_store(demo_store_path())
    assert len(store.products) >= 40
    assert len(store.shelves) >= 12
    assert store.map_image is not None and store.map_image.is_file()
    assert all(p.images for p in store.products)
    aa = next(p for p in store.products if p.sku == "0041333424019")
    assert aa.shelf == "A5-L"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'shelf = "H2-R"',
            'shelf = "A9-X"',
            "product[4] (sku 0052427108051): shelf: unknown shelf 'A9-X'",
        ),
        ('id = "P2"', 'id = "D1"', "shelf[3] (id D1): id: duplicate shelf id 'D1'"),
        (
            'sku = "0039800011329"',
            'sku = "0041333424019"',
            "product[1] (sku 0041333424019): sku: duplicate",
        ),
        ("price = 4.29", "price = -4", "price: must be a number"),
        ('name = "Mini Mart"', 'name = ""', "[store]: name: required"),
    ],
)
def test_errors_name_file_entry_and_field(
    mini_store_dir: Path, tmp_path: Path, old: str, new: str, expected: str
) -> None:
    root = _copy(mini_store_dir, tmp_path)
    toml = root / "store.toml"
    text = toml.read_text()
    assert old in text
    toml.write_text(text.replace(old, new, 1))
    with pytest.raises(StorePackError) as info:
        load_store(root)
    assert str(toml) in str(info.value)
    assert expected in str(info.value)


def test_missing_image_is_named(mini_store_dir: Path, tmp_path: Path) -> None:
    root = _copy(mini_store_dir, tmp_path)
    toml = root / "store.toml"
    toml.write_text(
        toml.read_text().replace('shelf = "H2-R"', 'shelf = "H2-R"\nimages = ["images/tape.jpg"]')
    )
    with pytest.raises(
        StorePackError,
        match=r"product\[4\] \(sku 0052427108051\): images\[0\]: "
        r"file not found: images/tape.jpg",
    ):
        load_store(root)


def test_paths_cannot_leave_the_pack(mini_store_dir: Path, tmp_path: Path) -> None:
    root = _copy(mini_store_dir, tmp_path)
    toml = root / "store.toml"
    toml.write_text(
        toml.read_text().replace('name = "Mini Mart"', 'name = "Mini Mart"\nmap = "../x.png"')
    )
    with pytest.raises(StorePackError, match="outside the store pack"):
        load_store(root)


def test_broken_toml_and_missing_pack(tmp_path: Path) -> None:
    with pytest.raises(StorePackError, match=r"store\.toml: file not found"):
        load_store(tmp_path)
    (tmp_path / "store.toml").write_text("[store\nname=")
    with pytest.raises(StorePackError, match="not valid TOML"):
        load_store(tmp_path)


def test_cli_store_check(
    mini_store_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["store", "check", str(mini_store_dir)]) == 0
    root = _copy(mini_store_dir, tmp_path)
    (root / "store.toml").write_text(
        (root / "store.toml").read_text().replace('"H2-R"\nprice', '"ZZ"\nprice')
    )
    assert main(["store", "check", str(root)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown shelf 'ZZ'" in err
