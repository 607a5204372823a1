"""``mimamori hub import``: a YAML register (``yaml_format.py``) into the database.

Every entry goes through the change functions' own steps (``changes.py``: validated
on the hub's clock, what it names checked, a record and an audit row each, ``via``
the import), all of them in one transaction: an import that is refused anywhere
writes nothing. An entry the database holds already, the same, is left alone (and
said so), so a second run changes nothing; one that differs is updated over the
version on record. Entries in the database that the file does not name stay: the
import adds and changes, it never removes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mimamori.errors import ChangeRefused, FieldProblem
from mimamori.hub.model.register import Actor, Entity, RegisterWrite
from mimamori.hub.register.changes import RegisterChanges
from mimamori.hub.register.checks import Known
from mimamori.hub.register.records import entry_of, record_of
from mimamori.hub.register.schema import AreaEntry, ContactEntry
from mimamori.hub.register.yaml_format import RegisterFile

# Where each kind is written in the file, to name the place of a refused entry.
YAML_KEYS: dict[Entity, str] = {
    Entity.AREA: "areas",
    Entity.CONTACT: "recipients",
    Entity.POLICY: "policies",
    Entity.WATCH_POINT: "gateways",
    Entity.HOUSEHOLD: "households",
    Entity.PERSON: "people",
    Entity.FAMILY: "families",
}


@dataclass
class ImportReport:
    default_area: AreaEntry  # where the entries that name no area went
    dry_run: bool
    added: list[tuple[Entity, str]] = field(default_factory=list)
    changed: list[tuple[Entity, str]] = field(default_factory=list)
    unchanged: list[tuple[Entity, str]] = field(default_factory=list)
    register_version: int | None = None  # None: nothing written


async def import_register(
    register: RegisterFile, changes: RegisterChanges, by: Actor, *, dry_run: bool = False
) -> ImportReport:
    """Import ``register``; ChangeRefused (every entry's problems, each field named by
    its place in the file: ``people.3.name``) and nothing written when any is wrong."""
    report = ImportReport(register.default_area(), dry_run)
    known = Known(changes.store)
    await known.preload()
    writes: list[RegisterWrite] = []
    problems: list[FieldProblem] = []
    for entity, items in register.entries().items():
        for i, data in enumerate(items):
            where = f"{YAML_KEYS[entity]}.{i}" if entity != Entity.AREA or register.areas else ""
            try:
                write = await _one(changes, known, entity, data)
            except ChangeRefused as exc:
                problems += [_placed(where, p) for p in exc.problems]
                continue
            key = (entity, str(data["id"]))
            if write is None:
                report.unchanged.append(key)
                continue
            (report.added if write.expected is None else report.changed).append(key)
            writes.append(write)
    if problems:
        raise ChangeRefused(problems)
    if writes and not dry_run:
        report.register_version = await changes.commit(writes, by)
    return report


async def _one(
    changes: RegisterChanges, known: Known, entity: Entity, data: dict[str, object]
) -> RegisterWrite | None:
    """The write that brings one entry to what the file says; None: it is so already."""
    entry = changes.entry(entity, data)
    current = await known.current(entity, str(data["id"]))
    if current is None:
        return await changes.plan(entity, entry, None, known, "add")
    shown = list(getattr(entry_of(current), "channels", []))
    same = record_of(entity, entry, shown).doc == current.doc
    if same and isinstance(entry, ContactEntry):
        same = await changes.store.contact_channels(entry.id) == entry.channel_urls()
    if same:
        return None
    return await changes.plan(entity, entry, current.version, known, "update")


def _placed(where: str, problem: FieldProblem) -> FieldProblem:
    if not where:
        return problem
    place = f"{where}.{problem.field}" if problem.field else where
    return FieldProblem(place, problem.ja, problem.en)
