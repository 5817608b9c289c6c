"""kiosk-fleet's own logic: wave sizes, the result table, refusing bad configs up front."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.fleet import FleetError, main, parse_waves, render_table

pytestmark = pytest.mark.unit


def test_waves_are_ansible_serial_sizes() -> None:
    assert parse_waves("1,10,25%") == [1, 10, "25%"]
    assert parse_waves(" 1 , 100% ") == [1, "100%"]


@pytest.mark.parametrize("spec", ["", "0", "1,,2", "x", "150%", "-1"])
def test_bad_waves_are_refused(spec: str) -> None:
    with pytest.raises(FleetError, match="--waves"):
        parse_waves(spec)


def test_table_has_one_row_per_kiosk() -> None:
    table = render_table(
        [
            {"host": "k1", "status": "applied", "revision": "r2", "seconds": 0.41, "message": ""},
            {"host": "kiosk-two", "status": "unreachable", "message": "ssh: connect\nrefused"},
            {"host": "k3", "status": "not attempted", "message": ""},
        ]
    ).splitlines()
    assert table[0].split() == ["kiosk", "result", "revision", "seconds", "detail"]
    assert table[1].split() == ["k1", "applied", "r2", "0.41"]
    assert table[2].split()[:2] == ["kiosk-two", "unreachable"]
    assert table[2].endswith("ssh: connect refused")
    assert table[3].split()[:3] == ["k3", "not", "attempted"]


def test_push_refuses_an_invalid_config_before_running_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('revision = "x"\n[vad]\nthreshold = 2\n')
    code = main(["push", str(config), "--inventory", str(tmp_path / "missing.ini")])
    assert code == 1
    err = capsys.readouterr().err
    assert "refused, nothing was copied" in err and "vad.threshold" in err


def test_validate_names_the_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[cloud]\napi_key = "secret"\n')
    assert main(["validate", str(config)]) == 1
    assert "cloud.api_key: secrets are not allowed" in capsys.readouterr().err


def test_push_needs_an_inventory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "ok.toml"
    config.write_text('revision = "r1"\n')
    assert main(["push", str(config), "--inventory", str(tmp_path / "nope.ini")]) == 1
    assert "nope.ini: no such file or directory" in capsys.readouterr().err
