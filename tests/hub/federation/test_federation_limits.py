"""What a peer hub may ask of ours, and how it must ask: two real hubs (Ginowan and
Urasoe, each with its own broker). Requests are signed with the pair's secret, their
time and nonce checked; a peer's order gets this town's limits; sightings go only into
a running search; every field on the wire is bounded (422, never a 500)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from mimamori.demo.mosquitto import PrivateBroker, free_port
from mimamori.hub.federation.signing import signed_headers
from mimamori.hub.store.sql_store import SqlStore
from mimamori.protocol import EventKind, new_event_id
from mimamori.protocol.timefmt import format_ts, from_epoch_ms
from tests.hub.helpers import (
    SECRET,
    TAG_TSURU,
    RunningHub,
    federated,
    publishing_gateway,
    query,
    retained_orders,
    running_hub,
    two_towns,
    until,
)

STRANGER = "ibeacon:00000000-0000-0000-0000-000000000009:9:9"  # nobody's in Ginowan
RELAYED_BACK = "SELECT id FROM events WHERE gateway_id LIKE 'urasoe.%'"


@pytest.fixture
def urasoe_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateBroker]:
    with PrivateBroker(tmp_path_factory.mktemp("urasoe-broker")) as running_broker:
        yield running_broker


async def as_urasoe(
    town: RunningHub,
    what: str,
    body: bytes | dict[str, Any],
    *,
    secret: str = SECRET,
    receiver: str = "ginowan",
    now: datetime | None = None,
) -> httpx.Response:
    """A request signed as Urasoe's hub signs it (or as a peer that misbehaves)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    path = f"/api/v1/federation/{what}"
    headers = signed_headers(
        secret,
        method="POST",
        path=path,
        sender="urasoe",
        receiver=receiver,
        body=raw,
        now=now or datetime.now(UTC),
    )
    async with httpx.AsyncClient(base_url=town.url, timeout=10) as client:
        return await client.post(
            path, content=raw, headers={**headers, "Content-Type": "application/json"}
        )


def sighting(tag: str = TAG_TSURU, ts: Any = None, **gateway: Any) -> dict[str, Any]:
    return {
        "event_id": new_event_id(),
        "tag": tag,
        "kind": "tag.seen",
        "ts": ts or format_ts(datetime.now(UTC)),
        "gateway": {"id": "gw-u1", "name": "浦添 公園前", "lat": 26.246, "lon": 127.722, **gateway},
    }


async def start_search(town: RunningHub) -> str:
    async with town.client(await town.token()) as family:
        started = await family.post("/api/v1/searches", json={"person_id": "p-tsuru"})
        return str(started.json()["id"])


@dataclass
class Recorder:
    """A loopback TCP relay between Urasoe's hub and Ginowan's that keeps what Urasoe
    sent: the requests as they crossed the wire, to be played again."""

    target: int = 0
    sent: bytearray = field(default_factory=bytearray)

    async def _pipe(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter, keep: bool) -> None:
        try:
            while data := await src.read(65536):
                if keep:
                    self.sent += data
                dst.write(data)
                await dst.drain()
        finally:
            dst.close()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        await asyncio.gather(
            self._pipe(reader, up_writer, True),
            self._pipe(up_reader, writer, False),
            return_exceptions=True,
        )

    def requests(self) -> list[tuple[str, dict[str, str], bytes]]:
        """(path, headers, body) of each request recorded."""
        found, rest = [], bytes(self.sent)
        while b"\r\n\r\n" in rest:
            head, rest = rest.split(b"\r\n\r\n", 1)
            start, *lines = head.decode().split("\r\n")
            headers = dict(line.split(": ", 1) for line in lines)
            size = int(headers.get("content-length", headers.get("Content-Length", "0")))
            body, rest = rest[:size], rest[size:]
            found.append((start.split(" ")[1], headers, body))
        return found


@asynccontextmanager
async def recording() -> AsyncIterator[tuple[Recorder, int]]:
    recorder = Recorder()
    server = await asyncio.start_server(recorder._connection, "127.0.0.1", 0)
    try:
        yield recorder, server.sockets[0].getsockname()[1]
    finally:
        server.close()


def through(recorder: Recorder, port: int) -> Callable[[dict[str, Any]], None]:
    """Urasoe's config edit: its calls to Ginowan go through the recorder."""

    def edit(doc: dict[str, Any]) -> None:
        peer = doc["hub"]["federation"]["peers"][0]
        recorder.target = urlsplit(peer["url"]).port or 0
        peer["url"] = f"http://127.0.0.1:{port}"

    return edit


async def test_a_request_urasoe_sent_is_refused_when_played_again_even_after_a_restart(
    own_broker: PrivateBroker, urasoe_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with (
        recording() as (recorder, port),
        two_towns(own_broker, urasoe_broker, tmp_path, urasoe_edit=through(recorder, port)) as (
            ginowan,
            _,
        ),
        retained_orders(urasoe_broker) as urasoe_orders,
        publishing_gateway(urasoe_broker, "gw-u1") as gw,
    ):
        search = await start_search(ginowan)
        relayed = f"ginowan.{search}"

        async def told() -> bytes | None:
            return urasoe_orders.get(relayed)

        await until(told)
        await gw.send(EventKind.TAG_SEEN, TAG_TSURU, search=relayed)
        [stored] = await until(lambda: query(tmp_path / "a", RELAYED_BACK), within=15)
        [(path, headers, body)] = [r for r in recorder.requests() if r[0].endswith("/sightings")]
        assert "Authorization" not in headers  # the secret itself never travels
        replay = {k: v for k, v in headers.items() if k.lower().startswith("x-mimamori")}
        async with httpx.AsyncClient(base_url=ginowan.url, timeout=10) as attacker:
            again = await attacker.post(path, content=body, headers=replay)
            assert again.status_code == 401 and "replay" in again.json()["detail"]
            changed = body.replace(b'"tag.seen"', b'"tag.left"')
            forged = await attacker.post(path, content=changed, headers=replay)
            assert forged.status_code == 401 and "signature" in forged.json()["detail"]
    secret = tmp_path / "ginowan-urasoe.secret"

    def federation(doc: dict[str, Any]) -> None:
        doc["hub"]["federation"] = federated("ginowan", "urasoe", free_port(), secret)

    async with (
        running_hub(own_broker, tmp_path / "a", federation) as restarted,
        httpx.AsyncClient(base_url=restarted.url, timeout=10) as attacker,
    ):
        again = await attacker.post(path, content=body, headers=replay)
        assert again.status_code == 401 and "replay" in again.json()["detail"]
    assert await query(tmp_path / "a", RELAYED_BACK) == [stored]


async def test_stale_future_wrongly_signed_and_bearer_requests_are_refused(
    own_broker: PrivateBroker, urasoe_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with two_towns(own_broker, urasoe_broker, tmp_path) as (ginowan, _):
        search = await start_search(ginowan)
        body = {"search_id": search, "sightings": [sighting()]}
        now = datetime.now(UTC)
        refused = {
            "stale": await as_urasoe(ginowan, "sightings", body, now=now - timedelta(minutes=6)),
            "future": await as_urasoe(ginowan, "sightings", body, now=now + timedelta(minutes=6)),
            "secret": await as_urasoe(ginowan, "sightings", body, secret="a guess"),
            "receiver": await as_urasoe(ginowan, "sightings", body, receiver="nishihara"),
        }
        async with httpx.AsyncClient(base_url=ginowan.url, timeout=10) as old_style:
            refused["bearer"] = await old_style.post(
                "/api/v1/federation/sightings",
                json=body,
                headers={"Authorization": f"Bearer {SECRET}", "X-Mimamori-Town": "urasoe"},
            )
        assert {why: r.status_code for why, r in refused.items()} == dict.fromkeys(refused, 401)
        assert "clock" in refused["stale"].json()["detail"]
        assert "signature" in refused["secret"].json()["detail"]
        assert await query(tmp_path / "a", RELAYED_BACK) == []
        taken = await as_urasoe(ginowan, "sightings", body)  # the same, signed right, now
        assert taken.status_code == 200 and taken.json()["stored"] == 1


async def test_a_peers_order_gets_our_limits_and_never_our_own_people(
    own_broker: PrivateBroker, urasoe_broker: PrivateBroker, tmp_path: Path
) -> None:
    """Urasoe (or whoever holds its secret) asks for one of Ginowan's people until 2100,
    from four days back: the far end is refused, her tag is never taken, and the window
    is cut to Ginowan's 72 hours (here: the last 72, so it ends now), so her past
    sightings cannot go to Urasoe."""
    async with (
        two_towns(own_broker, urasoe_broker, tmp_path) as (ginowan, _),
        publishing_gateway(own_broker, "gw-a") as gw,
    ):
        now = datetime.now(UTC)
        ago = format_ts(now - timedelta(hours=100))
        her_past = await gw.send(EventKind.TAG_SEEN, TAG_TSURU, now - timedelta(hours=1))
        await ginowan.until_stored(her_past)

        def order(*tags: str, until: datetime, started: str = ago) -> dict[str, Any]:
            span = {"started_at": started, "until": format_ts(until)}
            return {"id": "s-u1", "tags": list(tags), **span, "state": "active"}

        far = await as_urasoe(
            ginowan, "searches", order(TAG_TSURU, STRANGER, until=datetime(2100, 1, 1, tzinfo=UTC))
        )
        assert far.status_code == 422 and "31 days" in far.text
        hers = await as_urasoe(
            ginowan, "searches", order(TAG_TSURU, until=now + timedelta(days=10))
        )
        assert hers.status_code == 422 and "watches over" in hers.text
        taken = await as_urasoe(
            ginowan, "searches", order(TAG_TSURU, STRANGER, until=now + timedelta(days=10))
        )
        assert taken.status_code == 200, taken.text
        answer = taken.json()
        assert answer["refused_tags"] == 1 and len(answer["limited"]) == 2
        # Sent again, later and longer: the end stays 72 h after the start first taken.
        again = order(STRANGER, until=now + timedelta(days=20), started=format_ts(now))
        assert (await as_urasoe(ginowan, "searches", again)).status_code == 200

        [(tags, started_ms, until_ms)] = await query(
            tmp_path / "a", "SELECT tags, started_at, until FROM foreign_searches"
        )
        assert json.loads(tags) == [STRANGER]
        started, ends = from_epoch_ms(started_ms), from_epoch_ms(until_ms)
        assert ends - started == timedelta(hours=72)
        assert now - timedelta(hours=72, seconds=5) <= started <= now - timedelta(hours=71)
        [relayed] = await ginowan.state.store.foreign_searches(active_only=False)
        events, _ = await ginowan.state.store.sightings_to_relay(relayed, 500)
        assert her_past not in {e.id for e in events} and events == []


async def test_sightings_into_a_cancelled_search_are_refused_and_not_stored(
    own_broker: PrivateBroker, urasoe_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with two_towns(own_broker, urasoe_broker, tmp_path) as (ginowan, _):
        search = await start_search(ginowan)
        async with ginowan.client(await ginowan.token()) as family:
            closed = await family.post(
                f"/api/v1/searches/{search}/close", json={"outcome": "cancelled"}
            )
            assert closed.status_code == 200
        refused = await as_urasoe(
            ginowan, "sightings", {"search_id": search, "sightings": [sighting()]}
        )
        assert refused.status_code == 409 and "cancelled" in refused.json()["detail"]
        assert await query(tmp_path / "a", RELAYED_BACK) == []


async def test_far_times_huge_numbers_and_deep_bodies_get_422_and_the_hub_goes_on(
    own_broker: PrivateBroker, urasoe_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with two_towns(own_broker, urasoe_broker, tmp_path) as (ginowan, _):
        search = await start_search(ginowan)

        def back(*sightings: dict[str, Any]) -> dict[str, Any]:
            return {"search_id": search, "sightings": list(sightings)}

        bad: dict[str, bytes | dict[str, Any]] = {
            "year 9999": back(sighting(ts="9999-12-31T23:59:59.000Z")),
            "year 1": back(sighting(ts="0001-01-01T00:00:00.000Z")),
            "huge lat": back(sighting(lat=1e308)),
            "NaN": json.dumps(back(sighting())).replace("26.246", "NaN").encode(),
            "huge int": json.dumps(back(sighting())).replace("26.246", "9" * 5000).encode(),
            "long name": back(sighting(name="浦" * 101)),
            "too many": back(*[sighting() for _ in range(501)]),
            "deep": b"[" * 100_000,
            "no json": b"\xff\xfe",
        }
        answers = {why: await as_urasoe(ginowan, "sightings", body) for why, body in bad.items()}
        assert {why: r.status_code for why, r in answers.items()} == dict.fromkeys(bad, 422)
        assert "9999" not in answers["year 9999"].text  # the input is not echoed
        huge = await as_urasoe(ginowan, "sightings", b" " * (2 * 1024 * 1024))
        assert huge.status_code == 413
        async with httpx.AsyncClient(base_url=ginowan.url, timeout=10) as client:
            assert (await client.get("/healthz")).status_code == 200
        good = await as_urasoe(ginowan, "sightings", back(sighting()))
        assert good.status_code == 200 and good.json()["stored"] == 1
        assert len(await query(tmp_path / "a", RELAYED_BACK)) == 1


async def test_nonces_are_kept_per_peer_until_their_time_has_passed(store: SqlStore) -> None:
    now = datetime.now(UTC)
    forget = now - timedelta(minutes=10)
    assert await store.first_use_of_nonce("urasoe", "ab" * 16, now, forget)
    assert not await store.first_use_of_nonce("urasoe", "ab" * 16, now, forget)
    assert await store.first_use_of_nonce("nishihara", "ab" * 16, now, forget)
    later = now + timedelta(minutes=11)  # the first is now older than what is kept
    assert await store.first_use_of_nonce("urasoe", "cd" * 16, later, later - timedelta(minutes=10))
    assert await store.first_use_of_nonce("urasoe", "ab" * 16, later, later - timedelta(minutes=10))
