"""One typed way to read an event's data: the kind's model, validated once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from mimamori.hub.model.events import (
    ClockData,
    GatewayClock,
    OfflineData,
    StoredEvent,
    StoredTagData,
    read_data,
)
from mimamori.hub.store.sql_store import SqlStore
from mimamori.protocol import EventDraft, EventKind, GatewayStatus, new_event_id
from mimamori.protocol.events import CheckinData, Event, TagData
from tests.hub.helpers import TAG_TSURU

AT = datetime(2031, 5, 12, 3, 0, tzinfo=UTC)


def seen(tag: str = TAG_TSURU) -> Event:
    data = {"tag": tag, "receiver": "vm", "rssi": -60}
    return EventDraft(EventKind.TAG_SEEN, AT, data).numbered(new_event_id(), 1)


def test_a_stored_events_data_is_read_as_its_kinds_model_once() -> None:
    event = StoredEvent(
        "e" * 32, "gw-a", 1, AT, "tag.seen", {"tag": TAG_TSURU, "receiver": "vm"}, AT
    )
    typed = event.typed
    assert isinstance(typed, TagData) and typed.tag == TAG_TSURU and typed.adverts == 1
    assert event.typed is typed and event.data_as(TagData) is typed  # not validated again
    assert event.tag == TAG_TSURU
    with pytest.raises(TypeError, match=r"tag\.seen carries StoredTagData, not CheckinData"):
        event.data_as(CheckinData)


def test_data_that_does_not_fit_its_kind_is_refused_not_guessed() -> None:
    with pytest.raises(ValidationError):
        read_data("device.battery_low", {})  # no device
    with pytest.raises(ValidationError):
        read_data("gateway.offline", {"reason": "tired"})
    with pytest.raises(ValueError, match=r"no event kind 'tag\.sneezed'"):
        read_data("tag.sneezed", {"tag": TAG_TSURU})
    odd = StoredEvent("e" * 32, "gw-a", 1, AT, "checkin.sos", {"device": "door"}, AT)
    with pytest.raises(ValidationError):
        odd.typed  # noqa: B018 (the read is the point)
    assert odd.tag is None  # not a tag event: its data is not read at all


def test_a_wire_event_copied_with_other_data_reads_the_new_data() -> None:
    event = seen()
    assert event.tag == TAG_TSURU
    other = event.model_copy(update={"data": {**event.data, "tag": f"{TAG_TSURU[:-1]}9"}})
    assert other.tag == f"{TAG_TSURU[:-1]}9" and event.tag == TAG_TSURU
    later = event.model_copy(update={"ts": AT + timedelta(seconds=1)})
    assert later.typed == event.typed and later == event.model_copy(update={"ts": later.ts})


def test_no_gateway_may_send_a_registry_name_for_a_tag() -> None:
    """``eid:NAME`` is what the hub stores once it resolved a rotating id; a gateway
    that sent it would pass itself off as that resolution."""
    with pytest.raises(ValidationError):
        seen("eid:tsuru")
    assert StoredTagData.model_validate({"tag": "eid:tsuru", "receiver": "vm"}).tag == "eid:tsuru"


async def test_ingest_hands_the_wires_validation_on_to_the_stored_events(store: SqlStore) -> None:
    event = seen()
    result = await store.ingest([("gw-a", event)], [], AT)
    [stored] = result.new_events
    assert stored.typed is event.typed


async def test_a_tag_the_hub_resolved_is_read_back_from_the_store(store: SqlStore) -> None:
    wire = seen("eddystone-eid:0011223344556677")
    data = {**wire.data, "tag": "eid:tsuru"}
    resolved = wire.resolved(EventKind.TAG_SEEN, data, StoredTagData.model_validate(data))
    assert resolved.tag == "eid:tsuru" and wire.tag == "eddystone-eid:0011223344556677"
    await store.ingest([("gw-a", resolved)], [], AT)
    _, _, [read] = await store.events_for_alerts(10)  # from the database, not the cache
    assert read.data_as(TagData).tag == "eid:tsuru" and read.tag == "eid:tsuru"


async def test_the_hubs_own_events_read_as_their_models(store: SqlStore) -> None:
    await store.ingest([], [GatewayStatus(gw="gw-a", state="online", ts=AT)], AT)
    [offline] = await store.mark_silent_gateways(AT + timedelta(minutes=10), missed=3)
    assert offline.data_as(OfflineData) == OfflineData(reason="silent", silent_s=600)
    [wrong] = await store.set_gateway_clocks({"gw-a": GatewayClock(-95_000, True)}, AT)
    assert wrong.data_as(ClockData).offset_s == -95
    _, _, events = await store.events_for_alerts(10)  # and so they read back
    assert [type(e.typed) for e in events] == [OfflineData, ClockData]
