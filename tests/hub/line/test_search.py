"""Starting a search from LINE on a real hub, its database and the local LINE: 「さがす」
from a family's contact gets one button per person the family may see; a tap starts
the search through the search service, audited as that contact's via LINE, and the
reply's one-time link opens the search page; a person already searched for gets the
open search's link; a forwarded, altered or stale button, and an unbound user, start
nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.line.search import BUTTON_TTL
from tests.hub.helpers import RunningHub, running_hub, until
from tests.hub.line.conftest import with_line
from tests.hub.line.test_checkin import WEBHOOK, bind, tap
from tests.line_server import LocalLine, Sent, user_id


def family_contact(tmp_path: Path, line: LocalLine) -> Any:
    add_line = with_line(tmp_path, line)

    def edit(doc: dict[str, Any]) -> None:
        add_line(doc)
        doc["recipients"][0]["family"] = "f-miyagi"  # 宮城 花子, who may see 宮城 カマ

    return edit


async def say(hub: RunningHub, line: LocalLine, user: str, text: str) -> Sent:
    before = len(line.replies_to(user))
    assert (await line.webhook(hub.url + WEBHOOK, line.text(user, text))).status_code == 200

    async def replied() -> list[Sent]:
        found = [r for r in line.replies if r.to == user]
        return found if len(found) > before else []

    return list(await until(replied))[-1]


def link_in(text: str) -> str:
    found = re.search(r"/signin\?\S+", text)
    assert found is not None, text
    return found.group(0)


async def test_a_family_starts_a_search_from_line_and_its_link_opens_the_search_page(
    own_broker: PrivateBroker, tmp_path: Path, line: LocalLine
) -> None:
    async with running_hub(own_broker, tmp_path, family_contact(tmp_path, line)) as hub:
        store = hub.state.store
        stranger = user_id()
        assert "番号" in (await say(hub, line, stranger, "さがす")).text  # not linked: how to

        user = await bind(store, hub.clock(), "r-miyagi")
        menu = await say(hub, line, user, "さがす")
        assert menu.text.startswith("捜索を始める方を")
        [button] = menu.buttons()  # her family sees 宮城 カマ, not 比嘉 ツル
        assert button["label"] == "宮城 カマ" and button["displayText"] == "宮城 カマ さんを探す"

        # Forwarded to someone else, or altered to name another person: nothing starts.
        assert "だけが使えます" in await tap(hub, line, stranger, button["data"])
        altered = button["data"].replace("search:p-kama:", "search:p-tsuru:")
        assert "だけが使えます" in await tap(hub, line, user, altered)
        assert await store.searches(None, active_only=False) == []

        started = await tap(hub, line, user, button["data"])
        assert started.startswith("宮城 カマ さんの捜索を始めました")
        [search] = await store.searches(None, active_only=True)
        assert search.person_id == "p-kama" and search.started_by == "宮城 花子"
        audit = [e for e in await store.audit_log(hub.clock() - timedelta(hours=1), 100)
                 if e.action == "search.start"]  # fmt: skip
        assert [(e.who, e.role, e.subject) for e in audit] == [
            ("宮城 花子", "line", f"search:{search.id}")
        ]

        async with httpx.AsyncClient(base_url=hub.url, timeout=10) as browser:
            signed_in = await browser.get(link_in(started))
            assert signed_in.status_code == 303
            assert signed_in.headers["location"] == f"/searches/{search.id}"
            page = await browser.get(f"/searches/{search.id}")
            assert page.status_code == 200 and search.id in page.text
            again = await browser.get(link_in(started))
            assert again.status_code == 410  # one use: a forwarded chat signs nobody in

        # Tapped again (or by another of the family): the open search's link, no second.
        already = await tap(hub, line, user, button["data"])
        assert already.startswith("宮城 カマ さんは、すでに捜索中です") and link_in(already)
        assert len(await store.searches(None, active_only=False)) == 1

        # An old menu's button is refused: send 「さがす」 again.
        hub.clock.advance(BUTTON_TTL + timedelta(seconds=1))
        assert "古くなっています" in await tap(hub, line, user, button["data"])


async def test_a_contact_of_no_family_is_offered_nobody(
    own_broker: PrivateBroker, tmp_path: Path, line: LocalLine
) -> None:
    async with running_hub(own_broker, tmp_path, with_line(tmp_path, line)) as hub:
        user = await bind(hub.state.store, hub.clock(), "r-miyagi")
        reply = await say(hub, line, user, "ｻｶﾞｽ")  # half-width: NFKC, but not the word
        assert "通知専用" in reply.text
        reply = await say(hub, line, user, "  捜索 ")
        assert "始められる方は登録されていません" in reply.text and reply.buttons() == []
