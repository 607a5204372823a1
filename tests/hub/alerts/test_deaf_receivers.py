"""Receivers that go deaf: the hub learns each watch point's normal quiet from the
per-minute counts in its statuses and raises one technician alert when a receiver is
silent for longer (routed by the default policy's ``device`` route), resolves it when
the receiver hears again, and never storms for a receiver that flaps. Statuses go
into a real store (both engines) on a virtual clock; the watch is asked each minute.
The minutes it takes in also make each receiver's rate by quarter hour (the fleet
page's sparkline), once each, dropped by the purge after two days."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from mimamori.hub.alerts.deafness import DeafReceivers
from mimamori.hub.alerts.hearing import Hearing, Thresholds, judge, take_in
from mimamori.hub.config import PrivacySettings, WatchPointSettings
from mimamori.hub.model.alerts import Alert, AlertKind
from mimamori.hub.model.fleet import RateBucket
from mimamori.hub.privacy.retention import purge
from mimamori.hub.register.loading import load_registry
from mimamori.hub.store.sql_store import SqlStore
from mimamori.protocol import GatewayStatus
from mimamori.protocol.status import HeardStatus
from tests.hub.helpers import Y2031, HubClock, hub_document, import_register_of, query

MIN = timedelta(minutes=1)
# Learning shortened to two hours so a test feeds minutes, not days.
SETTINGS = WatchPointSettings(deaf_learn_min=120)
T = Thresholds(learn_min=120)


def heard(counts: list[int], until_min: int, last_advert_min: int | None = None) -> HeardStatus:
    last = None if last_advert_min is None else Y2031 + last_advert_min * MIN
    return HeardStatus(
        last_min=counts[-1], per_min=counts, until=Y2031 + until_min * MIN, last_advert=last
    )


def busy(minutes: int, quiet_every: int = 20, quiet_for: int = 5) -> list[int]:
    """A busy street: adverts every minute but a few quiet minutes now and then."""
    return [0 if i % quiet_every < quiet_for else 4 for i in range(minutes)]


def fed(minutes: list[int], hearing: Hearing | None = None) -> Hearing:
    """``hearing`` after one status per minute, each carrying the last 15 minutes."""
    hearing = hearing or Hearing()
    start = 0 if hearing.until is None else round((hearing.until - Y2031) / MIN)
    history: list[int] = []
    for i, count in enumerate(minutes, start=start + 1):
        history = [*history, count][-15:]
        hearing = take_in(hearing, heard(history, i), Y2031 + i * MIN, T)
    return hearing


def test_each_minute_is_taken_in_once_from_overlapping_statuses() -> None:
    once = fed([3, 0, 0, 5])
    assert (once.minutes, once.adverts, once.quiet_min) == (4, 8, 0)
    again = take_in(once, heard([3, 0, 0, 5], 4), Y2031 + 5 * MIN, T)
    assert again == once  # the same status twice: nothing new
    assert once.longest == {Y2031.date().isoformat(): 2}


def test_minutes_shortened_for_a_test_are_lined_up_by_their_own_length() -> None:
    def short(counts: list[int], until_s: int) -> HeardStatus:
        return HeardStatus(last_min=counts[-1], per_min=counts, until=Y2031 +
                           timedelta(seconds=until_s), minute_s=1.0)  # fmt: skip

    once = take_in(Hearing(), short([3, 0, 0], 3), Y2031, T)
    twice = take_in(once, short([0, 0, 5], 4), Y2031, T)  # one second later: one new minute
    assert (twice.minutes, twice.adverts, twice.quiet_min) == (4, 8, 0)


def test_nothing_is_judged_while_the_receiver_is_being_learned() -> None:
    learning = fed([0] * 119)
    assert learning.threshold(T) is None and judge(learning, False, T) is None


def test_the_threshold_is_twice_the_longest_normal_quiet_within_floor_and_cap() -> None:
    street = fed(busy(240))  # quiet for 5 minutes at a time: the floor decides
    assert street.normal_quiet() == 5 and street.threshold(T) == 30
    alley = fed(busy(240, quiet_every=60, quiet_for=40))  # 40 minutes quiet each hour
    assert alley.normal_quiet() == 40 and alley.threshold(T) == 80
    assert fed([0] * 100, alley).quiet_min == 100 and judge(fed([0] * 79, alley), False, T) is None
    assert judge(fed([0] * 80, alley), False, T) == "raise"


def test_a_deaf_spell_is_not_learned_as_normal_quiet() -> None:
    street = fed(busy(240))
    after = fed([0] * 300 + [4] * 10, street)  # five hours deaf, then back
    assert after.normal_quiet() == 5 and after.threshold(T) == 30


def status(gw: str, counts: list[int], until_min: int) -> GatewayStatus:
    last = max((i for i, c in enumerate(counts) if c), default=None)
    last_advert = None if last is None else until_min - len(counts) + last
    return GatewayStatus.model_validate(
        {
            "gw": gw,
            "state": "online",
            "ts": Y2031 + until_min * MIN,
            "drivers": {
                "vm": {
                    "driver": "serial_line",
                    "state": "up",
                    "heard": heard(counts, until_min, last_advert).model_dump(),
                }
            },
        }
    )


class Town:
    """A store with the test town, a technician on the default policy's device
    route, and one gateway sending a status every minute on the hub's clock."""

    def __init__(self, store: SqlStore, clock: HubClock, watch: DeafReceivers) -> None:
        self.store, self.clock, self.watch = store, clock, watch
        self.minute = 0
        self.history: list[int] = []
        self.opened: list[Alert] = []
        self.resolved: list[Alert] = []

    async def minutes(self, counts: list[int]) -> None:
        """These minutes pass; a status comes at their end and every ten minutes (its
        15 minutes of history bridge the gap; fewer statuses keep the test fast)."""
        for i, count in enumerate(counts, start=1):
            self.minute += 1
            self.clock.now = Y2031 + self.minute * MIN
            self.history = [*self.history, count][-15:]
            if i % 10 == 0 or i == len(counts):
                await self.status("gw-a", self.history)

    async def status(self, gw: str, history: list[int]) -> None:
        await self.store.ingest([], [status(gw, history, self.minute)], self.clock())
        done = await self.watch.check()
        self.opened += done.opened
        self.resolved += done.resolved

    async def alerts(self) -> list[Alert]:
        found = await self.store.alerts(None, include_resolved=True)
        return [a for a in found if a.kind == AlertKind.RECEIVER_DEAF]


async def town(tmp_path: Path, store: SqlStore) -> Town:
    doc: dict[str, Any] = hub_document(tmp_path, 1883, 8080)
    doc["recipients"].append({"id": "r-tech", "name": "技術担当", "channels_file": str(
        tmp_path / "miyagi.channels")})  # fmt: skip
    doc["policies"][0]["routes"] = {"device": {"steps": [{"after_min": 0, "notify": ["r-tech"]}]}}
    clock = HubClock(Y2031)
    await import_register_of(store, doc, clock)
    watch = DeafReceivers(SETTINGS, await load_registry(store), store, clock=clock)
    return Town(store, clock, watch)


async def test_a_receiver_gone_deaf_raises_one_technician_alert_and_hearing_again_resolves_it(
    tmp_path: Path, store: SqlStore
) -> None:
    t = await town(tmp_path, store)
    await t.minutes(busy(180))
    await t.minutes([0] * 29)
    assert t.opened == []  # quiet, but not yet for twice its longest quiet (floor: 30)
    await t.minutes([0])
    [alert] = t.opened
    assert (alert.subject, alert.household_id, alert.person_id) == ("receiver:gw-a/vm", None, None)
    assert alert.detail["gateway_name"] == "大山 自販機"
    assert (alert.detail["quiet_min"], alert.detail["threshold_min"]) == (30, 30)
    assert alert.detail["normal_quiet_min"] == 5 and alert.detail["rate_per_min"] > 2
    steps = await query(tmp_path, "SELECT alert_id, recipients FROM escalations")
    assert steps == [(alert.id, '["r-tech"]')]  # the device route: the technician only
    await t.minutes([0] * 120)
    assert len(t.opened) == 1 and t.resolved == []
    await t.minutes([4, 4])
    assert t.resolved == []  # two minutes heard: not back yet
    await t.minutes([4])
    assert [r.id for r in t.resolved] == [alert.id]
    assert t.resolved[0].resolve_note == "the receiver hears adverts again"


async def test_a_flapping_receiver_keeps_one_alert_instead_of_a_storm(
    tmp_path: Path, store: SqlStore
) -> None:
    t = await town(tmp_path, store)
    await t.minutes(busy(180))
    for _ in range(6):  # an advert now and then, silence for half an hour
        await t.minutes([0] * 30 + [2])
    assert len(t.opened) == 1 and t.resolved == []
    assert [a.state for a in await t.alerts()] == ["open"]


async def test_what_was_learned_survives_a_restart_and_homes_are_not_watched(
    tmp_path: Path, store: SqlStore
) -> None:
    t = await town(tmp_path, store)
    await t.minutes(busy(180))
    await t.status("gw-home", [0] * 15)  # a home's gateway: its buttons have their own
    t.watch = DeafReceivers(SETTINGS, t.watch.registry, store, clock=t.clock)  # a restart
    await t.minutes([0] * 30)
    assert [a.subject for a in t.opened] == ["receiver:gw-a/vm"]
    learned = await store.receiver_hearings()
    assert set(learned) == {("gw-a", "vm")}
    assert Hearing.from_json(learned[("gw-a", "vm")]).minutes == 210


async def test_the_minutes_taken_in_make_each_quarter_hours_rate_once_until_the_purge(
    tmp_path: Path, store: SqlStore
) -> None:
    t = await town(tmp_path, store)
    await t.minutes([4] * 20 + [0] * 10)  # statuses at 03:10, 03:20 and 03:30
    await t.watch.check()  # asked again with nothing new: nothing added
    facts = await store.fleet_facts(Y2031, Y2031)
    assert facts.rates == {"gw-a": {"vm": [
        RateBucket(Y2031, 10, 40),
        RateBucket(Y2031 + 15 * MIN, 10, 40),
        RateBucket(Y2031 + 30 * MIN, 10, 0),
    ]}}  # fmt: skip
    assert (await store.fleet_facts(Y2031, Y2031 + 20 * MIN)).rates["gw-a"]["vm"] == [
        RateBucket(Y2031 + 30 * MIN, 10, 0)
    ]
    # Another hub worker that read the receiver before this one wrote adds nothing.
    late = RateBucket(Y2031 + 30 * MIN, 10, 99)
    assert not await store.swap_receiver_hearing("gw-a", "vm", "{}", "{}", late)
    assert await query(tmp_path, "SELECT minutes, adverts FROM receiver_rates "
                                 "WHERE bucket = (SELECT max(bucket) FROM receiver_rates)") == [
        (10, 0)
    ]  # fmt: skip

    registry = t.watch.registry
    two_days_on = Y2031 + timedelta(days=2, minutes=20)
    await purge(store, registry, PrivacySettings(), two_days_on, dry_run=True)
    assert len(await query(tmp_path, "SELECT bucket FROM receiver_rates")) == 3
    await purge(store, registry, PrivacySettings(), two_days_on)
    assert list((await store.fleet_facts(Y2031, Y2031)).rates["gw-a"]["vm"]) == [
        RateBucket(Y2031 + 30 * MIN, 10, 0)
    ]
