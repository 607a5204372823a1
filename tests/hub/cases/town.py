"""The test town of the cases' tests: two care-centre areas (``two_areas``: the home
hh-1 lies in the south), the home with an address a partner sees."""

from __future__ import annotations

from typing import Any

from tests.hub.access.test_areas import NORTH, SOUTH, two_areas

__all__ = ["ADDRESS", "NORTH", "SOUTH", "town"]

ADDRESS = "宜野湾市野嵩2-5-8"


def town(doc: dict[str, Any]) -> None:
    two_areas(doc)
    doc["households"][0]["address"] = ADDRESS
