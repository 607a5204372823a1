"""A broker outage longer than the outbox allows: the cap policy holds, and is told.

The gateway's outbox is set to its smallest cap (100 events) and its broker is
stopped while a dozen tags and two check-in buttons keep it busy, and while a
search for one of the tags is on. The policy (docs/protocol.md, "Delivery
guarantees"): the oldest ``tag.seen`` go first, then the oldest
``tag.arrived``/``tag.left``; check-ins (SOS included), sightings reported for a
search, device and receiver events are never dropped. What was dropped is counted
by kind and the gateway's status reports it. The outbox file is watched through
the outage, so every dropped event is known by its kind.

Events the broker had when it stopped, or that the gateway handed to its MQTT
client before it noticed the broker gone (the client keeps them for the
reconnection), wait for the hub's ack like the rest, so the cap may drop one of
those too (the oldest): it reaches the hub anyway, a drop that is not missing.
While the broker is down no ack can come, so whatever leaves the outbox during the
outage was dropped by the cap.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.mqtt import LinkSettings, MqttLink
from mimamori.protocol.search import SearchOrder, encode_search
from tests.faults.conftest import Report
from tests.faults.site import TAGS, Site, wait_until
from tests.faults.tally import Witness, hub_events, peek_outbox

pytestmark = pytest.mark.slow

CAP = 100
SEARCH = "s-faults"
OUTAGE_S = 12.0
ROUTINE = {"tag.seen": 2, "tag.arrived": 1, "tag.left": 1}  # drop rank: higher goes first


async def order_search(port: int, tag: str) -> None:
    """Publish the retained search order, as the hub does when a search starts."""
    link = MqttLink(LinkSettings("127.0.0.1", port, "faults-hub-search"), name="search")
    task = asyncio.create_task(link.run())
    try:
        await asyncio.wait_for(link.connected.wait(), 10)
        order = SearchOrder(id=SEARCH, tags=[tag], until=datetime.now(UTC) + timedelta(hours=1))
        await link.publish(f"mimamori/v1/search/{SEARCH}", encode_search(order), retain=True)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def search_sightings(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        query = "SELECT count(*) FROM events WHERE json_extract(data, '$.search') = ?"
        return int(conn.execute(query, (SEARCH,)).fetchone()[0])


async def test_a_long_outage_drops_only_the_oldest_routine_sightings_and_says_so(
    own_broker: PrivateBroker, site: Site, report: Report
) -> None:
    await site.start_hub(site.hub_yaml(own_broker))
    await site.start_sources()
    site.start_edge(site.gateway_yaml(own_broker.port, max_events=CAP))
    await site.wait_for_events(20)
    await order_search(own_broker.port, TAGS[0])
    await wait_until(lambda: search_sightings(site.hub_db) > 0, 10, "a search sighting")
    await wait_until(lambda: not peek_outbox(site.outbox).held, 10, "an empty outbox")

    lost_before = site.procs.log("edge").count("lost (")
    own_broker.stop()
    # Until the gateway notices, it may still hand events to its MQTT client, which
    # keeps them and sends them on reconnecting: those may reach the hub too.
    await wait_until(lambda: site.procs.log("edge").count("lost (") > lost_before, 10,
                     "the gateway noticing the outage")  # fmt: skip
    start = peek_outbox(site.outbox).last_seq  # up to here published before the outage
    witness = Witness()
    most = 0
    last_held: set[int] = set()
    end = time.monotonic() + OUTAGE_S
    while time.monotonic() < end:
        held = peek_outbox(site.outbox)
        witness.record(held)
        last_held = {h.seq for h in held.held}
        protected = sum(1 for h in held.held if h.kind not in ROUTINE)
        most = max(most, len(held.held))
        # over the cap only with events the policy never drops
        assert len(held.held) <= max(CAP, protected), held.held
        await asyncio.sleep(0.05)
    own_broker.start()

    tally = await site.settle(witness)
    accepted_in_outage = max(witness.seen) - start
    missing = Counter(witness.seen[seq].kind for seq in tally.missing if seq in witness.seen)
    kept = Counter(
        "search sightings" if h.search else h.kind
        for h in witness.seen.values()
        if h.seq > start and h.seq not in tally.missing and (h.search or h.kind not in ROUTINE)
    )
    report.add(
        tally,
        f"broker stopped {OUTAGE_S:.0f} s with a cap of {CAP}: {accepted_in_outage} accepted "
        f"meanwhile, at most {most} held; dropped by kind {dict(missing)}; protected and "
        f"delivered {dict(kept)}",
    )
    tally.assert_exactly_once()  # nothing missing but what the cap says it dropped
    assert sum(tally.dropped.values()) > 0, "the outage never reached the cap"
    assert all(seq in witness.seen for seq in tally.missing), "dropped before it was seen"
    assert missing <= Counter(tally.dropped)  # every missing event is a counted drop
    # Drops beyond the missing ones reached the hub anyway: only events the broker had
    # before the outage can (gone from the outbox while no ack could come).
    anyway = {seq for seq in set(witness.seen) - last_held if seq <= start}
    assert sum(tally.dropped.values()) - len(tally.missing) <= len(anyway)
    assert set(missing) <= set(ROUTINE)
    assert not [seq for seq in tally.missing if witness.seen[seq].search]
    assert kept["search sightings"] > 0 and kept["checkin.sos"] > 0 and kept["checkin.done"] > 0

    # Oldest first: within a kind, every dropped event is older than every event of
    # that kind accepted during the outage that was delivered.
    stored = {
        s.seq: s.kind
        for s in hub_events(site.hub_db, "gw-one")
        if s.seq > start and not (s.seq in witness.seen and witness.seen[s.seq].search)
    }
    for kind in missing:
        dropped = [seq for seq in tally.missing if witness.seen[seq].kind == kind]
        delivered = [seq for seq, k in stored.items() if k == kind]
        assert max(dropped) < min(delivered), (kind, dropped, delivered)
    # A lower rank loses events only when no higher-ranked one was left to drop.
    if missing.keys() & {"tag.arrived", "tag.left"}:
        first_low = min(seq for seq in tally.missing if ROUTINE[witness.seen[seq].kind] == 1)
        assert not [s for s, k in stored.items() if k == "tag.seen" and s < first_low]
