"""The registry from the register in the database.

An entry that cannot be read back (a row written by hand, a model that grew stricter)
is left out of the registry and said in the log with its kind and id: one bad row
does not keep the hub from starting, nor everyone else from being watched over.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError

from mimamori.hub.model.register import Entity, RegisterSnapshot, StoredEntry
from mimamori.hub.register.records import ENTRY_MODELS, entry_of, stored_doc
from mimamori.hub.register.registry import Registry
from mimamori.hub.register.schema import STORED
from mimamori.hub.register.yaml_format import RegisterFile
from mimamori.hub.store.port_register import RegisterStore

log = logging.getLogger(__name__)


def registry_of(snapshot: RegisterSnapshot) -> Registry:
    """The lookups of one snapshot of the register."""
    entries: dict[Entity, list[Any]] = {}
    for entity in Entity:
        read: list[Any] = []
        for stored in snapshot.entries.get(entity, ()):
            try:
                read.append(entry_of(stored))
            except ValidationError as exc:
                log.error(
                    "register: %s %s cannot be read, left out: %s",
                    entity.value,
                    stored.id,
                    "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()),
                )
        entries[entity] = read
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
