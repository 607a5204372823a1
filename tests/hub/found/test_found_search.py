"""During an open search, a finder's 保護しています with a position joins the search's
trail as a sighting (the peers' way in: a place of its own, one event, the live
page told); without a position, or without a search, the trail gets nothing."""

from __future__ import annotations

from pathlib import Path

import httpx

from mimamori.demo.mosquitto import PrivateBroker
from tests.hub.found.test_found_pages import issue_sheet
from tests.hub.found.town import SOUTH, town
from tests.hub.helpers import running_hub


async def test_a_finders_position_joins_the_open_search_as_a_sighting(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, town) as hub:
        staff = await hub.account("arakaki", "staff", areas=(SOUTH,))
        token = (await issue_sheet(hub, staff)).rsplit("/f/", 1)[1]
        async with httpx.AsyncClient(base_url=hub.url, timeout=10) as finder:
            # No search yet: the position is the family's, the trail gets nothing.
            sent = await finder.post(f"/f/{token}/protect", data={"lat": "26.3", "lon": "127.8"})
            assert sent.status_code == 303
            [first] = await hub.state.store.found_reports_of("p-kama", 5)
            await hub.state.store.mark_found_safe(first.id, hub.clock())
            family = await hub.token(role="family", family="f-miyagi")
            async with hub.client(family) as caller:
                made = await caller.post("/api/v1/searches", json={"person_id": "p-kama"})
                assert made.status_code in (200, 201), made.text
                search_id = made.json()["id"]
                # A tap without a position: nothing to put on a map.
                assert (await finder.post(f"/f/{token}/protect", data={})).status_code == 303
                trail = (await caller.get(f"/api/v1/searches/{search_id}")).json()
                assert trail["sightings"] == []
                [second, _] = await hub.state.store.found_reports_of("p-kama", 5)
                await hub.state.store.mark_found_safe(second.id, hub.clock())
                sent = await finder.post(
                    f"/f/{token}/protect", data={"lat": "26.28123", "lon": "127.77456"}
                )
                assert sent.status_code == 303
                trail = (await caller.get(f"/api/v1/searches/{search_id}")).json()
        [point] = trail["sightings"]
        assert (point["lat"], point["lon"]) == (26.28123, 127.77456)
        assert "QRステッカー" in point["gateway_name"]
