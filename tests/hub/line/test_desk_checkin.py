"""A person's check-in by LINE edited at the desk: staff of the person's area turn it
on with a time and how often (every N days, weekly), off again; each change is a
register change (audited, versioned: a stale form is 409 and writes nothing); a wrong
form is said in Japanese; families and staff of another area get 403."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.desk.line_checkin import ACTION
from mimamori.hub.model.register import Entity
from tests.hub.helpers import RunningHub, running_hub
from tests.hub.line.conftest import with_line
from tests.hub.web.browser import sign_in_as_staff
from tests.line_server import LocalLine

FORM = "/desk/people/p-kama/line-checkin"


def desk(hub: RunningHub, token: str) -> httpx.AsyncClient:
    """A signed-in browser's page: its forms come from the hub's origin."""
    headers = {"Authorization": f"Bearer {token}", "Origin": hub.url}
    return httpx.AsyncClient(base_url=hub.url, headers=headers, timeout=10)


async def read_version(client: httpx.AsyncClient) -> int:
    page = await client.get("/desk/people/p-kama")
    assert page.status_code == 200 and 'id="line-checkin-form"' in page.text
    return int(re.findall(r'name="version" value="(\d+)"', page.text)[0])


async def test_staff_set_a_persons_line_checkin_and_a_stale_form_is_refused(
    own_broker: PrivateBroker, tmp_path: Path, line: LocalLine
) -> None:
    async with running_hub(own_broker, tmp_path, with_line(tmp_path, line)) as hub:
        token = await hub.account("kinjo", "staff")
        async with desk(hub, token) as client:
            first = await read_version(client)
            every: dict[str, Any] = {"on": "1", "by": "21:00", "kind": "every",
                                     "every_n_days": "3", "start": "2031-05-01",
                                     "grace_min": "30", "version": first}  # fmt: skip
            assert (await client.post(FORM, data=every)).status_code == 303
            plan = hub.state.registry.people["p-kama"].line_checkin
            assert plan is not None
            assert (plan.schedule.by, plan.schedule.every_n_days) == ("21:00", 3)
            assert (plan.schedule.start, plan.schedule.grace_min) == (date(2031, 5, 1), 30)
            page = await client.get("/desk/people/p-kama")
            assert re.search(r'id="lc-on" checked', page.text)
            assert re.search(r'id="lc-kind-every" checked', page.text)

            # A form read before that change: refused, said, nothing written.
            stale = await client.post(FORM, data={**every, "by": "08:00"})
            assert stale.status_code == 409 and 'id="stale"' in stale.text
            kept = hub.state.registry.people["p-kama"].line_checkin
            assert kept is not None and kept.schedule.by == "21:00"

            # Weekly with no day ticked: said in Japanese; then Monday and Thursday.
            weekly = {"on": "1", "by": "09:30", "kind": "weekly", "grace_min": "60",
                      "version": await read_version(client)}  # fmt: skip
            refused = await client.post(FORM, data=weekly)
            assert refused.status_code == 422 and "曜日を一つ以上選んでください" in refused.text
            no_start = {**weekly, "kind": "every", "every_n_days": "2"}
            refused = await client.post(FORM, data=no_start)
            assert refused.status_code == 422
            assert "「○日ごと」には最初の日が必要です" in refused.text
            done = await client.post(FORM, data={**weekly, "days": ["mon", "thu", "xyz"]})
            assert done.status_code == 303, done.text
            plan = hub.state.registry.people["p-kama"].line_checkin
            assert plan is not None and plan.schedule.days == ["mon", "thu"]
            assert plan.schedule.every_n_days is None and plan.schedule.by == "09:30"

            off = {"version": await read_version(client)}  # the box left unticked
            assert (await client.post(FORM, data=off)).status_code == 303
            assert hub.state.registry.people["p-kama"].line_checkin is None

        audit = await hub.state.store.register_audit_log(entity=Entity.PERSON,
                                                         entity_id="p-kama")  # fmt: skip
        actions = [(a.action, a.via) for a in audit if a.action == ACTION]
        assert actions == [(ACTION, "desk")] * 3

        north = await hub.account("higa", "staff", areas=("north",))
        family = await hub.token("family", "f-miyagi")
        for outsider in (north, family):
            async with desk(hub, outsider) as client:
                answer = await client.post(FORM, data={**every, "version": 99})
                assert answer.status_code == 403
        assert hub.state.registry.people["p-kama"].line_checkin is None


async def test_the_form_is_shown_only_where_the_town_has_line(hub: RunningHub) -> None:
    async with desk(hub, await hub.account("kinjo", "staff")) as client:
        page = await client.get("/desk/people/p-kama")
    assert page.status_code == 200 and 'id="line-checkin-form"' not in page.text


@pytest.mark.browser
async def test_staff_turn_a_line_checkin_on_in_chromium(
    own_broker: PrivateBroker, tmp_path: Path, line: LocalLine, browser: Browser
) -> None:
    async with running_hub(own_broker, tmp_path, with_line(tmp_path, line)) as hub:
        await hub.account("kinjo", "staff")
        context = await browser.new_context(viewport={"width": 1200, "height": 900},
                                            locale="ja-JP")  # fmt: skip
        page = await sign_in_as_staff(hub, context, "kinjo")
        await page.goto(f"{hub.url}/desk/people/p-kama")
        await page.check("#lc-on")
        await page.fill("#lc-by", "20:30")
        await page.check("#lc-kind-weekly")
        await page.check("#lc-day-mon")
        await page.check("#lc-day-fri")
        await page.click("#lc-save")
        await page.wait_for_url("**/desk/people/p-kama")
        assert await page.locator("#lc-on").is_checked()
        assert await page.locator("#lc-day-fri").is_checked()
        assert await page.locator("#lc-by").input_value() == "20:30"
        await context.close()
    plan = hub.state.registry.people["p-kama"].line_checkin
    assert plan is not None and plan.schedule.days == ["mon", "fri"]
