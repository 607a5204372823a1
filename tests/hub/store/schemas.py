"""Databases as older hubs left them, and what a database's schema is, read from the
engine's own catalogue (not from our migrations), for the store's migration tests."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from mimamori.hub.store.migrations import steps, version_at
from mimamori.hub.store.schema import MIGRATIONS
from mimamori.hub.store.sql import POSTGRES, SQLITE
from tests.hub.helpers import database_for

BASELINE_PG = Path(__file__).with_name("postgres_schema_1.sql")


async def connect(database: dict[str, Any]) -> asyncpg.Connection:
    pg = database["postgres"]
    return await asyncpg.connect(
        host=pg["host"], port=pg["port"], user=pg["user"], database=pg["dbname"]
    )


async def an_older_store(
    tmp_path: Path,
    schema: int,
    *,
    sqlite: Sequence[str] = (),
    postgres: Sequence[str] = (),
    rows: Sequence[tuple[Any, ...]] = (),
) -> None:
    """The test's database as an older hub left it: the migrations up to ``schema``
    only, as its engine records them; then each of the engine's ``statements`` (in
    its own placeholders) run once for each of ``rows``."""
    database = database_for(tmp_path)
    older = MIGRATIONS[:schema]
    if "path" in database:
        with sqlite3.connect(database["path"]) as db:
            for step in steps(SQLITE, 0, older, "an older store"):
                db.executescript(step.script)
            db.execute(f"PRAGMA user_version = {version_at(SQLITE, schema)}")
            for statement in sqlite:
                db.executemany(statement, rows)
        return
    conn = await connect(database)
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")  # from the template
        for step in steps(POSTGRES, 0, older, "an older store"):
            await conn.execute(step.script)
        await conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        await conn.execute(f"INSERT INTO schema_version VALUES ({version_at(POSTGRES, schema)})")
        for statement in postgres:
            await conn.executemany(statement, rows)
    finally:
        await conn.close()


async def a_baseline_postgres(database: dict[str, Any]) -> None:
    """An empty PostgreSQL database as hubs made them before the one list of
    migrations: the former ``schema_pg.py``'s first migration, at its version 1."""
    conn = await connect(database)
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        await conn.execute(BASELINE_PG.read_text(encoding="utf-8"))
        await conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        await conn.execute("INSERT INTO schema_version VALUES (1)")
    finally:
        await conn.close()


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # as the engine names it
    not_null: bool
    primary: bool


Tables = dict[str, list[Column]]


def sqlite_tables(path: Path) -> tuple[Tables, set[str]]:
    """Tables (their columns in order) and the names of the indexes made on purpose
    (not the ones SQLite makes for keys), without SQLite's own bookkeeping."""
    with sqlite3.connect(path) as db:
        names = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        tables = {
            name: [
                Column(column, kind, bool(not_null), bool(pk))
                for _, column, kind, not_null, _, pk in db.execute(f"PRAGMA table_info({name})")
            ]
            for name in names
        }
        indexes = {
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            )
        }
    return tables, indexes


async def postgres_catalogue(database: dict[str, Any]) -> dict[str, Any]:
    """Everything PostgreSQL's catalogue says of the public schema: tables and their
    columns (type, null, default, identity), constraints, indexes, sequences."""
    conn = await connect(database)
    try:
        columns = await conn.fetch(
            "SELECT table_name, column_name, data_type, is_nullable, column_default, "
            "is_identity, ordinal_position FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
        )
        constraints = await conn.fetch(
            "SELECT c.conrelid::regclass::text, c.conname, c.contype::text, "
            "pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public' "
            "ORDER BY 1, 2"
        )
        indexes = await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
            "ORDER BY indexname"
        )
        # Identity columns' sequences too (information_schema.sequences leaves them out).
        sequences = await conn.fetch(
            "SELECT c.relname, s.seqtypid::regtype::text FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_sequence s ON s.seqrelid = c.oid "
            "WHERE n.nspname = 'public' ORDER BY c.relname"
        )
    finally:
        await conn.close()
    return {
        "columns": [tuple(row) for row in columns],
        "constraints": [tuple(row) for row in constraints],
        "indexes": [tuple(row) for row in indexes],
        "sequences": [tuple(row) for row in sequences],
    }


def postgres_tables(catalogue: dict[str, Any]) -> tuple[Tables, set[str]]:
    """The catalogue as ``sqlite_tables`` says it: tables, and the indexes made on
    purpose (not those behind a key or a unique constraint)."""
    primary = {
        (table, column.strip())
        for table, _, kind, definition in catalogue["constraints"]
        if kind == "p"
        for column in definition.removeprefix("PRIMARY KEY (").removesuffix(")").split(",")
    }
    tables: Tables = {}
    for table, column, kind, nullable, _, _, _ in catalogue["columns"]:
        tables.setdefault(table, []).append(
            Column(column, kind, nullable == "NO", (table, column) in primary)
        )
    keys = {name for _, name, kind, _ in catalogue["constraints"] if kind in "pu"}
    indexes = {name for name, _ in catalogue["indexes"] if name not in keys}
    return tables, indexes
