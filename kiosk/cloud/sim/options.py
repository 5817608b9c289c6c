"""The simulator's knobs: time to first byte, audio pacing, server VAD defaults, and faults."""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.errors import KioskError

FAULT_KINDS = ("drop-mid-turn", "goaway-after", "close-1007", "close-1011", "malformed", "stall")
FAULT_HELP = (
    "drop-mid-turn[@T]: cut the socket (no close frame) after the first reply audio of turn T; "
    "goaway-after=N: send goAway N s into every session, then close it --goaway-grace-s later; "
    "close-1007[@T] / close-1011[@T]: close with that code when turn T ends; "
    "malformed[@T]: send a message that is not JSON as turn T's first reply; "
    "stall[@T]: never answer turn T (the socket stays open). "
    "T counts turns across the whole server, from 1 (default 1); each fault fires once, "
    "'@every' fires on every turn."
)


class SimOptionsError(KioskError):
    """A bad simulator option; the message names it."""


@dataclass(frozen=True)
class Fault:
    kind: str
    turn: int = 1
    """The server-wide turn it fires on (1-based); 0 means every turn."""
    seconds: float = 0.0
    """For goaway-after: seconds into each session."""


def parse_fault(text: str) -> Fault:
    """'stall', 'close-1011@2', 'drop-mid-turn@every', 'goaway-after=3'."""
    spec = text.strip()
    if spec.startswith("goaway-after"):
        _, _, value = spec.partition("=")
        try:
            seconds = float(value)
        except ValueError:
            raise SimOptionsError(f"--fault {text}: goaway-after needs =SECONDS") from None
        if seconds < 0:
            raise SimOptionsError(f"--fault {text}: seconds must be >= 0")
        return Fault("goaway-after", seconds=seconds)
    kind, _, when = spec.partition("@")
    if kind not in FAULT_KINDS:
        raise SimOptionsError(f"--fault {text}: unknown fault; one of {', '.join(FAULT_KINDS)}")
    if not when:
        return Fault(kind)
    if when == "every":
        return Fault(kind, turn=0)
    if not when.isdigit() or int(when) < 1:
        raise SimOptionsError(f"--fault {text}: the turn after @ must be 1, 2, ... or 'every'")
    return Fault(kind, turn=int(when))


@dataclass(frozen=True)
class VadDefaults:
    """Server-side activity detection, used when the client leaves it on (the API's default).
    Each value is overridden by the client's `realtimeInputConfig.automaticActivityDetection`."""

    start_sensitivity: str = "START_SENSITIVITY_HIGH"
    end_sensitivity: str = "END_SENSITIVITY_HIGH"
    prefix_padding_ms: int = 20
    """Speech needed before the start of speech is committed."""
    silence_duration_ms: int = 500
    """Silence needed before the end of speech is committed."""


START_THRESHOLD = {"START_SENSITIVITY_HIGH": 0.3, "START_SENSITIVITY_LOW": 0.7}
"""Speech probability that counts toward a start: high sensitivity starts on fainter speech."""
END_THRESHOLD = {"END_SENSITIVITY_HIGH": 0.45, "END_SENSITIVITY_LOW": 0.15}
"""Below this a window counts as silence: high sensitivity ends turns more readily."""


@dataclass(frozen=True)
class SimOptions:
    host: str = "127.0.0.1"
    port: int = 0
    ttfb_ms: float = 0.0
    """Extra delay before the model's first message of a turn, on top of the real STT time."""
    chunk_ms: int = 40
    """Reply audio per message."""
    pace: float = 0.0
    """Reply audio pacing as a fraction of real time: 0 sends as fast as it is made, 1 in real
    time."""
    goaway_grace_s: float = 2.0
    session_max_s: float = 600.0
    """Sessions get a goAway this long after they start (120 s with video and no compression,
    as the real service does)."""
    faults: tuple[Fault, ...] = ()
    vad: VadDefaults = field(default_factory=VadDefaults)
    tool_timeout_s: float = 5.0
    record_messages: bool = True
    """Keep every message sent (up to a bound) for contract checks."""
