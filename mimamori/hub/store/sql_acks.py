"""End-to-end acknowledgement (mixed into the store, on either engine): each outbox
epoch's confirmed seq and the ranges waiting for a gap, advanced by ``ack_chain``.

A few statements per commit whatever the number of gateways in it: the store's
round trips, not its rows, bound the hub's ingest (``sqlite_db.py``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from mimamori.hub.ingest.ack_chain import Range, advance
from mimamori.hub.model.acks import AckUpdate
from mimamori.hub.store.sql import Db
from mimamori.hub.store.sql_base import SqlBase
from mimamori.locking import serialized
from mimamori.protocol.codec import Claim
from mimamori.protocol.timefmt import to_epoch_ms

# Outboxes kept per gateway (a new SD card is a new epoch); beyond this the least
# recently moved are forgotten. A gateway whose epoch was forgotten loses nothing:
# its next resend starts below anything it holds (``after`` 0) and joins at once.
MAX_EPOCHS = 4

Key = tuple[str, str]  # (gateway id, epoch)


class SqlAcks(SqlBase):
    @serialized
    async def advance_acks(
        self, claims: Sequence[tuple[str, Claim]], now: datetime
    ) -> list[AckUpdate]:
        groups: dict[Key, set[Range]] = {}
        for gateway_id, claim in claims:
            groups.setdefault((gateway_id, claim.epoch), set()).add((claim.after, claim.last))
        if not groups:
            return []
        keys = sorted(groups)
        gateways = [json.dumps(sorted({gateway_id for gateway_id, _ in keys}))]
        at = to_epoch_ms(now)
        updates: list[AckUpdate] = []
        async with self._transaction("acknowledging stored events") as db:
            # New chains first, in key order, so that two workers never wait on each
            # other's new rows in a cycle; then every chain of these gateways locked,
            # in the same order.
            await db.executemany(
                "INSERT INTO ack_chains (gateway_id, epoch, confirmed, updated_at) "
                "VALUES (?, ?, 0, 0) ON CONFLICT (gateway_id, epoch) DO NOTHING",
                keys,
            )
            values = self._dialect.json_values()
            chains = {
                (gw, epoch): (int(confirmed), int(updated))
                for gw, epoch, confirmed, updated in await db.fetch(
                    "SELECT gateway_id, epoch, confirmed, updated_at FROM ack_chains "
                    f"WHERE gateway_id IN ({values}) ORDER BY gateway_id, epoch"
                    f"{self._dialect.for_update}",
                    gateways,
                )
            }
            links: dict[Key, set[Range]] = {}
            for gw, epoch, after, last in await db.fetch(
                "SELECT gateway_id, epoch, after_seq, last_seq FROM ack_links "
                f"WHERE gateway_id IN ({values})",
                gateways,
            ):
                links.setdefault((gw, epoch), set()).add((int(after), int(last)))
            moved: list[tuple[int, int, str, str]] = []
            gone: list[tuple[str, str, int, int]] = []
            added: list[tuple[str, str, int, int]] = []
            for key in keys:
                old = links.get(key, set())
                chain = advance(chains[key][0], old, groups[key])
                moved.append((chain.confirmed, at, *key))
                gone += [(*key, after, last) for after, last in old - chain.links]
                added += [(*key, after, last) for after, last in chain.links - old]
                if chain.moved or chain.repeated:
                    updates.append(AckUpdate(key[0], key[1], chain.confirmed))
            await db.executemany(
                "UPDATE ack_chains SET confirmed = ?, updated_at = ? "
                "WHERE gateway_id = ? AND epoch = ?",
                moved,
            )
            await db.executemany(
                "DELETE FROM ack_links WHERE gateway_id = ? AND epoch = ? "
                "AND after_seq = ? AND last_seq = ?",
                gone,
            )
            await db.executemany(
                "INSERT INTO ack_links (gateway_id, epoch, after_seq, last_seq) "
                "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                added,
            )
            fresh = sorted({key[0] for key in keys if chains[key][1] == 0})
            for gateway_id in fresh:
                await _forget_old_epochs(db, gateway_id, chains, set(groups), at)
        return updates

    @serialized
    async def ack_of(self, gateway_id: str, epoch: str) -> int | None:
        rows = await self._query(
            "SELECT confirmed FROM ack_chains WHERE gateway_id = ? AND epoch = ?",
            [gateway_id, epoch],
        )
        return int(rows[0][0]) if rows else None


async def _forget_old_epochs(
    db: Db, gateway_id: str, chains: dict[Key, tuple[int, int]], touched: set[Key], at: int
) -> None:
    """A gateway began a new epoch: keep its ``MAX_EPOCHS`` most recently moved."""
    recency = sorted(
        ((at if key in touched else updated), key[1])
        for key, (_, updated) in chains.items()
        if key[0] == gateway_id
    )
    old = [(gateway_id, epoch) for _, epoch in recency[:-MAX_EPOCHS]]
    await db.executemany("DELETE FROM ack_links WHERE gateway_id = ? AND epoch = ?", old)
    await db.executemany("DELETE FROM ack_chains WHERE gateway_id = ? AND epoch = ?", old)
