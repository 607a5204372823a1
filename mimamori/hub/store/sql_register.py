"""The town's register (mixed into the store, on either engine): its entries, one
table per kind with the tables each entry owns, the register's version and its audit.

A change is one transaction: the register's version moves (its row lock on
PostgreSQL puts concurrent changes one after the other), each entry's row is read
with its version (and locked), a stale one refuses the whole change (StaleVersion),
then the rows are written and each leaves an audit row with the JSON before and
after. Contacts' channel URLs stay in their own column, read by ``contact_channels``
alone (delivery); nothing else here selects it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from mimamori.errors import StaleVersion, StoreError
from mimamori.hub.model.register import (
    Actor,
    Entity,
    PeopleQuery,
    PersonRow,
    Record,
    RegisterAuditEntry,
    RegisterSnapshot,
    RegisterWrite,
    StoredEntry,
    hiragana,
)
from mimamori.hub.store.sql import Db, marks
from mimamori.hub.store.sql_base import SqlBase
from mimamori.locking import serialized
from mimamori.protocol.timefmt import from_epoch_ms, to_epoch_ms


@dataclass(frozen=True)
class _Owned:
    """A table an entry owns: its rows go and come with the entry's."""

    table: str
    owner: str  # the column naming the entry
    columns: tuple[str, ...]


@dataclass(frozen=True)
class _Layout:
    table: str
    columns: tuple[str, ...]  # beside id, doc and version
    owned: tuple[_Owned, ...] = ()
    secret: str | None = None  # a column never read back but by its own method


LAYOUT: dict[Entity, _Layout] = {
    Entity.AREA: _Layout("areas", ("name",)),
    Entity.CONTACT: _Layout("contacts", ("name", "family_id"), secret="channels"),
    Entity.POLICY: _Layout("policies", ()),
    Entity.WATCH_POINT: _Layout("watch_points", ("area_id", "name", "site", "lat", "lon")),
    Entity.HOUSEHOLD: _Layout(
        "households",
        ("area_id", "name", "evacuation_support"),
        (_Owned("household_gateways", "household_id", ("gateway_id",)),),
    ),
    Entity.PERSON: _Layout(
        "people",
        ("area_id", "name", "reading", "household_id", "minsei_id", "review_on"),
        (
            _Owned("person_tags", "person_id", ("tag",)),
            _Owned(
                "consents",
                "person_id",
                ("purpose", "by_name", "relation", "given_on", "form_kept", "withdrawn_on"),
            ),
            _Owned("person_contacts", "person_id", ("seq", "contact_id")),
        ),
    ),
    Entity.FAMILY: _Layout(
        "families",
        ("name",),
        (
            _Owned("family_people", "family_id", ("person_id",)),
            _Owned("family_households", "family_id", ("household_id",)),
        ),
    ),
}

# Past the last character there is: a prefix's range ends here (byte order on both
# engines, migration 15).
_PAST_PREFIX = "\U0010ffff"
SNAPSHOT_TRIES = 5
# An entry's place in the order of registration: the register's version when it was
# added, and its place among that change's writes (an import writes a whole town's
# register in one change: thousands, far below this).
ADDED_PER_VERSION = 1_000_000


class SqlRegister(SqlBase):
    @serialized
    async def register_version(self) -> int:
        rows = await self._query("SELECT version FROM register_state WHERE id = 1", [])
        return int(rows[0][0])

    @serialized
    async def write_register(
        self, writes: Sequence[RegisterWrite], *, actor: Actor, at: datetime
    ) -> int:
        if not writes:
            return await self.register_version()
        async with self._transaction("changing the register") as db:
            version = await next_version(db)
            for n, write in enumerate(writes):
                await write_entry(db, write, actor, to_epoch_ms(at), version, position=n)
        return version

    # -- reading ---------------------------------------------------------------------------

    @serialized
    async def register_entries(
        self, entity: Entity, ids: Sequence[str] | None = None
    ) -> list[StoredEntry]:
        """The entries of one kind (only ``ids``, when given), by id."""
        table = LAYOUT[entity].table
        if ids is None:
            rows = await self._query(f"SELECT id, version, doc FROM {table} ORDER BY added, id", [])
        else:
            rows = await self._query(
                f"SELECT id, version, doc FROM {table} WHERE id IN "
                f"({self._dialect.json_values()}) ORDER BY added, id",
                [json.dumps(list(ids))],
            )
        return [StoredEntry(entity, eid, int(version), doc) for eid, version, doc in rows]

    @serialized
    async def register_changed(self, after: int, upto: int) -> list[tuple[Entity, str]]:
        """The entries changed after register version ``after`` up to ``upto``."""
        rows = await self._query(
            "SELECT DISTINCT entity, entity_id FROM register_audit "
            "WHERE register_version > ? AND register_version <= ?",
            [after, upto],
        )
        return [(Entity(entity), entity_id) for entity, entity_id in rows]

    async def register_snapshot(self) -> RegisterSnapshot:
        """Every entry, all at one version: read again when a change committed while
        the tables were read (the version is read before and after)."""
        for _ in range(SNAPSHOT_TRIES):
            version = await self.register_version()
            entries = {entity: await self.register_entries(entity) for entity in Entity}
            if await self.register_version() == version:
                return RegisterSnapshot(version, entries)
        raise StoreError(f"the register kept changing: {SNAPSHOT_TRIES} reads in a row")

    @serialized
    async def register_naming(self, entry_id: str, entities: Sequence[Entity]) -> list[StoredEntry]:
        """Entries of the given kinds whose JSON holds the string ``entry_id``: those
        that may name it (the caller reads each to be sure)."""
        quoted = json.dumps(entry_id).replace("\\", "\\\\").replace("%", "\\%")
        found = []
        for entity in entities:
            rows = await self._query(
                f"SELECT id, version, doc FROM {LAYOUT[entity].table} "
                "WHERE doc LIKE ? ESCAPE '\\' ORDER BY id",
                [f"%{quoted}%"],
            )
            found += [StoredEntry(entity, eid, int(v), doc) for eid, v, doc in rows]
        return found

    @serialized
    async def tag_holders(self, tags: Sequence[str]) -> dict[str, str]:
        """Who holds each of these tags (those nobody holds are left out)."""
        rows = await self._query(
            f"SELECT tag, person_id FROM person_tags WHERE tag IN ({self._dialect.json_values()})",
            [json.dumps(list(tags))],
        )
        return {tag: person for tag, person in rows}

    @serialized
    async def gateway_homes(self, gateways: Sequence[str]) -> dict[str, str]:
        """The household each of these gateways belongs to (the others left out)."""
        rows = await self._query(
            "SELECT gateway_id, household_id FROM household_gateways WHERE gateway_id IN "
            f"({self._dialect.json_values()})",
            [json.dumps(list(gateways))],
        )
        return {gateway: home for gateway, home in rows}

    @serialized
    async def contact_channels(self, contact_id: str) -> list[str] | None:
        """A contact's channel URLs: secrets, for delivery alone (None: no such
        contact)."""
        rows = await self._query("SELECT channels FROM contacts WHERE id = ?", [contact_id])
        return [str(url) for url in json.loads(rows[0][0])] if rows else None

    @serialized
    async def find_people(self, query: PeopleQuery) -> list[PersonRow]:
        rows = await self._query(*people_sql(query))
        return [
            PersonRow(
                pid,
                area,
                name,
                reading,
                home,
                None if review is None else date.fromisoformat(review),
                int(version),
            )
            for pid, area, name, reading, home, review, version in rows
        ]

    @serialized
    async def count_people(self, query: PeopleQuery) -> int:
        where, params = _people_where(query)
        rows = await self._query(f"SELECT count(*) FROM people WHERE {where}", params)
        return int(rows[0][0])

    @serialized
    async def register_audit_log(
        self,
        *,
        entity: Entity | None = None,
        entity_id: str | None = None,
        after_version: int = 0,
        limit: int = 100,
        before_id: int | None = None,
    ) -> list[RegisterAuditEntry]:
        """Changes to the register, newest first: of one entry, past a version, or
        older than the row ``before_id`` (paging)."""
        where: list[str] = ["register_version > ?"]
        params: list[object] = [after_version]
        if entity is not None:
            where.append("entity = ?")
            params.append(entity.value)
        if entity_id is not None:
            where.append("entity_id = ?")
            params.append(entity_id)
        if before_id is not None:  # the page after one that ended at ``before_id``
            where.append("id < ?")
            params.append(before_id)
        rows = await self._query(
            "SELECT id, at, who, role, via, action, entity, entity_id, before_doc, after_doc, "
            f"register_version FROM register_audit WHERE {' AND '.join(where)} "
            "ORDER BY id DESC LIMIT ?",
            [*params, limit],
        )
        return [
            RegisterAuditEntry(
                int(aid), from_epoch_ms(at), who, role, via, action, Entity(entity_name),
                eid, before, after, int(rv),
            )
            for aid, at, who, role, via, action, entity_name, eid, before, after, rv in rows
        ]  # fmt: skip


async def next_version(db: Db) -> int:
    """Inside a change's transaction: the register's version moves on (on PostgreSQL
    the row stays locked until the end, so changes commit one after another)."""
    rows = await db.fetch(
        "UPDATE register_state SET version = version + 1 WHERE id = 1 RETURNING version"
    )
    return int(rows[0][0])


async def write_entry(
    db: Db,
    write: RegisterWrite,
    actor: Actor,
    at_ms: int,
    version: int,
    *,
    keep: bool = True,
    position: int = 0,
) -> None:
    """One entry's write inside a change's transaction (``position``: its place among
    the change's writes), and its audit row (with the entry's JSON before and after,
    or, ``keep`` False, without: a forget's)."""
    layout = LAYOUT[write.entity]
    found = await db.fetch(
        f"SELECT version, doc FROM {layout.table} WHERE id = ?{db.dialect.for_update}",
        [write.id],
    )
    now = int(found[0][0]) if found else None
    if now != write.expected:
        raise StaleVersion(write.entity.value, write.id, write.expected, now)
    before = str(found[0][1]) if found and keep else None
    record = write.record
    for owned in layout.owned:
        await db.execute(f"DELETE FROM {owned.table} WHERE {owned.owner} = ?", [write.id])
    if record is None:
        await db.execute(f"DELETE FROM {layout.table} WHERE id = ?", [write.id])
    else:
        added = version * ADDED_PER_VERSION + position
        await _put(db, layout, write, record, added if now is None else None)
    await db.execute(
        "INSERT INTO register_audit (at, who, role, via, action, entity, entity_id, "
        "before_doc, after_doc, register_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            at_ms,
            actor.who,
            actor.role,
            actor.via,
            write.action,
            write.entity.value,
            write.id,
            before,
            record.doc if record is not None and keep else None,
            version,
        ],
    )


async def _put(
    db: Db, layout: _Layout, write: RegisterWrite, record: Record, added: int | None
) -> None:
    """Insert the entry (``added``: its place in the order of registration) or, with
    None, update it."""
    if set(record.columns) != set(layout.columns):
        raise StoreError(f"{write.entity}: columns {sorted(record.columns)} do not fit")
    names = list(layout.columns)
    values = [record.columns[c] for c in names]
    if added is not None:
        names += ["doc", "version", "added"]
        values += [record.doc, 1, added]
        if layout.secret is not None:
            names.append(layout.secret)
            values.append(record.secret or "[]")
        await db.execute(
            f"INSERT INTO {layout.table} (id, {', '.join(names)}) VALUES (?, {marks(values)})",
            [write.id, *values],
        )
    else:
        names.append("doc")
        values.append(record.doc)
        if layout.secret is not None and record.secret is not None:
            names.append(layout.secret)
            values.append(record.secret)
        sets = ", ".join(f"{name} = ?" for name in names)
        await db.execute(
            f"UPDATE {layout.table} SET {sets}, version = version + 1 WHERE id = ?",
            [*values, write.id],
        )
    for owned in layout.owned:
        rows = record.links.get(owned.table, ())
        if rows:
            columns = (owned.owner, *owned.columns)
            await db.executemany(
                f"INSERT INTO {owned.table} ({', '.join(columns)}) VALUES ({marks(columns)})",
                [(write.id, *row) for row in rows],
            )


async def forget_audit(db: Db, entries: Sequence[tuple[Entity, str]]) -> int:
    """The audit rows of these entries keep who changed them and when, not their data:
    how many rows lost some."""
    count = 0
    for entity, entry_id in entries:
        count += await db.execute(
            "UPDATE register_audit SET before_doc = NULL, after_doc = NULL WHERE entity = ? "
            "AND entity_id = ? AND (before_doc IS NOT NULL OR after_doc IS NOT NULL)",
            [entity.value, entry_id],
        )
    return count


def people_sql(query: PeopleQuery) -> tuple[str, list[object]]:
    """The statement that lists people (and its parameters): each filter a range or an
    equality on an indexed column (migration 15), sorted as the index is."""
    where, params = _people_where(query)
    sql = (
        "SELECT id, area_id, name, reading, household_id, review_on, version FROM people "
        f"WHERE {where} ORDER BY reading, id LIMIT ? OFFSET ?"
    )
    return sql, [*params, query.limit, query.offset]


def _people_where(query: PeopleQuery) -> tuple[str, list[object]]:
    where: list[str] = ["1 = 1"]
    params: list[object] = []
    if query.areas is not None:
        where.append(f"area_id IN ({marks(query.areas)})")
        params += query.areas
    if query.text:
        where.append("((name >= ? AND name < ?) OR (reading >= ? AND reading < ?))")
        reading = hiragana(query.text)
        params += [query.text, query.text + _PAST_PREFIX, reading, reading + _PAST_PREFIX]
    if query.household is not None:
        where.append("household_id = ?")
        params.append(query.household)
    if query.tag is not None:
        where.append("id IN (SELECT person_id FROM person_tags WHERE tag = ?)")
        params.append(query.tag)
    if query.review_by is not None:
        where.append("review_on <= ?")
        params.append(query.review_by.isoformat())
    return " AND ".join(where), params
