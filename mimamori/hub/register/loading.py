"""The registry from the register in the database.

An entry that cannot be read back (a row written by hand, a model that grew stricter)
is left out of the registry and said in the log with its kind and id: one bad row
does not keep the hub from starting, nor everyone else from being watched over.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import ValidationError

from mimamori.hub.model.register import Entity, RegisterSnapshot, StoredEntry
from mimamori.hub.register.records import ENTRY_MODELS, entry_of, stored_doc
from mimamori.hub.register.registry import Registry
from mimamori.hub.register.schema import STORED
from mimamori.hub.register.yaml_format import RegisterFile
from mimamori.hub.store.port_register import RegisterStore

log = logging.getLogger(__name__)


# More changes than this since a worker's registry: it reads the whole register again
# (one read of every table) rather than the changed entries one kind at a time.
WHOLE_AFTER = 5_000


def _read(stored: StoredEntry) -> Any | None:
    """The entry's model; None (and said once in the log) when it cannot be read."""
    try:
        return entry_of(stored)
    except ValidationError as exc:
        log.error(
            "register: %s %s cannot be read, left out: %s",
            stored.entity.value,
            stored.id,
            "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()),
        )
        return None


def registry_of(snapshot: RegisterSnapshot) -> Registry:
    """The lookups of one snapshot of the register."""
    entries: dict[Entity, list[Any]] = {}
    for entity in Entity:
        read = (_read(stored) for stored in snapshot.entries.get(entity, ()))
        entries[entity] = [entry for entry in read if entry is not None]
    return Registry.build(
        areas=entries[Entity.AREA],
        gateways=entries[Entity.WATCH_POINT],
        recipients=entries[Entity.CONTACT],
        policies=entries[Entity.POLICY],
        households=entries[Entity.HOUSEHOLD],
        people=entries[Entity.PERSON],
        families=entries[Entity.FAMILY],
        version=snapshot.version,
    )


async def load_registry(store: RegisterStore) -> Registry:
    """The registry of the register as it stands in the database."""
    return registry_of(await store.register_snapshot())


async def load_changes(store: RegisterStore, registry: Registry) -> Registry | None:
    """The registry of the register now, from ``registry`` and the entries changed since
    its version (the audit names them): only those are read and parsed again. None:
    nothing changed. A change committed while this reads may show in part; the next
    reload, which sees the version moved past it, reads it whole."""
    upto = await store.register_version()
    if upto <= registry.version:
        return None
    changed = await store.register_changed(registry.version, upto)
    if len(changed) > WHOLE_AFTER:
        return registry_of(await store.register_snapshot())
    found: dict[Entity, dict[str, Any | None]] = {}
    for entity in Entity:
        ids = sorted({entry_id for kind, entry_id in changed if kind == entity})
        if ids:
            stored = {s.id: s for s in await store.register_entries(entity, ids)}
            found[entity] = {i: _read(stored[i]) if i in stored else None for i in ids}
    return patched(registry, found, upto)


T = TypeVar("T")


def patched(
    registry: Registry, found: Mapping[Entity, Mapping[str, Any | None]], version: int
) -> Registry:
    """``registry`` with the entries ``found`` (None: gone), as the register at
    ``version``; every other entry is the one it had, not read again."""

    def merged(current: Mapping[str, T], entity: Entity) -> list[T]:
        entries = dict(current)
        for entry_id, entry in found.get(entity, {}).items():
            if entry is None:
                entries.pop(entry_id, None)
            else:
                entries[entry_id] = entry
        return list(entries.values())

    return Registry.build(
        areas=merged(registry.areas, Entity.AREA),
        gateways=merged(registry.gateways, Entity.WATCH_POINT),
        recipients=merged(registry.recipients, Entity.CONTACT),
        policies=merged(registry.policies, Entity.POLICY),
        households=merged(registry.households, Entity.HOUSEHOLD),
        people=merged(registry.people, Entity.PERSON),
        families=merged(registry.families, Entity.FAMILY),
        version=version,
    )


def registry_of_file(register: RegisterFile) -> Registry:
    """A registry straight from a YAML register, each entry read back as the database
    would give it (``records.py``), but without one: for benchmarks and tests of pure
    rules. A hub reads its register from the database (``load_registry``)."""
    entries: dict[Entity, list[StoredEntry]] = {}
    for entity, items in register.entries().items():
        models = [ENTRY_MODELS[entity].model_validate(d, context={STORED: True}) for d in items]
        entries[entity] = [
            StoredEntry(entity, str(getattr(m, "id")), 1, stored_doc(entity, m))  # noqa: B009
            for m in models
        ]
    return registry_of(RegisterSnapshot(0, entries))
