"""Typed errors of the application layer. Each says whether trying again can help."""

from __future__ import annotations


class KioskError(Exception):
    """Base error. `retryable` is True when the same call may succeed later."""

    retryable: bool = False


class ConfigError(KioskError):
    """A config file that fails validation. `problems` holds one line per bad field."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


class StorePackError(KioskError):
    """A store pack that cannot be used; the message names the file, the entry and the field."""


class ModelsError(KioskError):
    """A model that is missing, does not match its checksum, or cannot be fetched."""

    def __init__(self, message: str, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
