"""The registry follows the register: a change is in the registry of the worker that
made it at once, and in every other worker's within about a second (they poll the
register's version); the parts holding the registry see it without being rebuilt."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.alerts.engine import AlertEngine
from mimamori.hub.model.register import Actor, Entity
from mimamori.hub.privacy.admission import Admission
from mimamori.hub.register.changes import RegisterChanges
from mimamori.hub.register.loading import load_registry
from mimamori.hub.register.registry import Registry
from mimamori.hub.register.reload import RegistryReloader
from mimamori.hub.register.schema import PersonEntry, Policy
from mimamori.hub.store.sql_store import SqlStore
from mimamori.protocol import EventDraft, EventKind, new_event_id
from tests.hub.helpers import (
    HubClock,
    RunningHub,
    hub_document,
    import_register_of,
    open_test_store,
    publishing_gateway,
    service_of,
    until,
)

DESK = Actor("k-tamaki", "staff", "desk")
TAG_USHI = "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:1:3"
USHI = {
    "id": "p-ushi", "area": "default", "name": "安里 ウシ", "tags": [TAG_USHI],
    "consents": [{"purpose": "location", "by": "本人", "at": "2026-10-01"}],
}  # fmt: skip


async def test_a_person_registered_at_the_desk_is_tracked_at_once_by_the_running_hub(
    hub: RunningHub, own_broker: PrivateBroker
) -> None:
    registry = hub.state.registry
    assert "p-ushi" not in registry.people
    await hub.state.register.add_person(USHI, DESK)
    # No wait: the change's own worker has reloaded before the call returned.
    assert registry.people["p-ushi"].name == "安里 ウシ"
    assert registry.person_of_tag[TAG_USHI] == "p-ushi"
    async with hub.client(await hub.token(role="admin")) as admin:
        people = (await admin.get("/api/v1/people")).json()
    assert "p-ushi" in [p["id"] for p in people]
    # Ingest's admission holds the same registry: her sightings are kept from now on.
    async with publishing_gateway(own_broker, "gw-a") as gw:
        await hub.until_stored(await gw.send(EventKind.TAG_ARRIVED, TAG_USHI, rssi=-60))


@pytest.fixture
async def two(tmp_path: Path) -> AsyncIterator[tuple[SqlStore, SqlStore]]:
    """Two workers' stores: one database, each its own connections."""
    first = await open_test_store(tmp_path)
    second = await open_test_store(tmp_path)
    yield first, second
    await first.close()
    await second.close()


async def test_another_worker_sees_a_change_within_a_second_and_its_parts_follow(
    tmp_path: Path, two: tuple[SqlStore, SqlStore]
) -> None:
    here, there = two
    doc = hub_document(tmp_path, 1883, 8080)
    await import_register_of(here, doc)
    registry = await load_registry(there)  # the other worker, as it started
    reloader = RegistryReloader(registry, there)
    admission = Admission(registry, require_consent=True)
    alerts = AlertEngine(service_of(doc), registry, there, clock=HubClock())
    assert alerts.plans["hh-1"][0].recipients == ("r-miyagi",)
    following = asyncio.create_task(reloader.run())
    try:
        desk = RegisterChanges(here, HubClock())
        started = time.perf_counter()
        await desk.add_person(USHI, DESK)
        policy, version = await desk.read(Entity.POLICY, "default", Policy)
        steps = [
            {"after_min": 0, "notify": ["r-miyagi"]},
            {"after_min": 60, "notify": ["r-miyagi"]},
        ]
        await desk.update_policy({**policy.model_dump(), "steps": steps}, version, DESK)

        async def seen() -> bool:
            return len(registry.policies["default"].steps) == 2

        await until(seen, within=3.0)  # polled every 0.5 s: about a second on a busy machine
        took = time.perf_counter() - started
        assert "p-ushi" in registry.people and registry.version == await there.register_version()
        sighting = EventDraft(
            EventKind.TAG_SEEN, HubClock()(), {"tag": TAG_USHI, "receiver": "vm"}
        ).numbered(new_event_id(), 1)
        assert admission.refuse(sighting) is None  # tracked: the consent is on record
        assert len(alerts.plans["hh-1"]) == 2
        assert reloader.reloads >= 1
    finally:
        following.cancel()
        await asyncio.gather(following, return_exceptions=True)
    print(f"seen by the other worker after {took * 1000:.0f} ms")


async def test_a_consent_withdrawn_at_the_desk_stops_tracking_at_once(
    tmp_path: Path, store: SqlStore
) -> None:
    doc = hub_document(tmp_path, 1883, 8080)
    await import_register_of(store, doc)
    registry = await load_registry(store)
    reloader = RegistryReloader(registry, store)
    admission = Admission(registry, require_consent=True)
    desk = RegisterChanges(store, HubClock(), changed=reloader.changed)
    sighting = EventDraft(
        EventKind.TAG_SEEN, HubClock()(), {"tag": doc["people"][0]["tags"][0], "receiver": "vm"}
    ).numbered(new_event_id(), 1)
    assert admission.refuse(sighting) is None
    [stored] = await store.register_entries(Entity.PERSON, ["p-tsuru"])
    withdrawn = HubClock()().date()
    await desk.withdraw_consent("p-tsuru", "location", withdrawn, stored.version, DESK)
    assert admission.refuse(sighting) == "no_consent"


def lookups(registry: Registry) -> dict[str, Any]:
    """Everything a registry answers, as plain data."""
    return {
        "people": {k: v.model_dump() for k, v in registry.people.items()},
        "households": {k: v.model_dump() for k, v in registry.households.items()},
        "families": {k: v.model_dump() for k, v in registry.families.items()},
        "gateways": {k: v.model_dump() for k, v in registry.gateways.items()},
        "recipients": {k: v.model_dump() for k, v in registry.recipients.items()},
        "policies": {k: v.model_dump() for k, v in registry.policies.items()},
        "areas": {k: v.model_dump() for k, v in registry.areas.items()},
        "derived": (registry.person_of_tag, registry.household_of_gateway,
                    registry.household_of_person, registry.eid_tags, registry.version),
    }  # fmt: skip


async def test_a_reload_of_what_changed_gives_the_registry_a_whole_read_gives(
    tmp_path: Path, store: SqlStore
) -> None:
    """Each worker reads only the entries that changed since its registry's version:
    after adds, updates, moves between homes and removals of every kind, what it
    answers is what reading the whole register answers."""
    await import_register_of(store, hub_document(tmp_path, 1883, 8080))
    registry = await load_registry(store)
    reloader = RegistryReloader(registry, store)
    desk = RegisterChanges(store, HubClock())  # another worker's desk: no reload here

    async def version(entity: Entity, entry_id: str) -> int:
        [stored] = await store.register_entries(entity, [entry_id])
        return stored.version

    await desk.add_household(
        {"id": "hh-2", "area": "default", "name": "比嘉さん宅", "gateways": ["gw-home-2"]}, DESK
    )
    await desk.add_person({**USHI, "household": "hh-2"}, DESK)
    tsuru, v = await desk.read(Entity.PERSON, "p-tsuru", PersonEntry)
    await desk.update_person({**tsuru.model_dump(), "household": "hh-2", "tags": []}, v, DESK)
    kama, v = await desk.read(Entity.PERSON, "p-kama", PersonEntry)
    await desk.update_person({**kama.model_dump(), "household": None}, v, DESK)
    await desk.remove_family("f-higa", await version(Entity.FAMILY, "f-higa"), DESK)
    await desk.add_family({"id": "f-asato", "name": "安里家", "households": ["hh-2"]}, DESK)
    await desk.update_contact({"id": "r-miyagi", "name": "宮城 花子", "channels": ["mailto://x@y.jp"]},
                              await version(Entity.CONTACT, "r-miyagi"), DESK)  # fmt: skip
    await desk.remove_watch_point("gw-b", await version(Entity.WATCH_POINT, "gw-b"), DESK)
    assert await reloader.reload()
    whole = await load_registry(store)
    assert lookups(registry) == lookups(whole)
    assert registry.households["hh-2"].people == ["p-tsuru", "p-ushi"]
    assert registry.households["hh-1"].people == []
    assert not await reloader.reload()  # nothing new
