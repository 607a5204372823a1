"""One list of migrations for both engines (``store/schema.py``): a new database gets
the same tables and columns on SQLite and on PostgreSQL, and a database any older hub
left, on either engine, upgrades to exactly what a new one gets, keeping its rows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mimamori.errors import StoreError
from mimamori.hub.config import DatabaseSettings
from mimamori.hub.model.accounts import CredentialKind
from mimamori.hub.store.migrations import FIRST_SCHEMA, Migration, steps, version_at
from mimamori.hub.store.opening import open_store
from mimamori.hub.store.schema import MIGRATIONS
from mimamori.hub.store.sql import POSTGRES, SQLITE
from mimamori.hub.store.sqlite import SqliteStore
from tests.hub.helpers import database_for, open_test_store, query
from tests.hub.store.schemas import (
    Tables,
    a_baseline_postgres,
    an_older_store,
    connect,
    postgres_catalogue,
    postgres_tables,
    sqlite_tables,
)
from tests.pg import PgDatabases

TAG = "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:1:1"
T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)

# The types a column may have on each engine, from migrations.DDL: SQLite's INTEGER is
# INTEGER or BIGINT on PostgreSQL (times, seqs and row ids need 64 bits there).
SAME_TYPE = {
    "INTEGER": {"integer", "bigint"},
    "TEXT": {"text"},
    "BLOB": {"bytea"},
    "REAL": {"double precision"},
}
# SQLite's index by gateway and seq was never made on PostgreSQL: no query uses it.
SQLITE_ONLY_INDEXES = {"events_gateway_seq"}


async def test_a_new_database_has_the_same_tables_and_columns_on_sqlite_and_on_postgresql(
    tmp_path_factory: pytest.TempPathFactory, pg_databases: PgDatabases
) -> None:
    # Both engines side by side in one test (not run once per engine).
    path = tmp_path_factory.mktemp("new") / "hub.sqlite3"
    await (await SqliteStore.open(path)).close()
    lite, lite_indexes = sqlite_tables(path)
    pg, pg_indexes = postgres_tables(await postgres_catalogue(pg_databases.fresh()))
    assert pg.pop("schema_version")  # PostgreSQL's record of its version
    assert sorted(lite) == sorted(pg)
    for table, columns in lite.items():
        assert [c.name for c in columns] == [c.name for c in pg[table]], table
        for a, b in zip(columns, pg[table], strict=True):
            assert b.type in SAME_TYPE[a.type], (table, a, b)
            assert a.primary == b.primary, (table, a, b)
            # SQLite lets a key other than INTEGER PRIMARY KEY be NULL; PostgreSQL never.
            assert a.not_null == b.not_null or a.primary, (table, a, b)
    assert lite_indexes - SQLITE_ONLY_INDEXES == pg_indexes


async def test_a_postgresql_database_made_before_the_one_list_upgrades_to_what_a_new_one_gets(
    pg_databases: PgDatabases,
) -> None:
    # Every PostgreSQL database in the field began as the former schema_pg.py's first
    # migration. Upgraded by the one list, it must match a new database to the last
    # constraint name, and keep what it held.
    old = pg_databases.fresh()
    await a_baseline_postgres(old)
    conn = await connect(old)
    try:
        await conn.execute(
            "INSERT INTO events (id, gateway_id, seq, ts, kind, tag, data, received_at) "
            "VALUES ('e1', 'gw-a', 1, $1, 'tag.seen', $2, '{}', $1)",
            int(T0.timestamp() * 1000),
            TAG,
        )
        await conn.execute(
            "INSERT INTO credentials (token_hash, kind, role, name, created_at) "
            "VALUES ('h', 'token', 'admin', 'ops', 0)"
        )
    finally:
        await conn.close()
    store = await open_store(DatabaseSettings.model_validate(old))
    try:
        last = await store.last_sighting([TAG])
        assert last is not None and last.event_id == "e1"
        [(_, token)] = await store.credentials([CredentialKind.TOKEN])
        assert token.expires_at is not None  # the upgrade that ends every token ran
    finally:
        await store.close()
    assert await postgres_catalogue(old) == await postgres_catalogue(pg_databases.fresh())
    conn = await connect(old)
    try:
        recorded = await conn.fetchval("SELECT version FROM schema_version")
    finally:
        await conn.close()
    assert recorded == version_at(POSTGRES, len(MIGRATIONS))


async def test_every_older_schema_upgrades_to_what_a_new_database_gets_and_keeps_its_rows(
    tmp_path: Path, engine: str
) -> None:
    dialect = SQLITE if engine == "sqlite" else POSTGRES
    await (await open_test_store(tmp_path / "new")).close()
    new = await tables_of(tmp_path / "new")
    insert = (
        "INSERT INTO events (id, gateway_id, seq, ts, kind, tag, data, received_at) "
        "VALUES ({}, 'gw-a', 1, {}, 'tag.seen', {}, '{{}}', {})"
    )
    at = int(T0.timestamp() * 1000)
    for schema in range(FIRST_SCHEMA[dialect.name], len(MIGRATIONS)):
        directory = tmp_path / f"schema-{schema}"
        directory.mkdir()
        await an_older_store(
            directory,
            schema,
            sqlite=[insert.format("?", "?", "?", "?")],
            postgres=[insert.format("$1", "$2", "$3", "$4")],
            rows=[(f"e{schema}", at, TAG, at)],
        )
        store = await open_test_store(directory)
        try:
            last = await store.last_sighting([TAG])
            assert last is not None and last.event_id == f"e{schema}", schema
        finally:
            await store.close()
        assert await tables_of(directory) == new, schema
        [(recorded,)] = await query(
            directory,
            "PRAGMA user_version" if dialect is SQLITE else "SELECT version FROM schema_version",
        )
        assert recorded == version_at(dialect, len(MIGRATIONS)), schema


def test_a_migration_names_the_same_snippets_for_both_engines() -> None:
    for number, migration in enumerate(MIGRATIONS, start=1):
        assert set(migration.sqlite) == set(migration.postgres), number
        for dialect in (SQLITE, POSTGRES):
            assert "{" not in migration.script(dialect), (number, dialect.name)


def test_a_new_postgresql_database_is_made_in_one_step_up_to_its_first_schema() -> None:
    made = [Migration(f"CREATE TABLE t{n} (x {{bigint}});") for n in range(1, 12)]
    pg = steps(POSTGRES, 0, tuple(made), "db")
    assert [(s.version, s.schema) for s in pg] == [(1, 9), (2, 10), (3, 11)]
    assert "t1 (x BIGINT)" in pg[0].script and "t9 (x BIGINT)" in pg[0].script
    assert "t10" not in pg[0].script
    assert [(s.version, s.schema) for s in steps(POSTGRES, 2, tuple(made), "db")] == [(3, 11)]
    lite = steps(SQLITE, 10, tuple(made), "db")
    assert [(s.version, s.schema, s.script) for s in lite] == [
        (11, 11, "CREATE TABLE t11 (x INTEGER);")
    ]
    with pytest.raises(StoreError, match="db has schema 12, newer than this hub"):
        steps(POSTGRES, 4, tuple(made), "db")


async def tables_of(directory: Path) -> tuple[Tables, set[str]] | dict[str, Any]:
    """The schema of ``directory``'s database: SQLite's tables and indexes, or all
    that PostgreSQL's catalogue says."""
    database = database_for(directory)
    if "path" in database:
        return sqlite_tables(Path(database["path"]))
    return await postgres_catalogue(database)
