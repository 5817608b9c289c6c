"""Where the kiosk keeps what must survive a restart: the turn log and the cloud usage file."""

from __future__ import annotations

import os
from pathlib import Path


def state_dir(configured: Path | None = None, environ: dict[str, str] | None = None) -> Path:
    """The configured folder, else systemd's $STATE_DIRECTORY (its first entry), else
    $XDG_STATE_HOME/kiosk (~/.local/state/kiosk)."""
    if configured is not None:
        return Path(configured)
    env = os.environ if environ is None else environ
    if env.get("STATE_DIRECTORY"):
        return Path(env["STATE_DIRECTORY"].split(":")[0])
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "kiosk"
