"""The partner's report form on a real hub: it names homes by address only, never
who lives there; each mistake is said at its field in Japanese and what was typed is
kept; a home of another area cannot be named; a link that files too many reports in
an hour is refused for the hour, the reports before it kept."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.access.policy import Principal
from mimamori.hub.cases import partners, service
from mimamori.hub.cases.reports import MAX_PER_HOUR
from tests.hub.cases.test_cases_routes import seed
from tests.hub.cases.town import ADDRESS, NORTH, SOUTH, town
from tests.hub.helpers import Gateway, RunningHub, open_alert, running_hub, until
from tests.hub.receivers import Mailbox, smtp_server


async def _post(hub: RunningHub, token: str, **data: str) -> tuple[int, str]:
    async with hub.client() as client:
        r = await client.post("/report", params={"token": token}, data=data,
                              headers={"Origin": hub.url}, follow_redirects=False)  # fmt: skip
    return r.status_code, r.text


async def test_the_form_names_homes_by_address_and_says_each_mistake(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, town) as hub:
        ids = await seed(hub.state)
        south, north = ids[SOUTH][3], ids[NORTH][3]
        async with hub.client() as client:
            form = (await client.get("/report", params={"token": south})).text
        assert ADDRESS in form and "宮城" not in form and "カマ" not in form
        status, page = await _post(hub, south, note="ポストがいっぱい", household="hh-1")
        assert status == 422 and 'id="error-noticed"' in page and "ポストがいっぱい" in page
        status, page = await _post(hub, south, noticed="no_light")
        assert status == 422 and "場所を選ぶか、住所を書いてください" in page
        status, page = await _post(hub, north, noticed="no_light", household="hh-1")
        assert status == 422 and 'id="error-household"' in page  # the south's home
        status, page = await _post(hub, south, noticed="no_light", note="x" * 501, address="a")
        assert status == 422 and 'id="error-note"' in page
        status, _ = await _post(hub, north, noticed="lost", address="大山 交差点のそば")
        assert status == 303
        cases = await hub.state.store.cases([NORTH], 10)
        assert [(c.address, c.reports) for c in cases] == [("大山 交差点のそば", 1), ("大山1-1", 1)]


async def test_a_link_that_reports_too_often_is_refused_for_the_hour(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, town) as hub:
        ids = await seed(hub.state)  # one report filed by each link already
        token = ids[SOUTH][3]
        for _ in range(MAX_PER_HOUR - 1):
            assert (await _post(hub, token, noticed="other", household="hh-1"))[0] == 303
        status, page = await _post(hub, token, noticed="other", household="hh-1")
        assert status == 429 and "1時間ほど" in page
        case = await hub.state.store.case(ids[SOUTH][2])
        assert case is not None and case.reports == MAX_PER_HOUR
        hub.clock.now = hub.clock() + timedelta(hours=1, seconds=1)
        assert (await _post(hub, token, noticed="other", household="hh-1"))[0] == 303


async def test_a_case_shows_the_alerts_of_its_home(
    own_broker: PrivateBroker, tmp_path: Path, home_gateway: Gateway
) -> None:
    async with running_hub(own_broker, tmp_path, town) as hub:
        ids = await seed(hub.state)
        alert_id = await open_alert(hub, home_gateway)
        staff = await hub.account("arakaki", "staff", areas=(SOUTH,))
        async with hub.client(staff) as client:
            page = (await client.get(f"/desk/cases/{ids[SOUTH][2]}")).text
            assert f'data-alert="{alert_id}"' in page
            other = (await client.get(f"/desk/cases/{ids[NORTH][2]}")).status_code
            assert other == 403


async def test_a_reporter_who_joins_a_case_in_hand_hears_that_it_started(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, town) as hub:
        ids = await seed(hub.state)  # the south's case: one report, from a link with no channel
        admin = Principal("admin", None, "root")
        await service.triage(hub.state, admin, ids[SOUTH][2], "visit", "")
        with smtp_server() as box:
            mail = f"mailto://127.0.0.1:{box.port}?from=hub@example.jp&mode=insecure&to=s@b.jp"
            link, token = await partners.issue_link(
                hub.state, admin, "p-south", {"label": "検針員 佐藤", "channel": mail}
            )
            assert (await _post(hub, token, noticed="meter_still", household="hh-1"))[0] == 303
            await until(lambda: _sent(box), within=15)
        assert (
            "地域包括支援センターが対応を始めました"
            in box.messages[0].get_body(("plain",)).get_content()
        )
        # Recorded as sent once the sender returns, a moment after the mail arrived.
        await until(lambda: hub.state.store.feedback_sent(link.id))


async def _sent(box: Mailbox) -> bool:
    return bool(box.messages)
