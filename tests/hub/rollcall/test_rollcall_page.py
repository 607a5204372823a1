"""The live list by page, on both engines: a page is the rows an independent sort of
every row would put there (not answered first, the support list first, then who is
not even seen; help before safe; then by household), the counts are every status of
the caller's scope, the filters keep what they say, and SQLite reads a page from the
index instead of sorting the town."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from mimamori.hub.model.rollcall import STATUSES, Ask, Asked, Heard, Listing
from mimamori.hub.store.sql_rollcall import RANK
from mimamori.hub.store.sql_store import SqlStore
from tests.hub.helpers import MIN, T0, database_for

HOMES = 230  # three pages of 100 and a bit: the last page is short


def oracle(row: Asked) -> tuple[bool, bool, int, str]:
    """The list's order, written the plain way (not the SQL's expression)."""
    order = {"unanswered": 0, "seen": 1, "help": 2, "safe": 3}
    return row.answer is not None, not row.support, order[row.status], row.household_id


async def town(store: SqlStore, seed: int) -> int:
    """A roll-call of HOMES households in two areas, each answered, seen, or silent at
    random; its id."""
    rnd = random.Random(seed)
    asks = [
        Ask(f"hh-{n:03d}", rnd.choice(["north", "south"]), rnd.random() < 0.2, f"t{n}", "none", 1)
        for n in range(HOMES)
    ]
    rollcall_id = await store.start_rollcall(None, "地震", "admin", T0, asks=asks, notifications=[])
    heard = []
    for ask in asks:
        roll = rnd.random()
        if roll < 0.3:
            heard.append(Heard(ask.household_id, T0 + MIN, seen_where="公民館前"))
        if 0.2 < roll < 0.6:
            answer = "help" if roll < 0.3 else "safe"
            heard.append(Heard(ask.household_id, T0 + 2 * MIN, answer=answer))
    assert await store.rollcall_heard(rollcall_id, 0, 0, heard)
    return rollcall_id


async def every_page(store: SqlStore, rollcall_id: int, listing: Listing) -> list[Asked]:
    rows: list[Asked] = []
    offset = 0
    while True:
        page = await store.rollcall_page(
            rollcall_id, Listing(**{**vars(listing), "offset": offset})
        )
        assert len(page.rows) <= listing.limit
        rows += page.rows
        if len(page.rows) < listing.limit:
            assert len(rows) == page.matching
            return rows
        offset += listing.limit


@pytest.mark.parametrize("seed", [1, 2])
async def test_each_page_holds_what_sorting_every_row_puts_there(
    store: SqlStore, seed: int
) -> None:
    rollcall_id = await town(store, seed)
    everyone = await store.rollcall_households(rollcall_id)
    assert {r.status for r in everyone} == set(STATUSES)  # the town has every status
    expected = sorted(everyone, key=oracle)
    assert await every_page(store, rollcall_id, Listing(limit=100)) == expected
    first = await store.rollcall_page(rollcall_id, Listing(limit=100))
    assert first.rows == expected[:100] and first.matching == HOMES
    assert first.counts == {s: sum(r.status == s for r in everyone) for s in STATUSES}
    assert (await store.rollcall_page(rollcall_id, Listing(offset=400))).rows == []


async def test_the_scope_counts_and_filters_keep_only_the_callers_households(
    store: SqlStore,
) -> None:
    rollcall_id = await town(store, 3)
    everyone = await store.rollcall_households(rollcall_id)
    north = [r for r in everyone if r.area == "north"]
    page = await store.rollcall_page(rollcall_id, Listing(areas=("north",), limit=50))
    assert page.counts == {s: sum(r.status == s for r in north) for s in STATUSES}
    assert await every_page(store, rollcall_id, Listing(areas=("north",), limit=50)) == sorted(
        north, key=oracle
    )
    mine = ("hh-007", "hh-100", "hh-229")  # a volunteer's
    page = await store.rollcall_page(rollcall_id, Listing(households=mine))
    assert page.rows == sorted((r for r in everyone if r.household_id in mine), key=oracle)
    assert sum(page.counts.values()) == 3
    for status in STATUSES:
        kept = await every_page(store, rollcall_id, Listing(areas=("north",), status=status))
        assert kept == sorted((r for r in north if r.status == status), key=oracle)
    # A search's households, of the caller's scope only; the counts stay the scope's.
    among = tuple(r.household_id for r in everyone[:20])
    page = await store.rollcall_page(rollcall_id, Listing(areas=("south",), among=among))
    assert page.rows == sorted((r for r in everyone[:20] if r.area == "south"), key=oracle)
    assert page.matching == len(page.rows)
    assert sum(page.counts.values()) == HOMES - len(north)
    assert (await store.rollcall_page(rollcall_id, Listing(areas=()))).rows == []


@pytest.mark.sqlite_only
async def test_sqlite_reads_a_page_from_the_index_without_sorting(
    store: SqlStore, tmp_path: Path
) -> None:
    rollcall_id = await town(store, 4)
    sql = (
        "SELECT household_id FROM rollcall_households WHERE rollcall_id = ? "
        f"ORDER BY rollcall_id, {RANK}, household_id LIMIT 100"
    )
    with sqlite3.connect(database_for(tmp_path)["path"]) as db:
        explained = db.execute(f"EXPLAIN QUERY PLAN {sql}", (rollcall_id,))
        plan = " ".join(str(row[-1]) for row in explained)
    assert "rollcall_households_rank" in plan, plan
    assert "TEMP B-TREE" not in plan, plan  # no sort
