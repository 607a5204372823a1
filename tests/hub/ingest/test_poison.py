"""No message is poison: what stopped the hub before (issue 12), against a real hub and
broker, each followed by a valid event that must still be stored, across a restart.

Each of the payloads below, published by one gateway account to its own topic, left
the hub answering 500 on everything and crashing again at every start, because the
message was never acknowledged (or the stored event crashed the alert engine).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.server.supervise import LoopHealth, supervised
from mimamori.hub.store.sql_store import SqlStore
from mimamori.protocol import EventKind, format_ts, new_event_id
from tests.hub.helpers import (
    T0,
    TAG_TSURU,
    RunningHub,
    database_for,
    missed,
    publishing_gateway,
    query,
    running_hub,
)
from tests.hub.helpers import engine as alert_engine
from tests.hub.helpers import event as _event


def alert_event(kind: EventKind, **data: Any) -> Any:
    return _event(kind, T0, **data)


GW = "gw-a"


def batch(**event: Any) -> bytes:
    doc = {
        "id": new_event_id(),
        "seq": 1,
        "ts": "2026-11-22T09:00:00.000Z",
        "kind": "tag.seen",
        "data": {"tag": TAG_TSURU, "receiver": "vm"},
    }
    return json.dumps({"v": 1, "gw": GW, "events": [doc | event]}).encode()


def status(**fields: Any) -> bytes:
    return json.dumps({"v": 1, "gw": GW, "state": "online", **fields}).encode()


def deep_status(depth: int) -> bytes:
    """A status whose counters nest ``depth`` objects deep (json.dumps cannot write it)."""
    counters = '{"a":' * depth + "1" + "}" * depth
    return b'{"v":1,"gw":"gw-a","state":"online","counters":' + counters.encode() + b"}"


FAR = "9999-12-31T23:59:59.000Z"
# name: (topic leaf, payload, retained, the reason it is refused for)
POISON: dict[str, tuple[str, bytes, bool, str]] = {
    "seq_beyond_63_bits": ("events", batch(seq=10**30), False, "event"),
    "a_hundred_thousand_brackets": ("events", b"[" * 100_000, False, "too_deep"),
    "interval_1e300": ("status", status(interval_s=1e300), False, "status"),
    "deep_status_retained": ("status", deep_status(5000), True, "too_deep"),
    "year_9999_in_a_search": ("events", batch(ts=FAR), False, "event"),
    "one_event_too_many": ("events", b'{"v":1,"gw":"gw-a","events":[' + b",".join(
        [json.dumps(json.loads(batch())["events"][0]).encode()] * 1001) + b"]}", False, "events"),
}  # fmt: skip


async def healthy(hub: RunningHub) -> dict[str, Any]:
    async with hub.client() as client:
        response = await client.get("/healthz")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    assert body["db"] == "ok" and body["broker"] == "connected", body
    return body


@pytest.mark.parametrize("poison", sorted(POISON))
async def test_a_poison_message_is_refused_kept_aside_and_the_next_one_stored(
    own_broker: PrivateBroker, tmp_path: Path, poison: str
) -> None:
    leaf, payload, retained, reason = POISON[poison]
    async with running_hub(own_broker, tmp_path) as hub, publishing_gateway(own_broker, GW) as gw:
        async with hub.client(await hub.token(role="admin")) as admin:
            started = await admin.post("/api/v1/searches", json={"person_id": "p-tsuru"})
            assert started.status_code == 201
            await gw.link.publish(f"mimamori/v1/gw/{GW}/{leaf}", payload, retain=retained)
            after = await gw.send(EventKind.TAG_SEEN, TAG_TSURU)
            await hub.until_stored(after)
            assert (await healthy(hub))["status"] == "ok"
            kept = (await admin.get("/api/v1/quarantine")).json()
        assert [(k["gateway"], k["reason"], k["failure"]) for k in kept] == [(GW, reason, False)]
        assert kept[0]["size"] == len(payload)
    # Again from the start: the retained status is handed over anew, and nothing of the
    # poison waits in the broker's queue for the hub (it was acknowledged).
    async with running_hub(own_broker, tmp_path) as hub, publishing_gateway(own_broker, GW) as gw:
        after = await gw.send(EventKind.TAG_SEEN, TAG_TSURU)
        await hub.until_stored(after)
        assert (await healthy(hub))["status"] == "ok"


async def test_a_row_the_database_refuses_is_set_aside_and_the_rest_of_its_batch_stored(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    # The database itself refuses one event (a trigger stands in for any fault of a
    # row: a value an engine cannot hold, a constraint). Its batch of three and the
    # next message are still stored; the refused event is kept aside as a failure.
    async with running_hub(own_broker, tmp_path) as hub, publishing_gateway(own_broker, GW) as gw:
        await refuse_receiver(tmp_path, "poison")
        events = [
            {"id": new_event_id(), "seq": n, "ts": "2026-11-22T09:00:00.000Z", "kind": "tag.seen",
             "data": {"tag": TAG_TSURU, "receiver": receiver}}
            for n, receiver in enumerate(["vm", "poison", "vm"], start=1)
        ]  # fmt: skip
        await gw.raw(json.dumps({"v": 1, "gw": GW, "events": events}).encode())
        after = await gw.send(EventKind.TAG_SEEN, TAG_TSURU)
        await hub.until_stored(after)
        stored = {row[0] for row in await query(tmp_path, "SELECT id FROM events")}
        assert {events[0]["id"], events[2]["id"], after} <= stored
        assert events[1]["id"] not in stored
        body = await healthy(hub)
        assert body["status"] == "degraded" and body["quarantine_last_hour"]["failed"] == 1
        assert body["ingest"]["handling_failed"] == 1
        [entry] = await hub.state.store.quarantined(10, failures_only=True)
        assert entry.item.reason == "store_event" and entry.item.gateway_id == GW
        assert json.loads(entry.item.payload or b"")["id"] == events[1]["id"]


async def refuse_receiver(tmp_path: Path, receiver: str) -> None:
    """A trigger in the test's database that refuses events heard by ``receiver``."""
    if "postgres" in database_for(tmp_path):
        await query(
            tmp_path,
            "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
            f'IF NEW.data LIKE \'%"receiver": "{receiver}"%\' THEN '
            "RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
        )
        await query(
            tmp_path,
            "CREATE TRIGGER refuse BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse()",
        )
        return
    await query(
        tmp_path,
        "CREATE TRIGGER refuse BEFORE INSERT ON events "
        f'WHEN NEW.data LIKE \'%"receiver": "{receiver}"%\' '
        "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
    )


async def test_a_far_future_time_cannot_pin_last_seen_nor_crash_the_alerts(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    # A sighting dated 2100 was "last seen" for ever; now it is placed at the hub's
    # receive time, the gateway's word kept beside it, and a later sighting wins.
    async with running_hub(own_broker, tmp_path) as hub, publishing_gateway(own_broker, GW) as gw:
        future = datetime(2100, 1, 1, tzinfo=UTC)
        before = datetime.now(UTC)
        first = await gw.send(EventKind.TAG_SEEN, TAG_TSURU, ts=future)
        await hub.until_stored(first)
        async with publishing_gateway(own_broker, "gw-b") as other:
            second = await other.send(EventKind.TAG_SEEN, TAG_TSURU)
            await hub.until_stored(second)
        last = await hub.state.store.last_sighting([TAG_TSURU])
        assert last is not None and last.event_id == second
        [(ts, device_ts)] = await query(
            tmp_path, f"SELECT ts, device_ts FROM events WHERE id = '{first}'"
        )
        assert before.timestamp() * 1000 - 1000 <= ts <= datetime.now(UTC).timestamp() * 1000
        assert device_ts == future.timestamp() * 1000
        assert hub.state.ingest is not None
        assert hub.state.ingest.counters["events_time_placed"] == 1


# -- the loops behind ingest: one row they cannot handle is set aside ------------------


async def refuse_in(tmp_path: Path, table: str, column: str, needle: str) -> None:
    """A trigger that refuses rows of ``table`` whose ``column`` holds ``needle``."""
    if "postgres" in database_for(tmp_path):
        await query(
            tmp_path,
            f"CREATE FUNCTION refuse_{table}() RETURNS trigger AS $$ BEGIN "
            f"IF NEW.{column}::text LIKE '%{needle}%' THEN "
            "RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
        )
        await query(
            tmp_path,
            f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} FOR EACH ROW "
            f"EXECUTE FUNCTION refuse_{table}()",
        )
        return
    await query(
        tmp_path,
        f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} "
        f"WHEN CAST(NEW.{column} AS TEXT) LIKE '%{needle}%' "
        "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
    )


async def test_an_event_the_alert_rules_cannot_apply_is_set_aside_and_the_rest_alert(
    tmp_path: Path, store: SqlStore
) -> None:
    alerts = await alert_engine(tmp_path, store)
    await refuse_in(tmp_path, "alerts", "detail", '"level": 5')
    sos = alert_event(EventKind.CHECKIN_SOS, device="door", card="sos", next_due=format_ts(T0))
    await store.ingest([("gw-home", e) for e in (missed(5, T0), sos)], [], T0)
    counts = await alerts.process_events()
    assert [a.kind for a in counts.opened] == ["sos"]
    assert alerts.failures == 1
    [entry] = await store.quarantined(10, failures_only=True)
    assert entry.item.source == "alerts" and "refused by the test" in entry.item.detail
    # The cursor moved past it: the next pass does not trip over it again.
    assert (await alerts.process_events()).opened == [] and alerts.failures == 1


async def test_an_escalation_step_that_fails_is_marked_done_and_the_others_go_out(
    tmp_path: Path, store: SqlStore
) -> None:
    alerts = await alert_engine(tmp_path, store)
    await store.ingest([("gw-home", missed(1, T0))], [], T0)
    [first] = (await alerts.process_events()).opened
    await store.ingest([("gw-home", alert_event(EventKind.DEVICE_SILENT, device="door"))], [], T0)
    [second] = (await alerts.process_events()).opened
    await refuse_in(tmp_path, "notifications", "alert_id", str(first.id))
    assert await alerts.escalate(T0) == 1  # the second alert's step
    assert alerts.failures == 1
    assert len(await store.notification_log(second.id)) == 2
    assert await store.notification_log(first.id) == []
    assert await alerts.escalate(T0) == 0  # the failed step is not tried in a loop
    [entry] = await store.quarantined(10, failures_only=True)
    assert entry.item.source == "escalation"


async def test_a_loop_that_fails_is_started_again_counted_and_shown() -> None:
    health = LoopHealth()
    runs = 0

    async def flaky() -> None:
        nonlocal runs
        runs += 1
        if runs < 3:
            raise RuntimeError(f"failure {runs}")

    async with asyncio.timeout(10):
        await supervised("flaky", flaky, health, first_retry_s=0.01)
    assert runs == 3 and health.restarts == {"flaky": 2}
    assert health.failing() == ["flaky"]
    assert health.failing(within_s=0) == []


async def test_a_search_of_nan_hours_is_refused_not_a_server_error(hub: RunningHub) -> None:
    # Python's JSON parser reads NaN and Infinity; a duration of NaN hours was a 500.
    async with hub.client(await hub.token(role="admin")) as admin:
        for hours in (b"NaN", b"Infinity"):
            body = b'{"person_id": "p-tsuru", "hours": ' + hours + b"}"
            response = await admin.post(
                "/api/v1/searches", content=body, headers={"Content-Type": "application/json"}
            )
            assert response.status_code == 422, response.text
