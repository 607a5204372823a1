"""Out of hours: a report arriving outside the care centre's office hours, on a
weekend or on a public holiday goes to the night route of the escalation policy (the
alerts' way of telling day from night), and the case says where it went. It follows
the route as an alert does (the next step if nobody answers, the policy's repeats),
on the hub's virtual clock, until someone takes the case at the desk."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.cases.routing import route_of
from mimamori.hub.model.cases import Step
from tests.hub.cases.test_cases_routes import seed
from tests.hub.cases.town import NORTH, SOUTH, town
from tests.hub.helpers import (
    HubClock,
    RunningHub,
    hub_document,
    registry_of_doc,
    running_hub,
    until,
)

WEDNESDAY_NOON = datetime(2031, 5, 14, 3, 0, tzinfo=UTC)  # 12:00 in Japan
WEDNESDAY_NIGHT = WEDNESDAY_NOON + timedelta(hours=8)  # 20:00
SUBSTITUTE_HOLIDAY = datetime(2031, 5, 6, 3, 0, tzinfo=UTC)  # a Tuesday: 振替休日 of 5/4
NIGHT = [{"after_min": 0, "notify": ["r-night"]}]


def night_town(tmp_path: Path) -> dict[str, Any]:
    """The town's default policy with office hours and a night step to the centre's
    phone on duty (r-night); the family's (r-miyagi) by day, as before."""
    doc = hub_document(tmp_path, 1883, 8080)
    town(doc)
    edit_night(doc, tmp_path)
    return doc


def edit_night(doc: dict[str, Any], tmp_path: Path) -> None:
    channels = tmp_path / "night.channels"
    channels.write_text("json://127.0.0.1:9/night\n")
    doc["recipients"].append(
        {"id": "r-night", "name": "南センター 夜間当番", "channels_file": str(channels)}
    )
    policy = doc["policies"][0]
    policy["office_hours"] = {"start": "08:30", "end": "17:15"}
    policy["night_steps"] = NIGHT


def test_reports_out_of_hours_on_weekends_and_holidays_take_the_night_route(
    tmp_path: Path,
) -> None:
    doc = night_town(tmp_path)
    registry = registry_of_doc(doc)
    day = route_of(registry, "hh-1", WEDNESDAY_NOON)
    assert (day.night, day.recipients) == (False, ())
    for at in (
        WEDNESDAY_NIGHT,
        WEDNESDAY_NOON - timedelta(hours=4),  # 08:00, before the centre opens
        datetime(2031, 5, 17, 3, 0, tzinfo=UTC),  # Saturday noon
        SUBSTITUTE_HOLIDAY,
    ):
        route = route_of(registry, "hh-1", at)
        assert (route.night, route.policy_id, route.recipients) == (True, "default", ("r-night",))
    assert route_of(registry, None, WEDNESDAY_NIGHT).recipients == ("r-night",)  # an address
    # A route of its own for reports: its night steps, not the policy's.
    doc["recipients"].append({"id": "r-oncall", "name": "当番", "channels_file": "/dev/null"})
    doc["policies"][0]["routes"] = {
        "case_report": {"steps": NIGHT, "night_steps": [{"after_min": 0, "notify": ["r-oncall"]}]}
    }
    assert route_of(registry_of_doc(doc), "hh-1", WEDNESDAY_NIGHT).recipients == ("r-oncall",)
    # Without office hours every hour is a day hour: the desk alone.
    del doc["policies"][0]["office_hours"]
    assert not route_of(registry_of_doc(doc), "hh-1", WEDNESDAY_NIGHT).night


async def test_a_report_at_night_reaches_the_night_route_and_the_case_says_so(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    clock = HubClock(WEDNESDAY_NIGHT)
    async with running_hub(own_broker, tmp_path, lambda d: edit_night(town_of(d), tmp_path),
                           clock=clock) as hub:  # fmt: skip
        ids = await seed(hub.state)
        staff = await hub.account("arakaki", "staff", areas=(SOUTH,))
        south = ids[SOUTH][3]
        async with hub.client() as client:
            sent = await client.post(
                "/report", params={"token": south}, headers={"Origin": hub.url},
                data={"noticed": "mail_piling", "household": "hh-1"}, follow_redirects=False,
            )  # fmt: skip
        assert sent.status_code == 303
        case_id = ids[SOUTH][2]
        [route] = [e for e in await hub.state.store.case_timeline(case_id) if e.step is Step.ROUTE]
        assert "夜間の連絡先へ知らせました: 南センター 夜間当番" in route.text
        told = await until(lambda: told_of(hub))
        assert told == ["r-night"]  # the on-call phone; never the family's r-miyagi
        async with hub.client(staff) as client:
            page = (await client.get(f"/desk/cases/{case_id}")).text
        assert 'data-step="route"' in page and "時間外（夜間・休日）" in page
        # By day the same form goes to the desk alone, and says so.
        clock.advance(timedelta(hours=16))  # Thursday 12:00
        async with hub.client() as client:
            await client.post("/report", params={"token": ids[NORTH][3]},
                              data={"noticed": "no_light", "address": "大山1-1"},
                              headers={"Origin": hub.url}, follow_redirects=False)  # fmt: skip
        timeline = await hub.state.store.case_timeline(ids[NORTH][2])
        assert [e.text for e in timeline if e.step is Step.ROUTE] == [
            "受付時間内: センターのデスクへ"
        ]
        assert len(await hub.state.store.notification_log()) == 1


async def told_of(hub: RunningHub) -> list[str]:
    """Who was told so far, oldest first (each notification's recipient)."""
    return [n["recipient_id"] for n in reversed(await hub.state.store.notification_log())]


async def test_the_night_route_follows_through_until_someone_takes_the_case(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    def two_steps(doc: dict[str, Any]) -> None:
        edit_night(town_of(doc), tmp_path)
        doc["recipients"].append({"id": "r-lead", "name": "センター長",
                                  "channels_file": str(tmp_path / "night.channels")})  # fmt: skip
        policy = doc["policies"][0]
        policy["night_steps"] = [*NIGHT, {"after_min": 30, "notify": ["r-lead"]}]
        policy["repeat_min"] = 60

    clock = HubClock(WEDNESDAY_NIGHT)
    async with running_hub(own_broker, tmp_path, two_steps, clock=clock) as hub:
        ids = await seed(hub.state)
        staff = await hub.account("arakaki", "staff", areas=(SOUTH,))
        case_id = ids[SOUTH][2]

        async def report(noticed: str) -> None:
            async with hub.client() as client:
                sent = await client.post(
                    "/report", params={"token": ids[SOUTH][3]}, headers={"Origin": hub.url},
                    data={"noticed": noticed, "household": "hh-1"}, follow_redirects=False,
                )  # fmt: skip
            assert sent.status_code == 303

        await report("mail_piling")
        assert await until(lambda: told_of(hub)) == ["r-night"]
        await report("no_light")  # joins the case and its alert: nobody is told twice
        [alert] = await hub.state.store.alerts(None, include_resolved=False)
        assert (alert.kind, alert.subject, alert.household_id) == (
            "case_report",
            f"case:{case_id}",
            None,
        )
        assert alert.detail["case"] == case_id
        clock.advance(timedelta(minutes=30))  # nobody answered: the next step
        await until(lambda: _is(told_of(hub), ["r-night", "r-lead"]))
        clock.advance(timedelta(minutes=60))  # still nobody: the policy's repeat
        await until(lambda: _is(told_of(hub), ["r-night", "r-lead", "r-lead"]))
        async with hub.client(staff) as client:
            taken = await client.post(
                f"/desk/cases/{case_id}/triage", data={"triage": "visit", "note": ""},
                headers={"Origin": hub.url}, follow_redirects=False,
            )  # fmt: skip
        assert taken.status_code == 303
        resolved = await hub.state.store.alert(alert.id)
        assert resolved is not None and resolved.state == "resolved"
        clock.advance(timedelta(hours=3))  # the repeats end with the alert
        assert hub.state.alerts is not None
        assert await hub.state.alerts.step() == 0
        assert await told_of(hub) == ["r-night", "r-lead", "r-lead"]
        # A later report at night on the case someone has: the desk's, nobody woken.
        await report("unusual")
        routes = [e.text for e in await hub.state.store.case_timeline(case_id)
                  if e.step is Step.ROUTE]  # fmt: skip
        assert "対応中のため" in routes[-1]
        assert await hub.state.store.alerts(None, include_resolved=False) == []


async def _is(found: Awaitable[list[str]], expected: list[str]) -> bool:
    return await found == expected


def town_of(doc: dict[str, Any]) -> dict[str, Any]:
    town(doc)
    return doc
