"""The register's audit as the desk shows it (issue 14: "every change is audited: who,
when, what, before and after; personal fields masked in the log view for roles that
may not read them").

Staff and admins read the log. Who may read an entry's personal fields is who may
see the entry (``access/policy.py``): admins everyone's, staff their areas' (for a
contact, the areas of the people who name it; for a family, of its people and
homes). A change to an entry the reader may not see is still listed (who changed
what, when: staff work for the town), but only the fields on ``SHOWN_ALWAYS`` keep
their values; every other field says only that it changed. The list is an allowlist
on purpose: a field added to an entry later is masked until someone decides it is
not personal. Forgotten entries' rows have no data left to show (``forgetting.py``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mimamori.hub.access.policy import Principal
from mimamori.hub.desk import service
from mimamori.hub.model.register import Entity, RegisterAuditEntry
from mimamori.hub.register.registry import Registry

# Fields that say nothing about a person: which area, kind of site, policy, language,
# the steps of a policy. Not a home's coordinates (where someone lives), not the
# evacuation-support flag (who needs help), not names, dates, phones or notes.
SHOWN_ALWAYS = frozenset(
    {"id", "area", "site", "policy", "timezone", "lang", "steps", "repeat_min"}
    | {"night_steps", "routes", "office_hours", "handling_timeout_min"}
)
MASK = "＊＊＊"
LONGEST = 300  # characters of one value shown; the entry's page has the rest


@dataclass(frozen=True)
class FieldChange:
    name: str
    before: str  # "" : not set
    after: str


@dataclass(frozen=True)
class ShownChange:
    """One row of the log as a reader sees it."""

    entry: RegisterAuditEntry
    fields: tuple[FieldChange, ...]
    masked: bool  # personal values hidden from this reader
    forgotten: bool  # the entry was forgotten: no data kept


def _doc(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    found = json.loads(text)
    return found if isinstance(found, dict) else {}


def _text(value: Any) -> str:
    if value is None or value in ([], ""):
        return ""
    shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= LONGEST else shown[: LONGEST - 1] + "…"


def _areas(
    registry: Registry, entry: RegisterAuditEntry, docs: Sequence[dict[str, Any]]
) -> list[str]:
    """The areas the entry lay in before and after the change."""
    if entry.entity in (Entity.POLICY, Entity.AREA):
        return []  # the town's, nobody's personal data
    if entry.entity in (Entity.PERSON, Entity.HOUSEHOLD, Entity.WATCH_POINT):
        return sorted({str(d["area"]) for d in docs if "area" in d})
    current = service.registered(registry, entry.entity, entry.entity_id)
    if current is not None:
        return service.areas_of(registry, entry.entity, current)
    return ["(gone)"]  # removed since: only admins (every area) read it


def readable(registry: Registry, who: Principal, entry: RegisterAuditEntry) -> bool:
    """Whether ``who`` may read the personal fields of this change."""
    if who.everywhere:
        return True
    docs = [_doc(entry.before), _doc(entry.after)]
    return all(who.in_area(a) for a in _areas(registry, entry, docs))


def shown(registry: Registry, who: Principal, entry: RegisterAuditEntry) -> ShownChange:
    """The change as ``who`` may read it: each field that changed, before and after,
    personal values masked unless the reader may see the entry."""
    before, after = _doc(entry.before), _doc(entry.after)
    forgotten = entry.before is None and entry.after is None
    may_read = readable(registry, who, entry)
    fields = []
    for name in sorted({*before, *after}):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if may_read or name in SHOWN_ALWAYS:
            fields.append(FieldChange(name, _text(old), _text(new)))
        else:
            fields.append(
                FieldChange(name, MASK if old is not None else "", MASK if new is not None else "")
            )
    return ShownChange(entry, tuple(fields), not may_read, forgotten)
