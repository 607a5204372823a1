"""The found tests' town: the cases' two areas (宮城 カマ lives in the south), and
her daughter 宮城 花子 as her emergency contact, with a number she may show."""

from __future__ import annotations

import re
from typing import Any

from tests.hub.access.test_areas import NORTH, SOUTH, two_areas

__all__ = ["NORTH", "PHONE", "SOUTH", "link_in", "town"]

PHONE = "090-1234-5678"


def town(doc: dict[str, Any]) -> None:
    two_areas(doc)
    doc["recipients"][0]["phone"] = PHONE
    for person in doc["people"]:
        if person["id"] == "p-kama":
            person["contacts"] = ["r-miyagi"]


def link_in(text: str) -> str:
    """The thread's link in a notice's text."""
    found = re.search(r"(https?://\S+/found/thread/[A-Za-z0-9_\-.]+)", text)
    assert found is not None, text
    return found[1]
