"""The SOS tests' town: the found tests' (宮城 カマ in the south, her daughter as her
contact), the south's care centre with a contact of its own, and four partners: two
of the south and one of the north opt in, one of the south does not."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from mimamori.hub.access.auth import token_hash
from mimamori.hub.model.cases import Partner, PartnerKind
from tests.hub.desk.test_desk_photos import phone_jpeg
from tests.hub.found.town import NORTH, SOUTH
from tests.hub.found.town import town as found_town
from tests.hub.helpers import RunningHub

PARTNERS = (  # id, name, area, opted in
    ("news", "琉球新報 宜野湾販売店", SOUTH, True),
    ("post", "宜野湾郵便局", SOUTH, True),
    ("shop", "北のコンビニ", NORTH, True),
    ("bank", "南の銀行", SOUTH, False),
)


def town(doc: dict[str, Any]) -> None:
    found_town(doc)
    channels = doc["recipients"][0]["channels_file"]
    doc["recipients"].append(
        {"id": "r-centre", "name": "南地域包括支援センター", "channels_file": channels}
    )
    for person in doc["people"]:
        if person["id"] == "p-kama":
            person["description"] = "身長150cmくらい、白髪、杖をついています"
            # 85 this year, whenever the test runs (the form offers 「80代の方」).
            person["birth_date"] = f"{datetime.now(UTC).year - 85}-01-01"
    for area in doc["areas"]:
        if area["id"] == SOUTH:
            area["centre"] = "r-centre"


async def partners(hub: RunningHub, url_of: dict[str, str]) -> dict[str, int]:
    """The partners, each with one link whose channel is ``url_of[id]``; the link ids.
    The links opt in as the desk does it (tests call the desk's route)."""
    store, now = hub.state.store, hub.clock()
    links = {}
    for pid, name, area, _ in PARTNERS:
        await store.add_partner(Partner(pid, name, PartnerKind.OTHER, (area,), now))
        link = await store.add_partner_link(
            pid,
            f"{name} 担当",
            channel=url_of[pid],
            lang="ja",
            token_hash=token_hash(report_token(pid)),
            at=now,
        )
        links[pid] = link.id
    return links


async def with_photo(hub: RunningHub, staff: str) -> None:
    """宮城 カマ's photo, uploaded as the desk does it."""
    files = {"photo": ("kama.jpg", phone_jpeg(), "image/jpeg")}
    async with hub.client(staff) as desk:
        sent = await desk.post(
            "/desk/people/p-kama/photo", files=files, data={"version": "1"},
            headers={"Origin": hub.url},
        )  # fmt: skip
    assert sent.status_code == 303, sent.text[:300]


def report_token(partner_id: str) -> str:
    """The token of the partner's report link (its page: ``/report?token=``)."""
    return f"report-link-of-{partner_id}"


def bulletin_in(text: str) -> str:
    found = re.search(r"(https?://\S+/b/[A-Za-z0-9_\-.]+)", text)
    assert found is not None, text
    return found[1]
