from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.cli import main
from kiosk.config import (
    KioskConfig,
    check_config_text,
    gemini_api_key,
    load_config,
)
from kiosk.errors import ConfigError

pytestmark = pytest.mark.unit


def test_defaults_are_valid() -> None:
    config = load_config(None, use_env=False)
    assert config.vad.options().threshold == 0.5
    assert config.cloud.model.startswith("models/")


def test_every_bad_field_is_named(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text('[vad]\nthreshold = 2\nbogus = 1\n[stt]\nbeam_size = "wide"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    assert str(path) in text
    assert "vad.threshold" in text
    assert "vad.bogus: unknown field" in text
    assert "stt.beam_size" in text


def test_secrets_in_the_file_are_refused() -> None:
    with pytest.raises(ConfigError) as info:
        check_config_text('[cloud]\napi_key = "AIza-secret"\n', source="push.toml")
    assert "cloud.api_key: secrets are not allowed" in str(info.value)
    assert "AIza-secret" not in str(info.value)


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text("[vad]\nthreshold = 0.4\n")
    monkeypatch.setenv("KIOSK_VAD__THRESHOLD", "0.7")
    assert load_config(path).vad.threshold == 0.7
    assert load_config(path, use_env=False).vad.threshold == 0.4


def test_api_key_from_environment_or_credential(tmp_path: Path) -> None:
    assert gemini_api_key({}) is None
    key = gemini_api_key({"GEMINI_API_KEY": "k-env"})
    assert key is not None and key.get_secret_value() == "k-env"
    (tmp_path / "gemini_api_key").write_text("k-cred\n")
    key = gemini_api_key({"CREDENTIALS_DIRECTORY": str(tmp_path)})
    assert key is not None and key.get_secret_value() == "k-cred"
    assert "k-cred" not in repr(key)


def test_cli_check_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.toml"
    good.write_text('revision = "r42"\n[ui]\nmode = "fullscreen"\n')
    assert main(["config", "check", str(good)]) == 0
    bad = tmp_path / "bad.toml"
    bad.write_text('[ui]\nmode = "sideways"\n')
    assert main(["config", "check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "ui.mode" in err and str(bad) in err and "Traceback" not in err
    assert main(["config", "check", str(tmp_path / "missing.toml")]) == 1


_SECTIONS = sorted(KioskConfig.model_fields)
_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([*_SECTIONS, "bogus"]),
        st.one_of(_values, st.dictionaries(st.text(min_size=1, max_size=15), _values, max_size=4)),
        max_size=4,
    )
)
def test_random_configs_validate_or_name_fields(data: dict[str, object]) -> None:
    import tomli_w

    try:
        text = tomli_w.dumps({k: v for k, v in data.items() if v is not None})
    except (TypeError, ValueError):
        return
    try:
        check_config_text(text, source="fuzz.toml")
    except ConfigError as exc:
        assert exc.problems
        for line in exc.problems:
            assert ":" in line, line
            assert line.split(":")[0].strip(), line


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_never_crashes(text: str) -> None:
    with contextlib.suppress(ConfigError):
        check_config_text(text, source="fuzz.toml")
