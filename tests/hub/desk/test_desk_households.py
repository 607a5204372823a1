"""A household's page at the desk shows who lives there and its check-ins as its home
gateway last told them (the next deadline, the last press), in the home's time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from mimamori.protocol import EventKind, format_ts
from tests.hub.helpers import Gateway, RunningHub, until


async def test_a_households_page_shows_its_residents_and_its_next_check_in(
    hub: RunningHub, home_gateway: Gateway
) -> None:
    pressed = datetime.now(UTC) - timedelta(hours=2)
    due = pressed + timedelta(days=1)
    await home_gateway.event(
        EventKind.CHECKIN_DONE, pressed, device="door", card="genki", next_due=format_ts(due)
    )
    tokyo = ZoneInfo("Asia/Tokyo")
    async with hub.client(await hub.account("kinjo", "staff")) as client:

        async def page() -> Any:
            found = await client.get("/desk/households/hh-1")
            return found if due.astimezone(tokyo).strftime("%H:%M") in found.text else None

        shown = await until(page)
    assert shown.status_code == 200
    assert 'href="/desk/people/p-kama"' in shown.text and "宮城 カマ" in shown.text
    assert "確認できています" in shown.text
    assert pressed.astimezone(tokyo).strftime("%Y-%m-%d %H:%M") in shown.text
