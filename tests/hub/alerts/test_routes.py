"""The register example's default policy (configs/register.yaml), route by route, on a
virtual clock: each kind of alert, by day, at night and on a public holiday, reaches
the people the seeds name in their order; a hub restarted in the middle of each chain
forgets no step and repeats none."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from mimamori.hub.alerts.engine import AlertEngine
from mimamori.hub.alerts.routing import in_office_hours, steps_for
from mimamori.hub.model.events import GatewayClock
from mimamori.hub.register.loading import load_registry
from mimamori.hub.register.schema import OfficeHours, Policy
from mimamori.hub.store.sql_store import SqlStore
from mimamori.protocol import EventKind, format_ts
from mimamori.protocol.events import Event
from tests.hub.helpers import MIN, event, import_register_of, open_test_store, service_of

EXAMPLE = Path(__file__).parents[3] / "configs" / "register.yaml"
FAMILY, MINSEI, CENTER = "r-miyagi-family", "r-volunteer-0001", "r-care-center"
ON_CALL, TECHNICIAN = "r-on-call", "r-technician"
CONTACTS = (FAMILY, MINSEI, CENTER, ON_CALL, TECHNICIAN)

# Times in Tokyo (UTC+9). 2031-05-12 and 2031-11-03 are Mondays; 11-03 is 文化の日.
WEEKDAY_NOON = datetime(2031, 5, 12, 3, 0, tzinfo=UTC)
WEEKDAY_NIGHT = datetime(2031, 5, 12, 13, 0, tzinfo=UTC)  # 22:00
SATURDAY_NOON = datetime(2031, 5, 17, 3, 0, tzinfo=UTC)
HOLIDAY_NOON = datetime(2031, 11, 3, 3, 0, tzinfo=UTC)


def example_policy() -> dict[str, Any]:
    [policy] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))["policies"]
    return dict(policy)


def town(tmp_path: Path) -> dict[str, Any]:
    """A home under the example's default policy, its contacts on dead-end channels."""
    for rid in CONTACTS:
        (tmp_path / f"{rid}.channels").write_text(f"json://127.0.0.1:9/{rid}\n")
    return {
        "hub": {"database": {"path": str(tmp_path / "hub.sqlite3")}, "broker": {"host": "x"}},
        "gateways": [{"id": "gw-home", "name": "自宅", "lat": 26.2, "lon": 127.7, "site": "home"}],
        "recipients": [
            {"id": rid, "name": rid, "channels_file": str(tmp_path / f"{rid}.channels")}
            for rid in CONTACTS
        ],
        "policies": [example_policy()],
        "households": [{"id": "hh-1", "name": "宮城さん宅", "gateways": ["gw-home"]}],
    }


async def town_engine(tmp_path: Path, store: SqlStore, *, imported: bool = True) -> AlertEngine:
    doc = town(tmp_path)
    if imported:
        await import_register_of(store, doc, lambda: WEEKDAY_NOON)
    registry = await load_registry(store)
    return AlertEngine(service_of(doc), registry, store, clock=lambda: WEEKDAY_NOON)


def sos(at: datetime) -> Event:
    return event(EventKind.CHECKIN_SOS, at, device="door", card="sos", next_due=format_ts(at))


def missed(level: int, at: datetime) -> Event:
    return event(EventKind.CHECKIN_MISSED, at, level=level, due=format_ts(at - 24 * 60 * MIN))


def silent(at: datetime) -> Event:
    return event(EventKind.DEVICE_SILENT, at, device="door", silent_s=3600)


Step = tuple[int, str, tuple[str, ...]]  # minutes after opening, action, who


async def chain(
    tmp_path: Path, store: SqlStore, raised: Event, opened: datetime, minutes: int
) -> tuple[list[Step], SqlStore]:
    """Raise an alert at ``opened`` and walk the hub's clock in 15-minute strides to
    ``minutes``, the hub restarting (store and engine anew) at every other stride.
    The steps taken, from the alert's timeline, and the store as it is at the end."""
    alerts = await town_engine(tmp_path, store)
    await store.ingest([("gw-home", raised)], [], opened)
    [alert] = (await alerts.process_events()).opened
    for stride, at in enumerate(range(0, minutes + 1, 15)):
        await alerts.escalate(opened + at * MIN)
        if stride % 2:
            await store.close()  # killed here; back at the same moment
            store = await open_test_store(tmp_path)
            alerts = await town_engine(tmp_path, store, imported=False)
            assert (await alerts.process_events()).opened == []
    timeline = await store.alert_timeline(alert.id)
    steps = [
        (int((e.at - opened) / MIN), e.detail or "", tuple(sorted((e.who or "").split(", "))))
        for e in timeline
        if e.what == "step" and e.round == 0
    ]
    # Each step and repeat taken once, each of its people told once (one channel each).
    taken = [e for e in timeline if e.what == "step"]
    assert len({(e.step, e.round) for e in taken}) == len(taken)
    told = [e for e in timeline if e.what == "notified"]
    assert len(told) == sum(len((e.who or "").split(", ")) for e in taken)
    return steps, store


def test_office_hours_are_weekdays_that_are_not_public_holidays() -> None:
    hours = OfficeHours()
    assert in_office_hours(hours, WEEKDAY_NOON)
    assert not in_office_hours(hours, WEEKDAY_NIGHT)
    assert not in_office_hours(hours, SATURDAY_NOON)
    assert not in_office_hours(hours, HOLIDAY_NOON)  # 文化の日, a Monday
    # 振替休日: 2031-02-24 (天皇誕生日 on Sunday the 23rd) comes from the library too.
    assert not in_office_hours(hours, datetime(2031, 2, 24, 3, 0, tzinfo=UTC))
    assert in_office_hours(hours, datetime(2031, 5, 12, 8, 14, tzinfo=UTC))  # 17:14
    assert not in_office_hours(hours, datetime(2031, 5, 12, 8, 15, tzinfo=UTC))  # 17:15
    assert in_office_hours(None, WEEKDAY_NIGHT)  # no office hours: always the day route


@pytest.mark.parametrize(
    ("kind", "at", "first", "second"),
    [
        ("sos", WEEKDAY_NOON, {CENTER, FAMILY}, ("visit", MINSEI)),
        ("sos", WEEKDAY_NIGHT, {ON_CALL, FAMILY}, ("visit", MINSEI)),
        ("sos", HOLIDAY_NOON, {ON_CALL, FAMILY}, ("visit", MINSEI)),
        ("checkin_missed", WEEKDAY_NOON, {FAMILY}, ("visit", MINSEI)),
        ("checkin_missed", SATURDAY_NOON, {FAMILY}, ("call", ON_CALL)),
        ("device_silent", WEEKDAY_NIGHT, {TECHNICIAN}, None),
        ("battery_low", WEEKDAY_NOON, {TECHNICIAN}, None),
        ("home_offline", HOLIDAY_NOON, {TECHNICIAN}, None),
        ("watchpoint_offline", WEEKDAY_NOON, {TECHNICIAN}, None),
        ("consult", WEEKDAY_NOON, {FAMILY}, ("visit", MINSEI)),  # the policy's own steps
    ],
)
def test_each_kind_takes_its_route_by_the_hour_it_opens(
    kind: str, at: datetime, first: set[str], second: tuple[str, str] | None
) -> None:
    steps = steps_for(Policy.model_validate(example_policy()), kind, at)
    assert set(steps[0].recipients) == first and steps[0].after_s == 0
    assert ((steps[1].action, steps[1].recipients[0]) if len(steps) > 1 else None) == second


async def test_an_sos_by_day_tells_the_centre_and_family_at_once_then_the_visit(
    tmp_path: Path, store: SqlStore
) -> None:
    steps, store = await chain(tmp_path, store, sos(WEEKDAY_NOON), WEEKDAY_NOON, 60)
    assert steps == [(0, "notify", (CENTER, FAMILY)), (15, "visit", (MINSEI,))]
    await store.close()


async def test_an_sos_at_night_tells_the_on_call_and_family_at_once(
    tmp_path: Path, store: SqlStore
) -> None:
    steps, store = await chain(tmp_path, store, sos(WEEKDAY_NIGHT), WEEKDAY_NIGHT, 60)
    assert steps == [(0, "notify", (FAMILY, ON_CALL)), (15, "visit", (MINSEI,))]
    await store.close()


async def test_a_missed_check_in_by_day_goes_family_visit_then_care_centre(
    tmp_path: Path, store: SqlStore
) -> None:
    steps, store = await chain(tmp_path, store, missed(1, WEEKDAY_NOON), WEEKDAY_NOON, 400)
    assert steps == [
        (0, "notify", (FAMILY,)),
        (120, "visit", (MINSEI,)),
        (360, "notify", (CENTER,)),
    ]
    await store.close()


async def test_a_missed_check_in_on_a_holiday_has_the_on_call_phone_then_a_morning_visit(
    tmp_path: Path, store: SqlStore
) -> None:
    steps, store = await chain(tmp_path, store, missed(1, HOLIDAY_NOON), HOLIDAY_NOON, 750)
    assert steps == [
        (0, "notify", (FAMILY,)),
        (120, "call", (ON_CALL,)),
        (600, "visit", (MINSEI,)),
        (720, "notify", (CENTER,)),
    ]
    await store.close()


async def test_a_silent_device_tells_the_technician_only_day_or_night(
    tmp_path: Path, store: SqlStore
) -> None:
    steps, store = await chain(tmp_path, store, silent(WEEKDAY_NIGHT), WEEKDAY_NIGHT, 120)
    assert steps == [(0, "notify", (TECHNICIAN,))]
    # ... and its repeats go to the technician, never to the family.
    log = await store.notification_log()
    assert {n["recipient_id"] for n in log} == {TECHNICIAN} and len(log) == 5  # 0, 30.. 120
    await store.close()


async def test_level_two_of_the_ladder_reaches_the_visit_even_while_someone_handles_it(
    tmp_path: Path, store: SqlStore
) -> None:
    """Kurobe's 社協 sends the 民生委員 after three days without a press: a family that
    said 対応します does not hold the visit back (on the holiday route it is 10 h away)."""
    alerts = await town_engine(tmp_path, store)
    await store.ingest([("gw-home", missed(1, HOLIDAY_NOON))], [], HOLIDAY_NOON)
    [alert] = (await alerts.process_events()).opened
    assert await alerts.escalate(HOLIDAY_NOON) == 1  # the family
    later = HOLIDAY_NOON + 10 * MIN
    await store.handle_alert(
        alert.id, by="宮城 花子", role="family", note="", now=later, until=later + 120 * MIN
    )
    three_days = HOLIDAY_NOON + 60 * MIN
    await store.ingest([("gw-home", missed(2, three_days))], [], three_days)
    counts = await alerts.process_events()
    assert [a.id for a in counts.updated] == [alert.id] and counts.updated[0].state == "open"
    assert await alerts.escalate(three_days) == 2  # the on-call's call and the visit, now
    timeline = await store.alert_timeline(alert.id)
    assert [(e.detail, e.who) for e in timeline if e.what == "step"][-2:] == [
        ("call", ON_CALL),
        ("visit", MINSEI),
    ]


async def test_level_two_after_a_resolution_opens_an_alert_that_visits_at_once(
    tmp_path: Path, store: SqlStore
) -> None:
    alerts = await town_engine(tmp_path, store)
    await store.ingest([("gw-home", missed(1, WEEKDAY_NOON))], [], WEEKDAY_NOON)
    [first] = (await alerts.process_events()).opened
    await store.resolve_alert(first.id, "宮城 花子", "たぶん外出", WEEKDAY_NOON + MIN, "away")
    later = WEEKDAY_NOON + 2 * MIN
    await store.ingest([("gw-home", missed(2, later))], [], later)
    [second] = (await alerts.process_events()).opened
    assert await alerts.escalate(later) == 2  # the family and the visit; the centre later
    steps = [(e.detail, e.who) for e in await store.alert_timeline(second.id) if e.what == "step"]
    assert steps == [("notify", FAMILY), ("visit", MINSEI)]


async def test_a_gateway_with_no_home_tells_the_technician_by_the_default_policys_route(
    tmp_path: Path, store: SqlStore
) -> None:
    """A gateway's clock far off (or a watch point gone quiet) belongs to no household:
    the default policy's ``device`` route still reaches the technician, and only him."""
    alerts = await town_engine(tmp_path, store)
    await store.set_gateway_clocks({"gw-home": GatewayClock(-95_000, True)}, WEEKDAY_NOON)
    [alert] = (await alerts.process_events()).opened
    assert (alert.kind, alert.household_id) == ("gateway_clock", None)
    assert await alerts.escalate(WEEKDAY_NOON) == 1
    assert {n["recipient_id"] for n in await store.notification_log(alert.id)} == {TECHNICIAN}
