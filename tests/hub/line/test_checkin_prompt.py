"""The check-in's buttons: signed for one person, period and contact; within LINE's
limits; and what the queue's dedupe key of a prompt says it asks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mimamori.hub.checkins import prompt
from mimamori.hub.line.answers import MAX_DATA

SECRET = b"s" * 32
ASKED = prompt.Asked("p-" + "k" * 62, datetime(2031, 5, 12, 12, 0, tzinfo=UTC), "r-" + "m" * 62)


def test_a_buttons_postback_reads_back_as_what_it_asked_and_fits_line() -> None:
    genki, soudan = prompt.buttons(SECRET, ASKED, "ja")
    assert (genki.label, soudan.label) == ("元気だよ", "相談したい")
    assert max(len(genki.data), len(soudan.data)) <= MAX_DATA  # longest ids (64)
    assert prompt.read(SECRET, genki.data) == ("genki", ASKED)
    assert prompt.read(SECRET, soudan.data) == ("soudan", ASKED)


def test_an_altered_or_foreign_button_is_refused() -> None:
    genki, _ = prompt.buttons(SECRET, ASKED, "ja")
    for altered in (
        genki.data[:-1] + ("A" if genki.data[-1] != "A" else "B"),  # the signature
        genki.data.replace("checkin:genki:", "checkin:sos:"),  # a card it never offered
    ):
        with pytest.raises(prompt.BadButton):
            prompt.read(SECRET, altered)
    with pytest.raises(prompt.BadButton):
        prompt.read(b"another hub's secret", genki.data)
    assert prompt.read(SECRET, "ack:sometoken") is None  # an alert's answer: not ours


def test_a_prompts_dedupe_key_names_what_it_asks_and_nothing_else_does() -> None:
    assert prompt.asked_by(prompt.prompt_key(ASKED)) == ASKED
    assert prompt.asked_by(prompt.prompt_key(ASKED, again=True)) == ASKED
    assert prompt.asked_by("remind-abc-r-kama-line") is None
    assert prompt.asked_by("notice-outing:p-kama:out-1-r-miyagi-line") is None
