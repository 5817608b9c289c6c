"""Keep secrets out of every log line, whoever logs it.

Libraries log more than we do: at DEBUG level the websockets client writes each handshake
header, the Gemini API key's `x-goog-api-key` among them. `hide_in_logs(secret)` installs (once)
a log-record factory that replaces each registered secret with `[secret]` in the message and
its arguments before any handler sees the record, for every logger and every level.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

MASK = "[secret]"
MIN_LENGTH = 8
"""Shorter strings are too likely to occur by chance to be masked everywhere."""

_secrets: set[str] = set()
_lock = threading.Lock()
_installed = False


def hide_in_logs(secret: str) -> None:
    """From now on, `secret` never appears in a log record's message."""
    global _installed
    if len(secret) < MIN_LENGTH:
        return
    with _lock:
        _secrets.add(secret)
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            if _secrets:
                _scrub(record)
            return record

        logging.setLogRecordFactory(factory)
        _installed = True


def scrub(text: str) -> str:
    # Longest first: a shorter secret inside a longer one must not leave the rest of it showing.
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def _scrub(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a malformed call: leave it for logging's own error report
        return
    clean = scrub(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = scrub(record.exc_text)
