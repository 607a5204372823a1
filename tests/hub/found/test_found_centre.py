"""The care centre's side of a finder's thread (issue 18): an area that names its
centre's contact hears of a finder's 保護しています as the family does (through the
real delivery queue, with a thread link of its own to answer through), and staff of
the person's area read the thread at the desk (read-only, audited); staff of
another area may not."""

from __future__ import annotations

from pathlib import Path

import httpx

from mimamori.demo.mosquitto import PrivateBroker
from tests.hub.found.test_found_pages import issue_sheet, notices
from tests.hub.found.town import NORTH, SOUTH, link_in
from tests.hub.helpers import running_hub
from tests.hub.receivers import webhook
from tests.hub.sos.town import town


async def test_the_care_centre_hears_of_a_finder_and_staff_read_the_thread_at_the_desk(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with (
        webhook() as family,
        webhook() as centre,
        running_hub(own_broker, tmp_path, town) as hub,
    ):
        await hub.set_channels("r-miyagi", family.url)
        await hub.set_channels("r-centre", centre.url)
        staff = await hub.account("arakaki", "staff", areas=(SOUTH,))
        north = await hub.account("kinjo", "staff", areas=(NORTH,))
        token = (await issue_sheet(hub, staff)).rsplit("/f/", 1)[1]
        async with httpx.AsyncClient(base_url=hub.url, timeout=10) as finder:
            sent = await finder.post(
                f"/f/{token}/protect", data={"message": "公園のベンチにいます"}
            )
            assert sent.status_code == 303
            [told] = await notices(centre, 1)
            await notices(family, 1)
            assert "宮城 カマさん" in told["message"]
            thread = link_in(told["message"])
            answered = await finder.post(
                f"{thread}/answer", data={"message": "センターの職員が向かいます"}
            )
            assert answered.status_code == 303
        [report] = await hub.state.store.found_reports_of("p-kama", 5)
        page = f"/desk/people/p-kama/found/{report.id}"
        async with hub.client(north) as other:
            assert (await other.get(page)).status_code == 403
        async with hub.client(staff) as desk:
            seen = await desk.get(page)
            assert seen.status_code == 200
            assert "公園のベンチにいます" in seen.text and "センターの職員が向かいます" in seen.text
            assert "<form" not in seen.text.split('id="desk-thread"')[1]  # read-only
            listed = await desk.get("/desk/people/p-kama/stickers")
            assert f'href="{page}"' in listed.text
            assert (await desk.get("/desk/people/p-kama/found/999999")).status_code == 404
        since = hub.clock().replace(year=2000)
        entries = await hub.state.store.audit_log(since, 200)
        assert [e for e in entries if e.action == "found.desk.view"], [
            (e.action, e.who) for e in entries
        ]
