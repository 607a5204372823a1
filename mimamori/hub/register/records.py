"""Register entries to the store's records and back.

An entry is kept as its JSON (``Record.doc``: the whole entry, so reading it back is
one parse) with copies of the fields lists search and join on, and its rows in the
tables it owns; ``store/sql_register.py`` says where each goes. A contact's JSON holds
its channels masked: the URLs themselves are the record's ``secret``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel

from mimamori.hub.model.register import Entity, Record, StoredEntry, hiragana
from mimamori.hub.register.schema import (
    STORED,
    AreaEntry,
    ContactEntry,
    FamilyEntry,
    GatewayEntry,
    HouseholdEntry,
    PersonEntry,
    Policy,
    Recipient,
    masked,
)

# What a change gives, by kind ...
ENTRY_MODELS: dict[Entity, type[BaseModel]] = {
    Entity.AREA: AreaEntry,
    Entity.CONTACT: ContactEntry,
    Entity.POLICY: Policy,
    Entity.WATCH_POINT: GatewayEntry,
    Entity.HOUSEHOLD: HouseholdEntry,
    Entity.PERSON: PersonEntry,
    Entity.FAMILY: FamilyEntry,
}
# ... and what is kept and read back (a contact without its secrets).
STORED_MODELS: dict[Entity, type[BaseModel]] = {**ENTRY_MODELS, Entity.CONTACT: Recipient}


def canonical(doc: Any) -> str:
    """The one JSON text of a document: equal entries, equal texts."""
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def stored_doc(entity: Entity, entry: BaseModel, shown: list[str] | None = None) -> str:
    """The JSON kept for ``entry``. A contact whose channels are left out (None: keep
    those on record) shows ``shown``, the masked channels on record."""
    doc = entry.model_dump(mode="json")
    if entity == Entity.CONTACT:
        assert isinstance(entry, ContactEntry)
        urls = entry.channel_urls()
        doc["channels"] = [masked(u) for u in urls] if urls is not None else list(shown or [])
    return canonical(doc)


def record_of(entity: Entity, entry: BaseModel, shown: list[str] | None = None) -> Record:
    """The record the store writes for ``entry`` (``shown``: see ``stored_doc``)."""
    return _RECORDS[entity](entry, stored_doc(entity, entry, shown))


def _area(entry: Any, doc: str) -> Record:
    return Record(doc, {"name": entry.name})


def _contact(entry: Any, doc: str) -> Record:
    urls = entry.channel_urls()
    secret = None if urls is None else json.dumps(urls)
    return Record(doc, {"name": entry.name, "family_id": entry.family}, secret=secret)


def _policy(entry: Any, doc: str) -> Record:
    return Record(doc, {})


def _watch_point(entry: Any, doc: str) -> Record:
    columns = {"area_id": entry.area, "name": entry.name, "site": entry.site}
    return Record(doc, {**columns, "lat": entry.lat, "lon": entry.lon})


def _household(entry: Any, doc: str) -> Record:
    columns = {
        "area_id": entry.area,
        "name": entry.name,
        "evacuation_support": int(entry.evacuation_support),
    }
    return Record(doc, columns, {"household_gateways": [(g,) for g in entry.gateways]})


def _family(entry: Any, doc: str) -> Record:
    links = {
        "family_people": [(p,) for p in entry.people],
        "family_households": [(h,) for h in entry.households],
    }
    return Record(doc, {"name": entry.name}, links)


def _person(entry: Any, doc: str) -> Record:
    columns = {
        "area_id": entry.area,
        "name": entry.name,
        "reading": hiragana(entry.reading or ""),
        "household_id": entry.household,
        "minsei_id": entry.minsei,
        "review_on": None if entry.review_on is None else entry.review_on.isoformat(),
    }
    consents = [
        (
            c.purpose,
            c.by,
            c.relation,
            c.at.isoformat(),
            c.record,
            None if c.withdrawn_at is None else c.withdrawn_at.isoformat(),
        )
        for c in entry.consents
    ]
    links: dict[str, Sequence[tuple[object, ...]]] = {
        "person_tags": [(t,) for t in entry.tags],
        "consents": consents,
        "person_contacts": list(enumerate(entry.contacts)),
    }
    return Record(doc, columns, links)


_RECORDS: dict[Entity, Callable[[Any, str], Record]] = {
    Entity.AREA: _area,
    Entity.CONTACT: _contact,
    Entity.POLICY: _policy,
    Entity.WATCH_POINT: _watch_point,
    Entity.HOUSEHOLD: _household,
    Entity.PERSON: _person,
    Entity.FAMILY: _family,
}


def entry_of(stored: StoredEntry) -> Any:
    """The model of a stored entry (a contact as a ``Recipient``: no secrets)."""
    model = STORED_MODELS[stored.entity]
    return model.model_validate_json(stored.doc, context={STORED: True})
