"""Typed errors shared by the edge stages. Each says whether trying again can help."""

from __future__ import annotations


class EdgeError(Exception):
    """Base for edge failures. `retryable` tells the caller whether a retry can help."""

    retryable: bool = False


class AudioInputError(EdgeError):
    """Audio that cannot be used: unreadable, empty, or not audio at all."""


class ModelLoadError(EdgeError):
    """A model file is missing or does not load. Fetching the models again may fix it."""
