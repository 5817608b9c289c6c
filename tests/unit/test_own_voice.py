"""Telling the kiosk's own reply, heard back, from a shopper talking over its end."""

from __future__ import annotations

import pytest

from kiosk.own_voice import OwnVoiceOptions, echoes_reply, longest_shared_run, words

pytestmark = pytest.mark.unit

REPLY = "The Duracell AA batteries are in aisle 5, left side. They're 9.99."


def test_words_ignore_case_and_punctuation() -> None:
    assert words("They're in AISLE 5, left-side.") == [
        "they",
        "re",
        "in",
        "aisle",
        "5",
        "left",
        "side",
    ]


def test_the_longest_run_counts_only_unbroken_stretches_in_order() -> None:
    reply = words(REPLY)
    assert longest_shared_run(words("aisle 5 left side"), reply) == 4
    assert longest_shared_run(words("left side aisle 5"), reply) == 2
    assert longest_shared_run(words("side left"), reply) == 1
    assert longest_shared_run([], reply) == 0


@pytest.mark.parametrize(
    "heard",
    ["in aisle 5, left side.", "Left side. They're 9.99", "batteries are in aisle 5"],
)
def test_a_stretch_of_the_reply_is_its_echo(heard: str) -> None:
    assert echoes_reply(heard, REPLY)


@pytest.mark.parametrize(
    "heard",
    [
        "Where are the AA batteries?",  # asked again over the reply: shares words, not a run
        "Batteries?",  # one word proves nothing
        "Do you have the Energizer ones in aisle 5?",
        "",
    ],
)
def test_a_shopper_talking_over_the_reply_is_not_its_echo(heard: str) -> None:
    assert not echoes_reply(heard, REPLY)


def test_the_share_of_the_run_is_a_setting() -> None:
    heard = "Do you have the Energizer ones in aisle 5?"
    assert echoes_reply(heard, REPLY, OwnVoiceOptions(share=0.2))
    assert not echoes_reply("aisle 5", "", OwnVoiceOptions())
