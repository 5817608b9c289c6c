"""Facts of Gemini Live's wire protocol shared by the client and the local simulator.

Google's server reads protobuf JSON: every field may be spelled in lowerCamelCase or in its
original snake_case, and bytes are base64 in either the standard or the URL-safe alphabet,
with or without padding. google-genai relies on that: it sends `realtime_input` at the top
level with camelCase inside, `mime_type` inside blobs, and URL-safe base64 without padding.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

PATH_RE = re.compile(
    r"^/ws/google\.ai\.generativelanguage\.(?P<version>v\w+)\.GenerativeService\."
    r"(?P<method>BidiGenerateContent|BidiGenerateContentConstrained)$"
)
REPLY_RATE = 24000
"""Gemini Live replies with 16-bit mono PCM at 24 kHz."""
INPUT_RATE = 16000
AUDIO_MIME = f"audio/pcm;rate={INPUT_RATE}"
REPLY_MIME = f"audio/pcm;rate={REPLY_RATE}"
LOOKUP_PRODUCT = "lookup_product"
POINT_TO_SHELF = "point_to_shelf"


def ws_path(version: str = "v1beta", constrained: bool = False) -> str:
    method = "BidiGenerateContentConstrained" if constrained else "BidiGenerateContent"
    return f"/ws/google.ai.generativelanguage.{version}.GenerativeService.{method}"


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def pick(obj: Any, camel: str, default: Any = None) -> Any:
    """`obj[camel]` or `obj[snake_case(camel)]`: a field in either spelling."""
    if not isinstance(obj, dict):
        return default
    if camel in obj:
        return obj[camel]
    return obj.get(snake(camel), default)


def has(obj: Any, camel: str) -> bool:
    return isinstance(obj, dict) and (camel in obj or snake(camel) in obj)


def b64decode(text: str) -> bytes:
    """Decode base64 in either alphabet, padded or not. Raises ValueError on garbage."""
    if not isinstance(text, str):
        raise ValueError("base64 data must be a string")
    cleaned = text.strip().replace("-", "+").replace("_", "/")
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"not base64: {exc}") from None


def b64encode(data: bytes) -> str:
    """Standard alphabet with padding, as Google's server sends it."""
    return base64.b64encode(data).decode("ascii")


def pcm_rate(mime_type: str, default: int = INPUT_RATE) -> int:
    """The rate in 'audio/pcm;rate=16000'; `default` when the type names none, or a rate no
    audio is sent at (0, or absurdly high): a speaker must never be handed rate 0."""
    match = re.search(r"rate=(\d{1,7})\b", mime_type or "")
    rate = int(match.group(1)) if match else default
    return rate if 4000 <= rate <= 192000 else default
