"""A search's updates for the people searching, on a real hub, its durable queue and
the local LINE (issue 17): a family contact bound to LINE hears there that the search
started and that the person was found, with a one-time link that signs the family in
on the search's page; the same update told again (a restart, a second worker) queues
nothing new; a contact without LINE hears on their own channel, in their language,
also when the search runs out."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.access.policy import Principal
from mimamori.hub.model.alerts import LINE_CHANNEL
from tests.hub.helpers import RunningHub, running_hub, until
from tests.hub.line.conftest import delivered, with_line
from tests.hub.line.test_checkin import bind, pushed
from tests.hub.receivers import Hook, webhook
from tests.line_server import LocalLine

FAMILY = Principal("family", "f-miyagi", "宮城 花子")


def family_contact(tmp_path: Path, line: LocalLine, lang: str = "ja") -> Any:
    add_line = with_line(tmp_path, line)

    def edit(doc: dict[str, Any]) -> None:
        add_line(doc)
        doc["recipients"][0]["family"] = "f-miyagi"  # 宮城 花子, who may see 宮城 カマ
        doc["recipients"][0]["lang"] = lang

    return edit


async def _log(hub: RunningHub) -> list[dict[str, object]]:
    return await hub.state.store.notification_log()


async def test_the_family_hears_in_line_that_the_search_started_and_that_she_was_found(
    own_broker: PrivateBroker, tmp_path: Path, line: LocalLine
) -> None:
    async with running_hub(own_broker, tmp_path, family_contact(tmp_path, line)) as hub:
        user = await bind(hub.state.store, hub.clock(), "r-miyagi")
        search = await hub.state.searches.start("p-kama", FAMILY, 2)
        [started] = await pushed(line, 1)
        assert started.to == user
        assert "宮城 カマさんの捜索が始まりました" in started.text
        signin = re.search(r"/signin\?\S+", started.text)
        assert signin is not None and "捜索のページを見る" in started.text
        async with httpx.AsyncClient(base_url=hub.url, timeout=10) as browser:
            opened = await browser.get(signin.group(0))
            assert opened.status_code == 303
            assert opened.headers["location"] == f"/searches/{search.id}"
            assert (await browser.get(signin.group(0))).status_code == 410  # one use

        ended = await hub.state.searches.end(search.id, "found", FAMILY, "")
        assert ended is not None
        _, found = await pushed(line, 2)
        assert found.to == user and "宮城 カマさんが見つかりました" in found.text
        assert "捜索は終わりました" in found.text

        # Told again, as after a restart or by a second worker: nothing new is queued.
        updates = hub.state.searches.updates
        assert updates is not None
        assert await updates.tell(ended) == 1
        sent = await delivered(hub, 2)
        assert [(n["channel"], n["state"]) for n in sent] == [(LINE_CHANNEL, "sent")] * 2
    assert len(line.pushes) == 2


async def _hooked(hook: Hook, count: int) -> list[object]:
    return list(hook.requests) if len(hook.requests) >= count else []


async def test_a_contact_without_line_hears_on_their_channel_also_when_the_search_runs_out(
    own_broker: PrivateBroker, tmp_path: Path, line: LocalLine
) -> None:
    async with (
        webhook() as hook,
        running_hub(own_broker, tmp_path, family_contact(tmp_path, line, "en")) as hub,
    ):
        await hub.set_channels("r-miyagi", hook.url)
        search = await hub.state.searches.start("p-kama", FAMILY, 1)
        await until(lambda: _hooked(hook, 1))
        hub.clock.advance(timedelta(hours=1, minutes=1))  # the search runs out
        [(_, started), (_, ran_out)] = await until(lambda: _hooked(hook, 2))
        assert "The search for 宮城 カマ has started" in started["title"]  # in their language
        assert f"/searches/{search.id}" in started["message"]
        assert "The search for 宮城 カマ ran out" in ran_out["title"]
        assert "start it again" in ran_out["message"]
        assert [n["channel"] for n in await _log(hub)] == [0, 0]
    assert line.pushes == []
