"""The acknowledgement chains in the store, on SQLite and PostgreSQL: what a commit of
batches confirms, what waits for a gap, and two workers advancing one chain at once."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mimamori.hub.ingest.ack_chain import MAX_LINKS
from mimamori.hub.model.acks import AckUpdate
from mimamori.hub.store.sql_acks import MAX_EPOCHS
from mimamori.hub.store.sql_store import SqlStore
from mimamori.protocol.codec import Claim
from tests.hub.helpers import open_test_store, query

E1 = "1" * 32
E2 = "2" * 32
T0 = datetime(2026, 11, 22, tzinfo=UTC)


def claim(after: int, last: int, epoch: str = E1) -> Claim:
    return Claim(epoch, after, last)


async def test_batches_in_order_confirm_as_they_come(store: SqlStore) -> None:
    assert await store.ack_of("gw-a", E1) is None
    got = await store.advance_acks([("gw-a", claim(0, 100)), ("gw-a", claim(100, 200))], T0)
    assert got == [AckUpdate("gw-a", E1, 200)]
    assert await store.ack_of("gw-a", E1) == 200


async def test_a_batch_above_a_gap_waits_in_the_database_until_the_gap_fills(
    tmp_path: Path,
) -> None:
    store = await open_test_store(tmp_path)
    try:
        await store.advance_acks([("gw-a", claim(0, 100))], T0)
        waiting = [("gw-a", claim(200, 300)), ("gw-b", claim(5, 9))]
        assert await store.advance_acks(waiting, T0) == []
    finally:
        await store.close()
    store = await open_test_store(tmp_path)  # a restart of the hub keeps the links
    try:
        got = await store.advance_acks([("gw-a", claim(100, 200))], T0)
        assert got == [AckUpdate("gw-a", E1, 300)]
        assert await store.ack_of("gw-b", E1) == 0
        links = await query(tmp_path, "SELECT gateway_id, after_seq, last_seq FROM ack_links")
        assert links == [("gw-b", 5, 9)]
    finally:
        await store.close()


async def test_a_batch_already_covered_is_answered_again(store: SqlStore) -> None:
    # Its gateway evidently missed the ack (published by a hub that died meanwhile).
    await store.advance_acks([("gw-a", claim(0, 300))], T0)
    assert await store.advance_acks([("gw-a", claim(0, 100))], T0) == [AckUpdate("gw-a", E1, 300)]


async def test_epochs_are_separate_chains(store: SqlStore) -> None:
    got = await store.advance_acks([("gw-a", claim(0, 50, E1)), ("gw-a", claim(0, 7, E2))], T0)
    assert sorted(got, key=lambda u: u.epoch) == [
        AckUpdate("gw-a", E1, 50),
        AckUpdate("gw-a", E2, 7),
    ]


async def test_a_gateway_keeps_its_most_recent_epochs_only(store: SqlStore, tmp_path: Path) -> None:
    epochs = [f"{n:032x}" for n in range(MAX_EPOCHS + 3)]
    for n, epoch in enumerate(epochs):
        at = T0 + timedelta(minutes=n)
        await store.advance_acks(
            [("gw-a", claim(0, 10, epoch)), ("gw-a", claim(20, 30, epoch))], at
        )
    kept = await query(tmp_path, "SELECT epoch FROM ack_chains ORDER BY epoch")
    assert [row[0] for row in kept] == epochs[-MAX_EPOCHS:]
    links = await query(tmp_path, "SELECT DISTINCT epoch FROM ack_links ORDER BY epoch")
    assert [row[0] for row in links] == epochs[-MAX_EPOCHS:]


async def test_waiting_links_are_bounded_per_epoch(store: SqlStore, tmp_path: Path) -> None:
    far = [("gw-a", claim(1000 + 10 * n, 1005 + 10 * n)) for n in range(MAX_LINKS + 20)]
    await store.advance_acks(far, T0)
    rows = await query(tmp_path, "SELECT count(*), min(after_seq) FROM ack_links")
    assert rows == [(MAX_LINKS, 1000)]


async def test_two_workers_advancing_one_chain_at_once_confirm_it_whole(tmp_path: Path) -> None:
    # Hub workers share a gateway's batches through a shared subscription: each
    # commits some and advances the chain, in any order, at the same time.
    first = await open_test_store(tmp_path)
    second = await open_test_store(tmp_path)
    try:
        ranges = [(100 * n, 100 * (n + 1)) for n in range(60)]
        random.Random(7).shuffle(ranges)
        shares = {0: ranges[::2], 1: ranges[1::2]}

        async def worker(store: SqlStore, mine: list[tuple[int, int]]) -> list[int]:
            seen = []
            for start in range(0, len(mine), 3):
                claims = [("gw-a", claim(a, b)) for a, b in mine[start : start + 3]]
                seen += [u.confirmed for u in await store.advance_acks(claims, T0)]
            return seen

        await asyncio.gather(worker(first, shares[0]), worker(second, shares[1]))
        assert await first.ack_of("gw-a", E1) == 6000
        assert await query(tmp_path, "SELECT count(*) FROM ack_links") == [(0,)]
    finally:
        await first.close()
        await second.close()
