"""The kiosk's one config file: a TOML document validated by a typed schema.

Every section is a frozen model; the edge stages' own options are built from them, so `edge`
never reads config. Environment variables `KIOSK_<SECTION>__<FIELD>` override the file for
development. Secrets never come from the file: the Gemini API key is read from the environment
(`GEMINI_API_KEY`) or from the systemd credential `gemini_api_key` in `$CREDENTIALS_DIRECTORY`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import tomllib
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from edge.stt import SttOptions
from edge.tts import TtsOptions
from edge.vad import VadOptions
from kiosk.errors import ConfigError

SECRET_KEYS = frozenset({"api_key", "gemini_api_key", "token", "ephemeral_token", "password"})
API_KEY_CREDENTIAL = "gemini_api_key"


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AudioSettings(Section):
    input_device: str | int | None = None
    """Microphone name (substring) or index; None picks the system default."""
    output_device: str | int | None = None
    block_ms: int = Field(default=32, ge=10, le=100)
    max_turn_s: float = Field(default=15.0, gt=1.0, le=120.0)


class VadSettings(Section):
    threshold: float = Field(default=0.5, gt=0.0, lt=1.0)
    min_speech_ms: int = Field(default=150, ge=0, le=2000)
    min_silence_ms: int = Field(default=500, ge=32, le=5000)
    speech_pad_ms: int = Field(default=120, ge=0, le=1000)

    def options(self) -> VadOptions:
        return VadOptions(**self.model_dump())


class SttSettings(Section):
    model: str = "whisper-tiny-en"
    beam_size: int = Field(default=1, ge=1, le=10)
    compute_type: Literal["int8", "int8_float32", "float32"] = "int8"
    cpu_threads: int = Field(default=2, ge=1, le=64)
    bias_to_catalog: bool = False
    """Prompt the decoder with product words. Off: with tiny.en it measurably invents products."""

    def options(self) -> SttOptions:
        return SttOptions(
            beam_size=self.beam_size, compute_type=self.compute_type, cpu_threads=self.cpu_threads
        )


class TtsSettings(Section):
    voice: str = "piper-joe-medium"
    length_scale: float = Field(default=1.0, gt=0.3, lt=3.0)

    def options(self) -> TtsOptions:
        return TtsOptions(length_scale=self.length_scale)


class VisionSettings(Section):
    camera: str | int | None = None
    idle_fps: float = Field(default=2.0, gt=0.0, le=30.0)
    engaged_fps: float = Field(default=5.0, gt=0.0, le=30.0)
    max_side_px: int = Field(default=768, ge=64, le=4096)
    jpeg_quality: int = Field(default=85, ge=10, le=100)
    embedding_precision: Literal["fp32", "int8"] = "int8"


class CloudSettings(Section):
    mode: Literal["auto", "gemini", "sim", "off"] = "auto"
    """auto: Gemini when an API key is present, the local simulator otherwise."""
    model: str = "models/gemini-3.8-live"
    base_url: str | None = None
    daily_token_budget: int = Field(default=200_000, ge=0)
    session_max_s: float = Field(default=600.0, gt=10.0, le=3600.0)


class UiSettings(Section):
    mode: Literal["auto", "windowed", "fullscreen", "headless"] = "auto"
    platform: str | None = None
    """Qt platform plugin (eglfs, xcb, wayland, offscreen); None lets Qt choose."""
    service_key: str = "Ctrl+Alt+Shift+Q"


class TelemetrySettings(Section):
    state_dir: Path | None = None
    ttl_days: float = Field(default=7.0, gt=0.0, le=365.0)
    metrics_port: int = Field(default=0, ge=0, le=65535)


class StoreSettings(Section):
    path: Path | None = None
    """Store pack folder; None uses the bundled demo store."""


class RouterSettings(Section):
    min_confidence: float = Field(default=0.62, gt=0.0, le=1.0)
    """Catalog match score needed to answer locally."""
    min_margin: float = Field(default=0.08, ge=0.0, le=1.0)
    """Lead over the runner-up (on another shelf) needed to answer locally."""


class ModelsSettings(Section):
    cache_dir: Path | None = None
    """Model cache; None uses $KIOSK_MODELS_DIR, then the XDG cache."""


class KioskConfig(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="KIOSK_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    revision: str | None = None
    audio: AudioSettings = AudioSettings()
    vad: VadSettings = VadSettings()
    stt: SttSettings = SttSettings()
    tts: TtsSettings = TtsSettings()
    vision: VisionSettings = VisionSettings()
    cloud: CloudSettings = CloudSettings()
    ui: UiSettings = UiSettings()
    telemetry: TelemetrySettings = TelemetrySettings()
    store: StoreSettings = StoreSettings()
    router: RouterSettings = RouterSettings()
    models: ModelsSettings = ModelsSettings()

    @field_validator("revision")
    @classmethod
    def _revision_is_short(cls, value: str | None) -> str | None:
        if value is not None and not 0 < len(value) <= 64:
            raise ValueError("must be 1 to 64 characters")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment overrides the file (given as init values); no dotenv, no secrets dir.
        return (env_settings, init_settings)


def load_config(path: Path | None = None, *, use_env: bool = True) -> KioskConfig:
    """Parse and validate a config file (None: defaults). Raises ConfigError naming each field."""
    source = str(path) if path is not None else "<defaults>"
    data: dict[str, Any] = {}
    if path is not None:
        data = _read_toml(Path(path))
    problems = [f"{key}: secrets are not allowed in the config file" for key in _secret_keys(data)]
    if problems:
        raise ConfigError(source, problems)
    try:
        if use_env:
            return KioskConfig(**data)
        return _without_env(data)
    except ValidationError as exc:
        raise ConfigError(source, _describe(exc)) from None


def check_config_text(text: str, source: str = "<text>") -> KioskConfig:
    """Validate TOML text with the same schema, ignoring the environment."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, [f"not valid TOML: {exc}"]) from None
    problems = [f"{key}: secrets are not allowed in the config file" for key in _secret_keys(data)]
    if problems:
        raise ConfigError(source, problems)
    try:
        return _without_env(data)
    except ValidationError as exc:
        raise ConfigError(source, _describe(exc)) from None


def gemini_api_key(environ: dict[str, str] | None = None) -> SecretStr | None:
    """The API key from GEMINI_API_KEY, or from the systemd credential; None when neither is set."""
    env = os.environ if environ is None else environ
    value = env.get("GEMINI_API_KEY", "").strip()
    if value:
        return SecretStr(value)
    cred_dir = env.get("CREDENTIALS_DIRECTORY")
    if cred_dir:
        cred = Path(cred_dir) / API_KEY_CREDENTIAL
        if cred.is_file():
            text = cred.read_text(encoding="utf-8").strip()
            if text:
                return SecretStr(text)
    return None


class _FileOnlyConfig(KioskConfig):
    """The same schema reading only the given values: what a pushed file means on any kiosk."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def _without_env(data: dict[str, Any]) -> KioskConfig:
    parsed = _FileOnlyConfig(**data)
    return KioskConfig.model_construct(**dict(parsed))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(path), ["file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), [f"cannot read: {exc}"]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), [f"not valid TOML: {exc}"]) from None


def _secret_keys(data: Any, prefix: str = "") -> list[str]:
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            dotted = f"{prefix}{key}"
            if str(key).lower() in SECRET_KEYS:
                found.append(dotted)
            found.extend(_secret_keys(value, dotted + "."))
    return found


def _describe(exc: ValidationError) -> list[str]:
    lines = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "<root>"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        lines.append(f"{field}: {message}")
    return lines
