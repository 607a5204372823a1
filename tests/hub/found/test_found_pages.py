"""The found-person pages on a real hub, without a browser (no script: as an old
phone sees them). Staff of the person's area issue a sheet; its code is segno's for
a URL that holds only a token; a scan is counted and audited; 保護しています tells the
family through the real delivery queue with a link to the thread; the family's
answer, number and "safe" reach the finder's page; a revoked or unknown sticker's
page says to call 110; bad input gets a clear error and keeps nothing."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import segno

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.found.links import LINK_TTL
from tests.hub.found.town import NORTH, PHONE, SOUTH, link_in, town
from tests.hub.helpers import RunningHub, running_hub, until
from tests.hub.receivers import Hook, webhook

ORIGIN_OF = "Origin"


async def issue_sheet(hub: RunningHub, staff: str) -> str:
    """A new sheet for 宮城 カマ; the finder's URL printed on it."""
    async with hub.client(staff) as client:
        made = await client.post("/desk/people/p-kama/stickers", headers={ORIGIN_OF: hub.url})
    assert made.status_code == 200, made.text
    url = re.search(r'<code id="sheet-url">([^<]+)</code>', made.text)
    assert url is not None
    found = html.unescape(url[1])
    expected = segno.make(found, error="q", micro=False).svg_inline(scale=1, omitsize=True)
    assert made.text.count(expected) == 24  # 12 + 8 + 4 stickers on the A4 sheet
    return found


async def notices(hook: Hook, n: int) -> list[dict[str, Any]]:
    await until(lambda: _at_least(hook, n), within=15)
    return [body for _, body in hook.requests]


async def _at_least(hook: Hook, n: int) -> bool:
    return len(hook.requests) >= n


async def test_a_sheet_leads_the_finder_to_the_family_and_back(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, town) as hub, webhook() as hook:
        await hub.set_channels("r-miyagi", hook.url)
        staff = await hub.account("arakaki", "staff", areas=(SOUTH,))
        north = await hub.account("kinjo", "staff", areas=(NORTH,))
        family = await hub.account("hanako", "family", family="f-miyagi")
        for refused in (north, family):
            async with hub.client(refused) as client:
                answer = await client.post(
                    "/desk/people/p-kama/stickers", headers={ORIGIN_OF: hub.url}
                )
                assert answer.status_code == 403
        url = await issue_sheet(hub, staff)
        token = url.rsplit("/f/", 1)[1]
        assert url == f"{hub.url}/f/{token}" and len(token) >= 43  # 256 bits, nothing else
        for secret in ("p-kama", "宮城", "カマ", "kama"):
            assert secret not in url

        async with httpx.AsyncClient(base_url=hub.url, timeout=10) as finder:
            first = await finder.get(f"/f/{token}")
            assert first.status_code == 200
            for needed in ('href="tel:119"', 'href="tel:110"', 'id="protect-form"',
                           "保護しています", "Please stay with them"):  # fmt: skip
                assert needed in first.text, needed
            assert "宮城" not in first.text and PHONE not in first.text
            bad = await finder.post(f"/f/{token}/protect", data={"lat": "91", "lon": "0"})
            assert bad.status_code == 422 and "位置を読み取れませんでした" in bad.text
            long = await finder.post(f"/f/{token}/protect", data={"message": "あ" * 301})
            assert long.status_code == 422 and "300文字までにしてください" in long.text
            assert await hub.state.store.found_reports_of("p-kama", 5) == []
            sent = await finder.post(
                f"/f/{token}/protect",
                data={"lat": "26.2801", "lon": "127.7782", "message": "駅の前のベンチにいます"},
            )
            assert sent.status_code == 303
            thread_url = sent.headers["location"]
            page = await finder.get(thread_url)
            assert 'id="told"' in page.text and "駅の前のベンチにいます" in page.text

            [notice] = await notices(hook, 1)
            assert "宮城 カマさんが保護されています" in notice["title"]
            assert "26.28010" in notice["message"]
            family_link = link_in(notice["message"])
            async with httpx.AsyncClient(timeout=10) as daughter:
                seen = await daughter.get(family_link)
                assert seen.status_code == 200 and "駅の前のベンチにいます" in seen.text
                for action, data in (
                    ("answer", {"message": "すぐ向かいます、そこにいてください"}),
                    ("reveal", {"show": "1"}),
                ):
                    done = await daughter.post(f"{family_link}/{action}", data=data)
                    assert done.status_code == 303, done.text
                poll = thread_url.replace(f"/f/{token}?", f"/f/{token}/thread.json?")
                told = (await finder.get(poll)).json()
                assert told["state"] == "open" and told["phone"] == PHONE
                assert [m["side"] for m in told["messages"]] == ["finder", "family"]
                assert told["messages"][1]["body"] == "すぐ向かいます、そこにいてください"
                safe = await daughter.post(f"{family_link}/safe")
                assert safe.status_code == 303
                closed = (await finder.get(poll)).json()
                assert closed["state"] == "safe" and closed["phone"] is None
                page = await finder.get(thread_url)
                assert 'id="closed"' in page.text and "ご協力ありがとうございました" in page.text
                assert 'id="say-form"' not in page.text
                late = await daughter.post(f"{family_link}/answer", data={"message": "まだ?"})
                assert late.status_code == 303
                assert len((await finder.get(poll)).json()["messages"]) == 2
                hub.clock.advance(LINK_TTL + timedelta(minutes=1))
                expired = await daughter.get(family_link)
                assert expired.status_code == 410 and "期限が切れました" in expired.text
                forged = await daughter.get(family_link[:-3] + "AAA")
                assert forged.status_code == 404

        sheets = await hub.state.store.stickers_of("p-kama")
        assert sheets[0].scans == 1  # the first screen only; the thread's views are not scans
        since = datetime(2000, 1, 1).astimezone()
        actions = {e.action for e in await hub.state.store.audit_log(since, 100)}
        assert {"found.sticker.issue", "found.scan", "found.protect", "found.answer",
                "found.reveal", "found.safe"} <= actions  # fmt: skip


async def test_a_revoked_unknown_or_flooded_sticker_page_says_to_call_110(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, town) as hub:
        staff = await hub.account("arakaki", "staff", areas=(SOUTH,))
        old = (await issue_sheet(hub, staff)).rsplit("/f/", 1)[1]
        token = (await issue_sheet(hub, staff)).rsplit("/f/", 1)[1]  # a reissue
        async with httpx.AsyncClient(base_url=hub.url, timeout=10) as finder:

            async def get(token: str, address: str) -> int:
                answer = await finder.get(f"/f/{token}", headers={"X-Forwarded-For": address})
                return answer.status_code

            for gone in (old, "x" * 43):
                page = await finder.get(f"/f/{gone}")
                assert page.status_code == 410
                assert "110 に電話してください" in page.text and 'href="tel:110"' in page.text
                assert 'id="protect-form"' not in page.text
                assert (await finder.post(f"/f/{gone}/protect", data={})).status_code == 410
            assert [await get(token, "10.0.0.1") for _ in range(20)] == [200] * 20
            busy = await finder.get(f"/f/{token}", headers={"X-Forwarded-For": "10.0.0.1"})
            assert busy.status_code == 429 and 'href="tel:110"' in busy.text
            # Another address, the same sticker: the sticker's bound holds too.
            assert await get(token, "10.0.0.2") == 429
            # One address trying many tokens is bounded the same way.
            codes = [await get(f"guess{i:040d}", "10.0.0.3") for i in range(21)]
            assert codes[:20] == [410] * 20 and codes[20] == 429
            hub.clock.advance(timedelta(minutes=1, seconds=1))
            assert await get(token, "10.0.0.4") == 200
            async with hub.client(staff) as client:
                revoked = await client.post(
                    "/desk/people/p-kama/stickers/revoke", headers={ORIGIN_OF: hub.url}
                )
                assert revoked.status_code == 303
                listed = await client.get("/desk/people/p-kama/stickers")
                assert 'data-revoked="no"' not in listed.text
            assert await get(token, "10.0.0.4") == 410
        sheets = await hub.state.store.stickers_of("p-kama")
        assert sheets[0].scans == 22  # refused requests are not counted
        assert await hub.state.store.found_reports_of("p-kama", 5) == []
