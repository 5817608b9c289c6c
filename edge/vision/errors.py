"""Typed errors of the vision stages. Each says whether trying again can help."""

from __future__ import annotations

from edge.errors import EdgeError


class ImageError(EdgeError):
    """An image that cannot be used: unreadable, corrupt, empty, or of an unusable kind.
    Trying again with the same input cannot help."""


class CameraError(EdgeError):
    """The camera cannot be opened or stopped delivering frames. A device that was unplugged
    may come back, so a retry can help; a source that cannot exist (a bad pipeline, a missing
    file) says so with `retryable` False."""

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable
