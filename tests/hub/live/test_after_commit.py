"""After a commit of new events, wherever they came from (a gateway's message, a peer's
relayed sightings): each live page hears of each new sighting once, whichever worker
stored it and whichever way it reached the page."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from mimamori.demo.mosquitto import PrivateBroker, free_port
from mimamori.hub.federation.signing import signed_headers
from mimamori.hub.live.after_commit import AfterCommit
from mimamori.hub.live.fanout import LiveHub
from mimamori.hub.live.follow import LiveFollower
from mimamori.hub.store.sql_store import SqlStore
from mimamori.protocol import EventDraft, EventKind, format_ts, new_event_id
from tests.hub.helpers import (
    SECRET,
    T0,
    TAG_TSURU,
    RunningHub,
    federated,
    hub_document,
    registry_of_doc,
    running_hub,
    until,
)
from tests.pg import PgDatabases

SIGHTINGS = "/api/v1/federation/sightings"


def worker(name: str, database: dict[str, Any], secret: Path) -> Callable[[dict[str, Any]], None]:
    """Ginowan's hub as worker ``name`` of several, on one PostgreSQL database; its peer
    Urasoe (played by the test, which signs as Urasoe) listens nowhere."""

    def edit(doc: dict[str, Any]) -> None:
        doc["hub"]["database"] = database
        doc["hub"]["worker_id"] = name
        doc["hub"]["federation"] = federated("ginowan", "urasoe", free_port(), secret)

    return edit


async def relay(hub: RunningHub, search_id: str, gateway: str) -> None:
    """One sighting of 比嘉 ツル by Urasoe's ``gateway``, sent back as Urasoe's hub does."""
    sighting = {
        "event_id": new_event_id(),
        "tag": TAG_TSURU,
        "kind": "tag.seen",
        "ts": format_ts(datetime.now(UTC)),
        "gateway": {"id": gateway, "name": gateway, "lat": 26.246, "lon": 127.722},
    }
    body = json.dumps({"search_id": search_id, "sightings": [sighting]}).encode()
    headers = signed_headers(
        SECRET,
        method="POST",
        path=SIGHTINGS,
        sender="urasoe",
        receiver="ginowan",
        body=body,
        now=datetime.now(UTC),
    )
    async with hub.client() as peer:
        answer = await peer.post(
            SIGHTINGS, content=body, headers={**headers, "Content-Type": "application/json"}
        )
    assert answer.status_code == 200 and answer.json()["stored"] == 1, answer.text


async def read_sightings(stream: httpx.Response, seen: list[str]) -> None:
    """The gateway of every sighting the live stream sends, in order."""
    event = ""
    async for line in stream.aiter_lines():
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and event == "sighting":
            seen.append(json.loads(line.split(":", 1)[1])["point"]["gateway_id"])


async def test_a_sighting_a_peer_relays_reaches_each_workers_live_pages_once(
    own_broker: PrivateBroker, pg_databases: PgDatabases, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # Several workers need PostgreSQL: this test runs on that engine alone.
    root = tmp_path_factory.mktemp("two-workers")
    database = pg_databases.fresh()
    secret = root / "ginowan-urasoe.secret"
    secret.write_text(SECRET + "\n")
    async with (
        running_hub(own_broker, root, worker("w1", database, secret)) as w1,
        running_hub(own_broker, root, worker("w2", database, secret)) as w2,
    ):
        token = await w1.token()  # the family's: one database, so good at both workers
        async with w1.client(token) as family:
            started = await family.post("/api/v1/searches", json={"person_id": "p-tsuru"})
            search = str(started.json()["id"])
        workers = {"w1": w1, "w2": w2}
        seen: dict[str, list[str]] = {name: [] for name in workers}
        readers: list[asyncio.Task[None]] = []
        async with contextlib.AsyncExitStack() as pages:
            for name, hub in workers.items():
                page = await pages.enter_async_context(hub.client(token))
                stream = await pages.enter_async_context(
                    page.stream("GET", "/api/v1/people/p-tsuru/live")
                )
                readers.append(asyncio.create_task(read_sightings(stream, seen[name])))

            async def watched() -> bool:
                return all(hub.state.live.viewers("p-tsuru") for hub in workers.values())

            await until(watched)
            # Urasoe's calls land on either worker. Each worker's page gets its own
            # worker's sightings at once and the other's through the follower; a
            # sighting from the other worker arriving means the follower has read past
            # every earlier one, this worker's own included.
            sent = ["gw-1", "gw-2", "gw-3", "gw-4"]
            for gateway, hub in zip(sent, [w1, w2, w1, w2], strict=True):
                await relay(hub, search, gateway)
            everything = {f"urasoe.{g}" for g in sent}

            async def all_arrived() -> bool:
                return all(set(got) == everything for got in seen.values())

            await until(all_arrived)
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*readers, return_exceptions=True)
    once = Counter(everything)
    assert Counter(seen["w1"]) == once, seen
    assert Counter(seen["w2"]) == once, seen


def sighting_event() -> Any:
    data = {"tag": TAG_TSURU, "receiver": "vm", "rssi": -60}
    return EventDraft(EventKind.TAG_SEEN, T0, data).numbered(new_event_id(), 1)


async def test_a_commit_the_follower_reads_before_its_worker_hands_it_on_reaches_a_page_once(
    tmp_path: Path, store: SqlStore
) -> None:
    """The follower reads the events table on its own schedule: it may read a commit of
    this worker's before the task that made it has handed it on."""
    live = LiveHub(registry_of_doc(hub_document(tmp_path, 1883, 8080)))
    follower = LiveFollower(store, live)
    cursor = await store.last_seqno()
    with live.subscribe("p-tsuru") as subscription:
        here = await store.ingest([("gw-a", sighting_event())], [], T0)
        await follower.step(cursor)  # its turn came between the commit ...
        AfterCommit(live)(here.new_events)  # ... and the committing task's own hand-on
        got = [subscription.queue.get_nowait() for _ in range(subscription.queue.qsize())]
    assert [item.point.gateway_id for item in got if item] == ["gw-a"]
