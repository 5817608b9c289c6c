"""The kiosk's one config file: a TOML document validated by a typed schema.

Every section is a frozen model; the edge stages' own options are built from them, so `edge`
never reads config. Environment variables `KIOSK_<SECTION>__<FIELD>` override the file for
development. Secrets never come from the file: the Gemini API key is read from the environment
(`GEMINI_API_KEY`) or from the systemd credential `gemini_api_key` in `$CREDENTIALS_DIRECTORY`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

import tomllib
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from edge.audio_io import BLOCK_MS
from edge.stt import SttOptions
from edge.tts import TtsOptions
from edge.vad import VadOptions
from kiosk.agent.router import RouterOptions
from kiosk.errors import ConfigError

SECRET_KEYS = frozenset({"api_key", "gemini_api_key", "token", "ephemeral_token", "password"})
_SECRET_VALUE = re.compile(
    r"AIza[0-9A-Za-z_\-]{30,}"  # a Google API key
    r"|auth_tokens/[0-9A-Za-z_\-]{8,}"  # a Live API ephemeral token
    r"|(?i:[?&](?:key|api_key|token|access_token)=[^&\s]{8,})"  # a credential in a URL
)
API_KEY_CREDENTIAL = "gemini_api_key"


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AudioSettings(Section):
    input_device: str | int | None = None
    """Microphone name (substring) or index; None picks the system default."""
    output_device: str | int | None = None
    block_ms: int = Field(default=BLOCK_MS, ge=10, le=100)
    max_turn_s: float = Field(default=15.0, gt=1.0, le=120.0)
    end_of_turn: Literal["smart", "silence"] = "smart"
    """smart: VAD silence + Smart Turn + the transcript's last word; silence: vad.min_silence_ms."""
    max_pause_ms: int = Field(default=2500, ge=300, le=10000)
    """Longest pause waited through when the shopper stops mid-sentence ("where are the ...")."""
    unsure_transcript_confidence: float = Field(default=0.55, ge=0.0, le=1.0)
    """A whole-looking transcript of at most `unsure_transcript_max_words` words heard with
    less confidence than this waits 1.2 s for more: a pause fragment misheard as a product
    name ("do you sell" as "D-cell", heard with 0.49-0.50). 0 turns it off."""
    unsure_transcript_max_words: int = Field(default=2, ge=0, le=50)
    """0: transcripts of any length (p95 1.2 s on the evaluation set, docs/audio.md)."""
    unsure_transcript_any_length_confidence: float = Field(default=0.3, ge=0.0, le=1.0)
    """A transcript of any length heard with less confidence than this (and than
    `unsure_transcript_confidence`) is unsure too: its words are mostly a guess."""
    echo_cancellation: bool = True
    """WebRTC echo cancellation with the speaker's playback as reference; needed for barge-in."""
    barge_in: bool = True
    """Speech over the kiosk's reply stops the reply and starts a new turn."""
    barge_in_min_dbfs: float = Field(default=-45.0, ge=-90.0, le=0.0)
    """Speech quieter than this (after echo cancellation) never stops a reply: chatter across
    the store is not the shopper at the kiosk. Lower it for a microphone with little gain."""


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
    window_s: float | None = Field(default=12.0, ge=2.0, le=30.0)
    """Whisper encodes a window fitted to the utterance, at least this long; None: always 30 s."""

    def options(self) -> SttOptions:
        return SttOptions(
            beam_size=self.beam_size,
            compute_type=self.compute_type,
            cpu_threads=self.cpu_threads,
            window_s=self.window_s,
        )


class TtsSettings(Section):
    voice: str = "piper-joe-medium"
    length_scale: float = Field(default=1.0, gt=0.3, lt=3.0)
    stream_pieces: bool = True
    """Decode each clause in short pieces, so the first plays sooner; False: Piper's own
    whole-clause synthesis."""
    threads: int = Field(default=2, ge=1, le=64)
    """onnxruntime threads for the voice."""

    def options(self) -> TtsOptions:
        return TtsOptions(
            length_scale=self.length_scale, stream_pieces=self.stream_pieces, threads=self.threads
        )


class VisionSettings(Section):
    camera: str | int | None = None
    """V4L2 index or /dev path, a GStreamer pipeline (has '!'), or a video file, image or
    folder (looped, for development); None: camera 0; "off": no camera."""
    camera_size: tuple[int, int] | None = None
    """Requested capture (width, height); None keeps the device's default."""
    idle_fps: float = Field(default=2.0, gt=0.0, le=30.0)
    engaged_fps: float = Field(default=5.0, gt=0.0, le=30.0)
    preview_fps: float = Field(default=10.0, ge=0.0, le=30.0)
    """On-screen preview rate with a window (0: analysed frames only)."""
    max_side_px: int = Field(default=768, ge=64, le=4096)
    jpeg_quality: int = Field(default=85, ge=10, le=100)
    embedding_precision: Literal["fp32", "int8"] = "int8"
    providers: tuple[Literal["tensorrt", "cuda", "cpu"], ...] = ("cpu",)
    """Execution providers to try in order (those this onnxruntime lacks are skipped)."""
    threads: int = Field(default=1, ge=1, le=16)
    min_face: float = Field(default=0.12, gt=0.0, lt=1.0)
    """A shopper's face is at least this share of the frame's width, near its centre."""
    arrive_frames: int = Field(default=3, ge=1, le=30)
    leave_s: float = Field(default=2.0, gt=0.0, le=60.0)
    min_inliers: int = Field(default=12, ge=4, le=200)
    """Key points a held-up product must match to be named."""
    index_cache_dir: Path | None = None
    """Reference-image cache; None: $CACHE_DIRECTORY/vision, else ~/.cache/kiosk/vision."""


class CloudSettings(Section):
    mode: Literal["auto", "gemini", "sim", "off"] = "auto"
    """auto: Gemini when an API key is present, the local simulator otherwise."""
    model: str = "models/gemini-3.8-live"
    base_url: str | None = None
    daily_token_budget: int = Field(default=200_000, ge=0)
    session_max_s: float = Field(default=600.0, gt=10.0, le=3600.0)
    idle_close_s: float = Field(default=120.0, gt=1.0, le=3600.0)
    """Close the Live session after this long without a turn."""
    reply_timeout_s: float = Field(default=2.4, gt=0.2, le=30.0)
    """No reply audio this long after escalating: answer with the honest local fallback."""


class UiSettings(Section):
    mode: Literal["auto", "windowed", "fullscreen", "headless"] = "auto"
    platform: Literal["eglfs", "linuxfb", "xcb", "wayland", "offscreen", "vnc"] | None = None
    """Qt platform plugin; None: $QT_QPA_PLATFORM, else wayland or xcb when a display is set."""
    service_key: str = "Ctrl+Alt+Shift+Q"
    """The only key that leaves full-screen kiosk mode."""
    service_hold_s: float = Field(default=0.0, ge=0.0, le=60.0)
    """Holding the top-left corner this long also leaves kiosk mode (0: off)."""
    blur_faces: bool = True
    """Privacy mode: faces in the on-screen camera preview are blurred."""
    attract_after_s: float = Field(default=45.0, ge=5.0, le=3600.0)
    """Show the attract screen after this long with nobody there and nothing asked."""
    suggestions: tuple[str, ...] = Field(default=(), max_length=12)
    """Tappable searches on the touch bar; empty picks a few from the store's catalog."""


class TelemetrySettings(Section):
    state_dir: Path | None = None
    """Turn log and usage files; None: $STATE_DIRECTORY (systemd), else ~/.local/state/kiosk."""
    ttl_days: float = Field(default=7.0, gt=0.0, le=365.0)
    """Turns older than this are deleted from the turn log."""
    metrics_port: int = Field(default=0, ge=0, le=65535)
    """Prometheus metrics on http://127.0.0.1:PORT/metrics; 0: no metrics endpoint."""


class StoreSettings(Section):
    path: Path | None = None
    """Store pack folder; None uses the bundled demo store."""


class RouterSettings(Section):
    min_confidence: float = Field(default=0.62, gt=0.0, le=1.0)
    """Catalog match score needed to answer locally."""
    min_margin: float = Field(default=0.08, ge=0.0, le=1.0)
    """Lead over the runner-up (on another shelf) needed to name only one product."""
    min_stt_confidence: float = Field(default=0.35, ge=0.0, le=1.0)
    """Below this recognition confidence a long utterance goes to the cloud, which hears it."""
    long_utterance_words: int = Field(default=8, ge=1, le=100)
    min_held_score: float = Field(default=0.6, ge=0.0, le=1.0)
    """Vision score needed to treat a held-up product as recognised."""
    recheck_min_score: float = Field(default=0.4, ge=0.0, le=1.0)
    """A near miss this good is decoded again with its products as a hint; 0: never."""

    def options(self) -> RouterOptions:
        return RouterOptions(**self.model_dump())


class VisitSettings(Section):
    leave_after_s: float = Field(default=6.0, gt=0.0, le=600.0)
    """The camera has seen nobody this long: the visit ends and its context is forgotten."""
    idle_after_s: float = Field(default=45.0, gt=0.0, le=3600.0)
    """With no camera report, this long without speech also ends the visit."""
    think_timeout_s: float = Field(default=20.0, gt=0.0, le=300.0)
    """A turn with no reply after this long is given up."""


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
    visit: VisitSettings = VisitSettings()
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
    problems = _secret_problems(data)
    if problems:
        raise ConfigError(source, problems)
    try:
        if use_env:
            return KioskConfig(**data)
        return _without_env(data)
    except ValidationError as exc:
        raise ConfigError(source, _describe(exc)) from None
    except SettingsError as exc:  # a KIOSK_* variable that is not valid JSON for its section
        raise ConfigError(source, [f"environment: {str(exc).splitlines()[0]}"]) from None


def check_config_text(text: str, source: str = "<text>") -> KioskConfig:
    """Validate TOML text with the same schema, ignoring the environment."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, [f"not valid TOML: {exc}"]) from None
    problems = _secret_problems(data)
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


def _printable(name: str) -> str:
    """A field name as an error may show it: one line, control characters escaped."""
    return name if name.isprintable() else repr(name)


def _secret_problems(data: dict[str, Any]) -> list[str]:
    """One line per secret in the file: a key named like one, or a value that looks like one
    (never repeating the value)."""
    named = [
        f"{_printable(key)}: secrets are not allowed in the config file"
        for key in _secret_keys(data)
    ]
    looks = [
        f"{_printable(key)}: looks like an API key or token; secrets are not allowed in the "
        "config file"
        for key in _secret_values(data)
    ]
    return named + looks


def _secret_values(data: Any, prefix: str = "") -> list[str]:
    if isinstance(data, str):
        return [prefix.rstrip(".") or "<value>"] if _SECRET_VALUE.search(data) else []
    if isinstance(data, dict):
        return [k for key, v in data.items() for k in _secret_values(v, f"{prefix}{key}.")]
    if isinstance(data, list):
        return [k for i, v in enumerate(data) for k in _secret_values(v, f"{prefix}{i}.")]
    return []


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
        field = _printable(".".join(str(part) for part in error["loc"]) or "<root>")
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        lines.append(f"{field}: {message}")
    return lines
