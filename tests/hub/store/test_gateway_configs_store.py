"""Gateways' configs in the hub's store, on both engines: versions number themselves
per gateway, a sent config is marked once, and the gateway's ``config.result`` event
moves its version to the gateway's word in the same commit that stores the event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mimamori.hub.store.sql_store import SqlStore
from mimamori.protocol import Event, EventKind
from mimamori.protocol.commands import yaml_sha256
from mimamori.protocol.events import new_event_id

T0 = datetime(2026, 12, 4, 6, 0, tzinfo=UTC)


def result(gw_seq: int, version: int, sha: str, outcome: str, **more: str) -> Event:
    data = {"version": version, "sha256": sha, "result": outcome,
            "config_hash": "abc123def456"} | more  # fmt: skip
    return Event(id=new_event_id(), seq=gw_seq, ts=T0, kind=EventKind.CONFIG_RESULT, data=data)


async def test_versions_count_per_gateway_and_the_newest_comes_first(store: SqlStore) -> None:
    a1 = await store.add_gateway_config("gw-a", "gateway: 1\n", yaml_sha256("gateway: 1\n"),
                                        "admin:1", T0)  # fmt: skip
    a2 = await store.add_gateway_config("gw-a", "gateway: 2\n", "b" * 64, "staff:2", T0)
    b1 = await store.add_gateway_config("gw-b", "gateway: 3\n", "c" * 64, "admin:1", T0)
    assert (a1.version, a2.version, b1.version) == (1, 2, 1)
    assert a1.state == "proposed"
    listed = await store.gateway_configs("gw-a", 10)
    assert [(v.version, v.yaml, v.created_by) for v in listed] == [
        (2, "gateway: 2\n", "staff:2"),
        (1, "gateway: 1\n", "admin:1"),
    ]
    assert listed[1].sha256 == a1.sha256 and listed[1].created_at == T0
    assert await store.gateway_configs("gw-a", 1) == listed[:1]
    assert await store.gateway_configs("gw-none", 10) == []


async def test_a_config_is_marked_sent_once(store: SqlStore) -> None:
    v = await store.add_gateway_config("gw-a", "x: 1\n", "a" * 64, "admin:1", T0)
    assert await store.mark_gateway_config_sent("gw-a", v.version, T0 + timedelta(seconds=1))
    assert not await store.mark_gateway_config_sent("gw-a", v.version, T0)
    [sent] = await store.gateway_configs("gw-a", 10)
    assert (sent.state, sent.sent_at) == ("sent", T0 + timedelta(seconds=1))


async def test_the_gateways_result_is_recorded_with_its_event(store: SqlStore) -> None:
    text = "gateway: {id: gw-a}\n"
    sha = yaml_sha256(text)
    v1 = await store.add_gateway_config("gw-a", text, sha, "admin:1", T0)
    v2 = await store.add_gateway_config("gw-a", text, sha, "admin:1", T0)
    received = T0 + timedelta(seconds=5)
    stored = await store.ingest(
        [
            ("gw-a", result(1, v1.version, sha, "rolled_back", reason="vm: down")),
            ("gw-a", result(2, v2.version, sha, "applied")),
            ("gw-a", result(3, 9, sha, "applied")),  # a version the hub never made
            ("gw-b", result(1, v1.version, sha, "refused")),  # another gateway's
        ],
        [],
        received,
    )
    assert len(stored.new_events) == 4  # kept as events, like every other
    second, first = await store.gateway_configs("gw-a", 10)
    assert (first.state, first.reason, first.config_hash, first.result_at) == (
        "rolled_back", "vm: down", "abc123def456", received,
    )  # fmt: skip
    assert (second.state, second.reason) == ("applied", "")
    # a result for other YAML (a forged or stale sha) changes nothing
    v3 = await store.add_gateway_config("gw-a", "y: 1\n", yaml_sha256("y: 1\n"), "a", T0)
    await store.ingest([("gw-a", result(4, v3.version, sha, "applied"))], [], received)
    [third, *_] = await store.gateway_configs("gw-a", 10)
    assert third.state == "proposed"
