"""What forgetting a person takes from the register: their entry (tags, consents,
contacts in order, care record), the homes they lived in alone with those homes'
own watch points, and their place in families (a family left watching nobody goes).

These writes run in the forget's own transaction (``PrivacyStore.forget_person``),
beside the deletion of their sightings and alerts; their audit rows say that the
entries were forgotten, by whom and when, but keep no data of them, and the audit
rows of earlier changes to those entries lose their data too. Contacts stay: they
are other people, who may be told about others (staff remove them if they no longer
serve).
"""

from __future__ import annotations

from mimamori.hub.model.privacy import PersonScope
from mimamori.hub.model.register import Entity, RegisterWrite
from mimamori.hub.register.records import record_of
from mimamori.hub.register.registry import Registry
from mimamori.hub.register.schema import FamilyEntry
from mimamori.hub.store.port_register import RegisterStore

FORGET = "forget"


async def forget_writes(
    store: RegisterStore, registry: Registry, scope: PersonScope
) -> list[RegisterWrite]:
    """The register's writes of forgetting ``scope``'s person, in the order they must
    run (what names an entry goes before the entry), each over its version now."""
    homes = set(scope.households)
    gone_points = {
        g
        for h in scope.households
        for g in registry.households[h].gateways
        if g in registry.gateways and registry.gateways[g].site == "home"
    }
    wanted: list[tuple[Entity, str]] = [
        *((Entity.FAMILY, f.id) for f in registry.families.values()),
        (Entity.PERSON, scope.person_id),
        *((Entity.HOUSEHOLD, h) for h in sorted(homes)),
        *((Entity.WATCH_POINT, g) for g in sorted(gone_points)),
    ]
    versions: dict[tuple[Entity, str], int] = {}
    for entity in {e for e, _ in wanted}:
        ids = [i for e, i in wanted if e == entity]
        for stored in await store.register_entries(entity, ids):
            versions[(entity, stored.id)] = stored.version
    writes: list[RegisterWrite] = []
    for family in registry.families.values():
        people = [p for p in family.people if p != scope.person_id]
        households = [h for h in family.households if h not in homes]
        if (people, households) == (family.people, family.households):
            continue
        version = versions.get((Entity.FAMILY, family.id))
        if version is None:
            continue  # gone meanwhile
        if people or households:
            kept = FamilyEntry(id=family.id, name=family.name, people=people, households=households)
            record = record_of(Entity.FAMILY, kept)
            writes.append(RegisterWrite(Entity.FAMILY, family.id, FORGET, version, record))
        else:
            writes.append(RegisterWrite(Entity.FAMILY, family.id, FORGET, version, None))
    for entity, entry_id in wanted:
        if entity == Entity.FAMILY or (entity, entry_id) not in versions:
            continue
        version = versions[(entity, entry_id)]
        writes.append(RegisterWrite(entity, entry_id, FORGET, version, None))
    return writes
