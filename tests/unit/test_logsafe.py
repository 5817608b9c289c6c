"""Secrets registered for masking never show in a log line, not even in part."""

from __future__ import annotations

import logging

import pytest

from kiosk.logsafe import MASK, hide_in_logs, scrub


def test_a_secret_that_contains_another_is_masked_whole(caplog: pytest.LogCaptureFixture) -> None:
    hide_in_logs("inner-secret")
    hide_in_logs("outer-inner-secret-tail")
    with caplog.at_level(logging.INFO):
        logging.getLogger("kiosk.test").info("key=%s", "outer-inner-secret-tail")
    assert "tail" not in caplog.text and f"key={MASK}" in caplog.text


def test_short_strings_are_not_masked_everywhere() -> None:
    hide_in_logs("abc")
    assert scrub("abc and more") == "abc and more"
