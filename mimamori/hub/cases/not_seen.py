""" "Not seen for N days" (issue 16; 大館「数日見かけなくなった」): a rule on the sightings
the hub already keeps. Someone who goes out every day and has not passed any watch
point for N days opens a case for their household, as a partner's report of 最近見かけない
would, once per absence.

Who it is for: a person with tags, a household, and a consent to "location" in force
(their sightings may be used to watch over them), who has a **daily habit**:

- only sightings at watch points away from home count (``site`` other than "home"):
  a tag on a key ring lies at home all day, so the home gateway hearing it says nothing
  of whether the person goes out;
- the habit is judged on the ``HABIT_DAYS`` (14) local days ending on the day of their
  last sighting: they were seen on at least ``HABIT_MIN_DAYS`` (10) of them. Ten of
  fourteen is "most days"; a person who goes out on weekdays only (10 of 14) has one,
  someone who shops twice a week or whose tag is new (fewer than ten days of
  sightings) does not, and the rule leaves them alone.

Not seen for N days: their last sighting is N days (N x 24 h) or more before the sweep.
N is the person's ``not_seen_days``, else their area's, else ``DEFAULT_DAYS`` (3: a
weekday-only habit sees a normal weekend pass without a case).

Once: the absence (person, last sighting) is marked in the case's own transaction
(``store.file_not_seen``), so a later sweep, another worker or a restarted hub never
files it again; a person seen again and then missing again is a new absence. When none
of the watch points that saw them in those 14 days is listening (offline, nothing heard
for a day), the silence is the network's, not the person's: the watch points' own
alerts say so, and no case is opened. An absence found more than ``LATE_DAYS`` after
it reached N (a hub stopped for weeks) is not filed: it is no longer news, and its
habit window is no longer read.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from mimamori.errors import StoreError
from mimamori.hub.model.cases import Noticed, ReportDraft
from mimamori.hub.model.clock import Clock
from mimamori.hub.model.events import GatewayState, Sighting
from mimamori.hub.register.registry import Registry
from mimamori.hub.register.schema import Household, PersonEntry
from mimamori.hub.store.port import Store
from mimamori.protocol.timefmt import from_epoch_ms, to_epoch_ms

log = logging.getLogger(__name__)

HABIT_DAYS = 14  # two weeks: both weekends, and a holiday, inside the window
HABIT_MIN_DAYS = 10  # "most days": a weekday-only walker (10 of 14) counts
DEFAULT_DAYS = 3  # N when neither the person nor the area says (大館: 「数日」)
LATE_DAYS = 30
LISTENING = timedelta(days=1)  # a watch point heard from within a day is listening
EVERY_S = 3600.0  # N is counted in days: an hourly sweep notices within the hour
RETRY_S = 60.0  # the database is back within a minute or two after a restart
SIGHTINGS_MAX = 20_000  # 50 days of a busy walker's events, many times over


def has_daily_habit(seen: Iterable[date], last_day: date) -> bool:
    """Seen on at least ``HABIT_MIN_DAYS`` of the ``HABIT_DAYS`` days ending on ``last_day``."""
    first = last_day - timedelta(days=HABIT_DAYS - 1)
    return len({d for d in seen if first <= d <= last_day}) >= HABIT_MIN_DAYS


def days_for(registry: Registry, person: PersonEntry) -> int:
    """The person's N: their own, their area's, or the default."""
    area = registry.areas.get(person.area)
    return person.not_seen_days or (area.not_seen_days if area else None) or DEFAULT_DAYS


def _listening(states: dict[str, GatewayState], gateway_ids: set[str], now: datetime) -> bool:
    for gw in gateway_ids:
        state = states.get(gw)
        if state is None:
            continue
        heard = [t for t in (state.status_at, state.last_event_at) if t is not None]
        if state.online is not False and heard and max(heard) >= now - LISTENING:
            return True
    return False


@dataclass(frozen=True)
class _Absence:
    home: Household
    days: int  # N
    last: datetime  # the last sighting away from home
    outdoor: list[Sighting]  # the sightings away from home read


class NotSeenRule:
    """Sweeps the register's people hourly; ``sweep`` is one pass (the tests call it)."""

    def __init__(self, store: Store, registry: Registry, clock: Clock) -> None:
        self.store = store
        self.registry = registry
        self.clock = clock
        self.failures = 0  # people a sweep could not check (logged, the others checked)

    async def sweep(self) -> int:
        """One pass over everyone; the number of cases filed."""
        now = self.clock()
        marks = await self.store.not_seen_marks()
        states = {s.gateway_id: s for s in await self.store.gateway_states()}
        filed = 0
        for person in list(self.registry.people.values()):
            try:
                filed += await self._check(person, now, marks.get(person.id), states)
            except StoreError:
                raise  # the database, not this person: the loop retries
            except Exception:  # one person's trouble is that person's
                self.failures += 1
                log.exception("not seen: checking %s failed", person.id)
        log.debug("not seen: %d people swept, %d cases filed", len(self.registry.people), filed)
        return filed

    def _outdoor(self, sightings: list[Sighting]) -> list[Sighting]:
        gateways = self.registry.gateways
        return [
            s for s in sightings
            if s.gateway_id not in gateways or gateways[s.gateway_id].site != "home"
        ]  # fmt: skip

    async def _absence(
        self, person: PersonEntry, now: datetime, mark: datetime | None
    ) -> _Absence | None:
        """The person's absence not filed yet, if they have a daily habit and have not
        been seen out for their N days."""
        home = self.registry.households.get(self.registry.household_of_person.get(person.id, ""))
        if not person.tags or home is None or not person.consents_to("location"):
            return None
        n = days_for(self.registry, person)
        since = now - timedelta(days=n + LATE_DAYS + HABIT_DAYS)
        outdoor = self._outdoor(await self.store.sightings(person.tags, since, now, SIGHTINGS_MAX))
        if not outdoor:
            return None  # never seen out: no habit to miss
        last = from_epoch_ms(to_epoch_ms(max(s.seen_at for s in outdoor)))  # as stored
        away, tz = now - last, ZoneInfo(home.timezone)
        if (
            not timedelta(days=n) <= away <= timedelta(days=n + LATE_DAYS)
            or (mark is not None and mark >= last)  # this absence has its case
            or not has_daily_habit((s.seen_at.astimezone(tz).date() for s in outdoor),
                                   last.astimezone(tz).date())
        ):  # fmt: skip
            return None
        return _Absence(home, n, last, outdoor)

    async def _check(
        self,
        person: PersonEntry,
        now: datetime,
        mark: datetime | None,
        states: dict[str, GatewayState],
    ) -> int:
        absence = await self._absence(person, now, mark)
        if absence is None:
            return 0
        home, n, last, outdoor = absence.home, absence.days, absence.last, absence.outdoor
        first = last - timedelta(days=HABIT_DAYS)
        usual = {s.gateway_id for s in outdoor if s.seen_at >= first}
        if not _listening(states, usual, now):
            log.debug("not seen: %s, but their watch points are not listening", person.id)
            return 0
        where = self.registry.place(max(outdoor, key=lambda s: s.seen_at).gateway_id).name
        local = last.astimezone(ZoneInfo(home.timezone))
        text = (
            f"{n}日以上、見守りポイントで見かけていません（{person.id}、最後: "
            f"{local.month}月{local.day}日 {local:%H:%M} {where}）"
        )
        report = ReportDraft(Noticed.NOT_SEEN, text, home.id, None)
        case_id = await self.store.file_not_seen(person.id, last, report, home.area, now)
        if case_id is None:
            return 0
        log.info("not seen: %s since %s, case %d", person.id, last.isoformat(), case_id)
        return 1

    async def run(self) -> None:
        failing = False
        while True:
            try:
                await self.sweep()
                if failing:
                    log.info("not seen: sweeping again")
                failing = False
            except StoreError as exc:
                if not failing:
                    log.warning("not seen: %s; retrying", exc)
                failing = True
            await asyncio.sleep(RETRY_S if failing else EVERY_S)
