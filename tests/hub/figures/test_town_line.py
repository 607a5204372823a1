"""The figures of LINE check-ins read what the hub's own LINE check-in writes: a person
whose check-in by LINE has started counts as watched by LINE, and a period the real
``LineCheckins`` let run up its ladder (levels 0, 1, 2, on virtual time) is one missed
LINE check-in, in its month; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from mimamori.hub.checkins.line import LineCheckins
from mimamori.hub.figures.alerts import line_missed_by_month
from mimamori.hub.figures.table import edges
from mimamori.hub.live.after_commit import AfterCommit
from mimamori.hub.live.fanout import LiveHub
from mimamori.hub.register.loading import load_registry
from mimamori.hub.store.sql_store import SqlStore
from tests.hub.access.test_areas import NORTH
from tests.hub.helpers import HubClock, hub_document, import_register_of
from tests.hub.line.test_checkin import DUE, T0, bind, checkin_by_line

FY = 2031  # T0 is in May 2031


async def test_a_line_checkin_the_hub_ran_and_missed_is_counted_once_in_its_month(
    store: SqlStore, tmp_path: Path
) -> None:
    doc = hub_document(tmp_path, 1883, 8080)
    checkin_by_line(doc, tmp_path)
    clock = HubClock(T0)
    await import_register_of(store, doc, clock)
    assert (await store.register_counts(None))["line_checkin"] == 0  # planned, not started
    await bind(store, T0)
    registry = await load_registry(store)
    checkins = LineCheckins(
        registry, store, clock=clock, after_commit=AfterCommit(LiveHub(registry))
    )
    for at in (T0, DUE, DUE + timedelta(minutes=61), DUE + timedelta(hours=73)):
        clock.now = at
        await checkins.step()

    assert (await store.register_counts(None))["line_checkin"] == 1
    area = registry.people["p-kama"].area
    mine = await store.register_counts([area])
    assert mine["line_checkin"] == 1
    months = await line_missed_by_month(store, None, edges(FY))
    assert months == [0, 1] + [0] * 10  # May: levels 1 and 2 of one period
    other = NORTH if area != NORTH else "ginowan-south"
    assert await line_missed_by_month(store, [other], edges(FY)) == [0] * 12
    assert await line_missed_by_month(store, None, edges(FY + 1)) == [0] * 12
