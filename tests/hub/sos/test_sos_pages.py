"""The SOS network on a real hub over plain HTTP (no script: as an old phone sees
it). Staff of the south opt their partners' links in at the desk; the family starts
a search and agrees to share it: the bulletin reaches the two opted-in partners of
the south through the real delivery queue (not the north's, not the one that did
not opt in); its page shows what the family agreed to and nothing else; 見かけた
with a position joins the trail and tells the family and the care centre; when the
search ends, the page shows only 「見つかりました」 and the partners hear it was
withdrawn. Without consent, no bulletin."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import httpx

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.found.limits import PER_MINUTE
from tests.hub.found.town import NORTH, SOUTH
from tests.hub.helpers import RunningHub, running_hub, until
from tests.hub.receivers import Hook, webhook
from tests.hub.sos.town import (
    PARTNERS,
    bulletin_in,
    partners,
    report_token,
    town,
    with_photo,
)

SHARE = {"agreed_by": "長女 宮城 花子", "shown_as": "80代の女性", "clothing": "紺のジャンパー"}


async def _arrived(hook: Hook, n: int) -> list[str]:
    async def enough() -> bool:
        return len(hook.requests) >= n

    await until(enough, within=15)
    return [body["message"] for _, body in hook.requests]


async def opt_in(hub: RunningHub, staff: str, links: dict[str, int]) -> None:
    async with hub.client(staff) as desk:
        for pid, _, _, opted in PARTNERS:
            if opted:
                answer = await desk.post(
                    f"/desk/partners/{pid}/links/{links[pid]}/bulletins",
                    data={"on": "1"}, headers={"Origin": hub.url},
                )  # fmt: skip
                # The north's partner is not the south's staff's to change.
                assert answer.status_code == (403 if pid == "shop" else 303), answer.text


async def test_a_bulletin_reaches_the_areas_partners_and_is_withdrawn_at_the_end(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with contextlib.AsyncExitStack() as stack:
        hooks: dict[str, Hook] = {}
        for name in ("news", "post", "shop", "bank", "family", "centre"):
            hooks[name] = await stack.enter_async_context(webhook())
        hub = await stack.enter_async_context(running_hub(own_broker, tmp_path, town))
        await hub.set_channels("r-miyagi", hooks["family"].url)
        await hub.set_channels("r-centre", hooks["centre"].url)
        links = await partners(hub, {pid: hooks[pid].url for pid, *_ in PARTNERS})
        staff = await hub.account("arakaki", "staff", areas=(SOUTH,))
        north = await hub.account("kinjo", "staff", areas=(NORTH,))
        await opt_in(hub, staff, links)
        await opt_in_north(hub, north, links)
        await with_photo(hub, staff)
        family = await hub.token(role="family", family="f-miyagi")
        async with hub.client(family) as caller:
            made = await caller.post(
                "/api/v1/searches", json={"person_id": "p-kama", "share": SHARE}
            )
            assert made.status_code == 201, made.text
            search_id = made.json()["id"]
            [news] = await _arrived(hooks["news"], 1)
            await _arrived(hooks["post"], 1)
            assert "80代の女性" in news and "宮城" not in news
            sharing = (await caller.get(f"/api/v1/searches/{search_id}/sharing")).json()
            assert sharing["consent"]["agreed_by"] == "長女 宮城 花子"
            assert sorted(b["partner"] for b in sharing["bulletins"]) == [
                "宜野湾郵便局", "琉球新報 宜野湾販売店",
            ]  # fmt: skip

            link = bulletin_in(news)
            async with httpx.AsyncClient(base_url=hub.url, timeout=10) as phone:
                page = await phone.get(link)
                assert page.status_code == 200
                photo = await phone.get(f"{link}/photo")
                assert photo.status_code == 200 and photo.content.startswith(b"\xff\xd8")
                for shown in ("80代の女性", "紺のジャンパー", "見かけた", "杖をついています"):
                    assert shown in page.text
                for hidden in ("宮城", "カマ", "090-1234-5678"):
                    assert hidden not in page.text
                bad = await phone.post(f"{link}/seen", data={"lat": "91", "lon": "0"})
                assert bad.status_code == 422 and "位置を読み取れませんでした" in bad.text
                seen = await phone.post(
                    f"{link}/seen",
                    data={"lat": "26.27001", "lon": "127.76002", "note": "駅の東口で北へ"},
                )
                assert seen.status_code == 303
                thanks = await phone.get(seen.headers["location"])
                assert "伝えました" in thanks.text
                [told] = await _arrived(hooks["centre"], 1)
                assert "駅の東口で北へ" in told and "琉球新報" in told
                family_told = await _arrived(hooks["family"], 1)
                assert any("駅の東口で北へ" in m for m in family_told)
                trail = (await caller.get(f"/api/v1/searches/{search_id}")).json()
                [point] = trail["sightings"]
                assert (point["lat"], point["lon"]) == (26.27001, 127.76002)
                assert point["gateway_name"] == "見かけた: 琉球新報 宜野湾販売店"

                ended = await caller.post(
                    f"/api/v1/searches/{search_id}/close", json={"outcome": "found"}
                )
                assert ended.status_code == 200
                [_, news_end] = await _arrived(hooks["news"], 2)
                await _arrived(hooks["post"], 2)
                assert "ご協力ありがとうございました" in news_end
                after = await phone.get(link)
                assert after.status_code == 410
                assert "見つかりました。ご協力ありがとうございました。" in after.text
                for gone in ("80代の女性", "紺のジャンパー", "杖", "/photo", "seen-form"):
                    assert gone not in after.text
                assert (await phone.get(f"{link}/photo")).status_code == 410
                forged = await phone.get(link[:-3] + "AAA")
                assert forged.status_code == 404
        assert hooks["shop"].requests == [] and hooks["bank"].requests == []
        since = hub.clock().replace(year=2000)
        actions = [e.action for e in await hub.state.store.audit_log(since, 200)]
        for action in ("search.consent", "sos.view", "sos.seen", "partner.bulletins"):
            assert action in actions


async def opt_in_north(hub: RunningHub, north: str, links: dict[str, int]) -> None:
    async with hub.client(north) as desk:
        answer = await desk.post(
            f"/desk/partners/shop/links/{links['shop']}/bulletins",
            data={"on": "1"}, headers={"Origin": hub.url},
        )  # fmt: skip
        assert answer.status_code == 303, answer.text


async def test_without_the_familys_consent_no_bulletin_goes_out(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    """Also: a partner opts in on their own report page, and the bulletin page is
    rate-limited as the finder's page is."""
    async with webhook() as hook, running_hub(own_broker, tmp_path, town) as hub:
        await partners(hub, {pid: hook.url for pid, *_ in PARTNERS})
        async with httpx.AsyncClient(base_url=hub.url, timeout=10) as partner:
            own = f"/report/bulletins?token={report_token('news')}"
            assert (await partner.post(own, data={"on": "1"})).status_code == 303
            page = await partner.get(f"/report?token={report_token('news')}")
            assert 'id="bulletins-form" class="note" data-on="yes"' in page.text
        family = await hub.token(role="family", family="f-miyagi")
        async with hub.client(family) as caller:
            blank = {"person_id": "p-kama", "share": {**SHARE, "agreed_by": "  "}}
            assert (await caller.post("/api/v1/searches", json=blank)).status_code == 422
            assert await hub.state.store.searches(["p-kama"], active_only=True) == []
            made = await caller.post("/api/v1/searches", json={"person_id": "p-kama"})
            search_id = made.json()["id"]
            await hub.state.bulletins.step()  # what the loop does, now
            assert await hub.state.store.bulletins_of(search_id) == []
            short: dict[str, Any] = {**SHARE, "shown_as": "   "}  # blank is missing
            refused = await caller.post(f"/api/v1/searches/{search_id}/consent", json=short)
            assert refused.status_code == 422
            given = await caller.post(f"/api/v1/searches/{search_id}/consent", json=SHARE)
            assert given.status_code == 201, given.text
            again = await caller.post(f"/api/v1/searches/{search_id}/consent", json=SHARE)
            assert again.status_code == 422  # the first consent stands
            [sent] = await _arrived(hook, 1)  # given after the start: sent then
        link = bulletin_in(sent)
        async with httpx.AsyncClient(timeout=10) as phone:
            answers = [(await phone.get(link)).status_code for _ in range(PER_MINUTE)]
            assert answers == [200] * PER_MINUTE
            busy = await phone.get(link)
            assert busy.status_code == 429 and "80代の女性" not in busy.text
