"""Lists of people stay fast with a town's register: with 10,000 people, each way the
desk lists or searches them is answered from an index, on both engines (the query
plan says so; the desk's benchmark measures the time)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from mimamori.hub.model.register import PeopleQuery
from mimamori.hub.store.sql_register import people_sql
from mimamori.hub.store.sql_store import SqlStore

PEOPLE = 10_000
AREAS = 8  # 調布 has 8 care centres
KANA = "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわ"


def reading(n: int) -> str:
    return "".join(KANA[(n // len(KANA) ** k) % len(KANA)] for k in range(3))


async def fill(store: SqlStore) -> None:
    """10,000 people in 8 areas and 5,000 homes, each with a tag and a review date,
    written straight into the tables (the plans are the question here, not the
    change functions) and the tables' statistics brought up to date."""
    rows = [
        (f"p-{n:05d}", f"area-{n % AREAS}", f"名前 {n:05d}", reading(n), f"hh-{n // 2:05d}",
         f"2031-{1 + n % 12:02d}-01", json.dumps({"id": f"p-{n:05d}"}), 1, n)
        for n in range(PEOPLE)
    ]  # fmt: skip
    async with store._transaction("filling") as db:
        await db.executemany(
            "INSERT INTO areas (id, name, doc, version, added) VALUES (?, ?, '{}', 1, ?)",
            [(f"area-{a}", f"地域 {a}", a) for a in range(AREAS)],
        )
        await db.executemany(
            "INSERT INTO households (id, area_id, name, evacuation_support, doc, version, "
            "added) VALUES (?, ?, ?, 0, '{}', 1, ?)",
            [(f"hh-{h:05d}", f"area-{h % AREAS}", f"お宅 {h}", h) for h in range(PEOPLE // 2)],
        )
        await db.executemany(
            "INSERT INTO people (id, area_id, name, reading, household_id, review_on, doc, "
            "version, added) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        await db.executemany(
            "INSERT INTO person_tags (tag, person_id) VALUES (?, ?)",
            [(f"ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:2:{n}", r[0]) for n, r in
             enumerate(rows)],
        )  # fmt: skip
    await store._db.execute("ANALYZE")


async def plan(store: SqlStore, query: PeopleQuery) -> str:
    sql, params = people_sql(query)
    if store._dialect.name == "sqlite":
        rows = await store._query(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row[-1]) for row in rows)
    rows = await store._query(f"EXPLAIN {sql}", params)
    return "\n".join(str(row[0]) for row in rows)


LISTS = {
    "all, by reading": PeopleQuery(),
    "one area, by reading": PeopleQuery(areas=("area-3",)),
    "a name's start": PeopleQuery(text="名前 0042"),
    "a reading's start, in katakana": PeopleQuery(text="カキ"),
    "a tag": PeopleQuery(tag="ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:2:4242"),
    "a household": PeopleQuery(household="hh-02121"),
    "reviews due this month, one area": PeopleQuery(areas=("area-3",), review_by=date(2031, 1, 31)),
}


@pytest.mark.timeout(120)
async def test_every_list_of_people_is_answered_from_an_index_with_10000_people(
    store: SqlStore,
) -> None:
    await fill(store)
    plans = {name: await plan(store, query) for name, query in LISTS.items()}
    for name, said in plans.items():
        if store._dialect.name == "sqlite":
            # "SCAN people" without an index reads every row; "USING INDEX" or a
            # "SEARCH" by a key does not.
            scans = [line for line in said.splitlines() if line.startswith("SCAN people")]
            assert all("USING" in line for line in scans), f"{name}:\n{said}"
            assert "people" in said and ("INDEX" in said or "PRIMARY KEY" in said), name
        else:
            assert "Seq Scan on people" not in said, f"{name}:\n{said}"
            assert "Index" in said, f"{name}:\n{said}"
    found = await store.find_people(LISTS["a reading's start, in katakana"])
    assert found and all(p.reading.startswith("かき") for p in found)
    assert [p.id for p in await store.find_people(LISTS["a tag"])] == ["p-04242"]
