""" "Not seen for N days" on the hub's virtual clock: a daily walker who stops passing
the watch points gets one case for their household, once per absence, across a
restart; people without a daily habit, without the location consent, or whose watch
points are not listening get none."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.cases.not_seen import DEFAULT_DAYS, NotSeenRule, days_for, has_daily_habit
from mimamori.hub.model.cases import CaseState, Noticed, Step
from mimamori.hub.store.port_cases import CaseChange
from mimamori.hub.store.sql_not_seen import NOT_SEEN
from mimamori.hub.store.sql_store import SqlStore
from mimamori.protocol import EventKind
from tests.hub.cases.town import SOUTH, town
from tests.hub.helpers import (
    CONSENT,
    TAG_KAMA,
    TAG_TSURU,
    Y2031,
    HubClock,
    hub_document,
    open_test_store,
    registry_of_doc,
    running_hub,
    sighting,
    until,
)

DAY = timedelta(days=1)
# 宮城 カマ's walks: 10:00 in Japan (01:00 UTC), past the vending machine gw-a.
WALK = Y2031.replace(hour=1)


def kama_town(tmp_path: Path, **kama: Any) -> dict[str, Any]:
    doc = hub_document(tmp_path, 1883, 8080)
    town(doc)
    doc["people"][1].update(kama)
    return doc


async def walk(store: SqlStore, tag: str, at: datetime, gw: str = "gw-a") -> None:
    """One pass of ``tag`` by ``gw`` at ``at`` (arrived, left five minutes later)."""
    events = [sighting(EventKind.TAG_ARRIVED, tag, at), sighting(EventKind.TAG_LEFT, tag,
              at + timedelta(minutes=5))]  # fmt: skip
    await store.ingest([(gw, e) for e in events], [], at)


async def daily_walks(store: SqlStore, tag: str, last: datetime, days: int, **kw: Any) -> None:
    for back in range(days):
        await walk(store, tag, last - back * DAY, **kw)


async def listening(store: SqlStore, clock: HubClock) -> None:
    """比嘉 ツル passes gw-a now: the watch point is listening."""
    await walk(store, TAG_TSURU, clock() - timedelta(hours=1))


def test_a_daily_habit_is_most_of_the_last_fourteen_days() -> None:
    last = date(2031, 5, 12)
    fortnight = [last - timedelta(days=d) for d in range(14)]
    weekdays = [d for d in fortnight if d.weekday() < 5]
    assert len(weekdays) == 10 and has_daily_habit(weekdays, last)
    assert not has_daily_habit(weekdays[1:], last)  # nine days: not most
    twice_a_week = [last - timedelta(days=d) for d in range(0, 14, 3)]
    assert not has_daily_habit(twice_a_week, last)
    long_ago = [last - timedelta(days=d) for d in range(14, 40)]  # before the window
    assert not has_daily_habit(long_ago, last)


def test_n_is_the_persons_else_the_areas_else_three_days(tmp_path: Path) -> None:
    doc = kama_town(tmp_path, not_seen_days=5)
    registry = registry_of_doc(doc)
    assert days_for(registry, registry.people["p-kama"]) == 5
    assert days_for(registry, registry.people["p-tsuru"]) == DEFAULT_DAYS == 3
    doc["areas"][0]["not_seen_days"] = 7  # the north's centre, 比嘉 ツル's
    registry = registry_of_doc(doc)
    assert days_for(registry, registry.people["p-tsuru"]) == 7


async def test_a_daily_walker_not_seen_for_n_days_gets_one_case_across_a_restart(
    tmp_path: Path,
) -> None:
    registry = registry_of_doc(kama_town(tmp_path))
    clock = HubClock(WALK)
    store = await open_test_store(tmp_path)
    try:
        await daily_walks(store, TAG_KAMA, WALK, 14)
        clock.advance(3 * DAY - timedelta(minutes=10))
        await listening(store, clock)
        rule = NotSeenRule(store, registry, clock)
        assert await rule.sweep() == 0  # not yet three days since she passed
        clock.advance(timedelta(hours=1))
        assert await rule.sweep() == 1
        [case] = await store.cases(None, 10)
        assert (case.household_id, case.area, case.state) == ("hh-1", SOUTH, CaseState.NEW)
        [report] = await store.case_timeline(case.id)
        assert (report.step, report.noticed, report.partner_id) == (
            Step.REPORT, Noticed.NOT_SEEN, NOT_SEEN
        )  # fmt: skip
        said = (
            "3日以上、見守りポイントで見かけていません（p-kama、最後: 5月12日 10:05 大山 自販機）"
        )
        assert said in report.text
        assert await rule.sweep() == 0  # the next sweep: the same absence, no second case
    finally:
        await store.close()
    clock.advance(timedelta(hours=1))
    store = await open_test_store(tmp_path)  # the hub restarted
    try:
        rule = NotSeenRule(store, registry, clock)
        assert await rule.sweep() == 0
        closing = CaseChange((CaseState.NEW,), Step.CLOSE, "staff", "入院中でした",
                             state=CaseState.CLOSED, outcome="入院中でした")  # fmt: skip
        assert await store.change_case(case.id, closing, clock())
        assert await rule.sweep() == 0  # closed, and still the same absence
        assert len(await store.cases(None, 10)) == 1
        # Home again, she walks for two weeks, then stops: a new absence, a new case.
        await daily_walks(store, TAG_KAMA, clock() + 14 * DAY, 14)
        clock.advance(17 * DAY + timedelta(hours=1))
        await listening(store, clock)
        assert await rule.sweep() == 1
        assert [c.state for c in await store.cases(None, 10)] == [CaseState.NEW, CaseState.CLOSED]
        assert rule.failures == 0
    finally:
        await store.close()


async def test_no_case_without_a_daily_habit_consent_or_listening_watch_points(
    tmp_path: Path,
) -> None:
    clock = HubClock(WALK + 4 * DAY)
    store = await open_test_store(tmp_path)
    try:
        await listening(store, clock)
        # Twice a week for a month: no daily habit.
        for back in range(0, 30, 3):
            await walk(store, TAG_KAMA, WALK - back * DAY)
        assert await NotSeenRule(store, registry_of_doc(kama_town(tmp_path)), clock).sweep() == 0
        # Every day, but heard only by the home gateway: a key ring lying at home.
        await daily_walks(store, TAG_KAMA, WALK, 14, gw="gw-home")
        assert await NotSeenRule(store, registry_of_doc(kama_town(tmp_path)), clock).sweep() == 0
        # A daily walker, but the location consent is not given: her sightings are not used.
        await daily_walks(store, TAG_KAMA, WALK, 14)
        no_location = {**CONSENT, "purposes": ["search", "checkin"]}
        refused = registry_of_doc(kama_town(tmp_path, consent=no_location))
        assert await NotSeenRule(store, refused, clock).sweep() == 0
        # Her own N is five days: four is not enough yet.
        patient = registry_of_doc(kama_town(tmp_path, not_seen_days=5))
        assert await NotSeenRule(store, patient, clock).sweep() == 0
        assert await store.cases(None, 10) == []
        # Nothing heard at gw-a for two days (the network, not her): no case either.
        clock.advance(2 * DAY)
        assert await NotSeenRule(store, registry_of_doc(kama_town(tmp_path)), clock).sweep() == 0
        assert await store.cases(None, 10) == []
        await listening(store, clock)  # listening again: now it is her
        assert await NotSeenRule(store, registry_of_doc(kama_town(tmp_path)), clock).sweep() == 1
    finally:
        await store.close()


async def test_the_hub_sweeps_at_start_and_a_restarted_hub_files_nothing_twice(
    own_broker: PrivateBroker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="mimamori.hub.cases.not_seen")
    clock = HubClock(WALK)
    store = await open_test_store(tmp_path)
    try:
        await daily_walks(store, TAG_KAMA, WALK, 14)
        clock.advance(3 * DAY + timedelta(hours=1))
        await listening(store, clock)
    finally:
        await store.close()

    def swept() -> int:
        return sum("people swept" in r.getMessage() for r in caplog.records)

    async def swept_again() -> bool:
        return swept() > before

    async with running_hub(own_broker, tmp_path, town, clock=clock) as hub:
        cases = await until(lambda: hub.state.store.cases(None, 10))
        assert [c.household_id for c in cases] == ["hh-1"]
    before = swept()  # the restarted hub's own sweep comes after these
    clock.advance(timedelta(hours=2))
    async with running_hub(own_broker, tmp_path, town, clock=clock) as hub:
        await until(swept_again)
        assert len(await hub.state.store.cases(None, 10)) == 1
