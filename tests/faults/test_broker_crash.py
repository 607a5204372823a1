"""The broker SIGKILLed, with the hub away and with the hub ingesting: nothing lost.

Mosquitto writes its persistence file every ``autosave_interval`` (10 s in our
config); a SIGKILL loses whatever it accepted since. A gateway that forgot an event
on the broker's PUBACK lost it with the broker (1,000 of 1,000 events queued for an
absent hub, measured before end-to-end acknowledgement). Now a gateway keeps each
event until the hub's ack of its outbox epoch covers it, and sends again what the
hub has not confirmed (docs/protocol.md, "Delivery guarantees").

Each test waits for the broker's autosave, so that what comes next lives only in
its memory when it is killed. Two gateways publish: the busy real one (``gw-one``,
site.py) and ``gw-two``, whose outbox holds a long outage's backlog (filled ahead,
so all of it is accepted) sent one event a batch by the real uplink in this process.

* (a) The hub is stopped (its session and queue stay at the broker); gw-two's backlog
  goes to the broker for it; the broker is killed and restarted; the hub comes back.
* (b) The hub is frozen (SIGSTOP) while gw-two's backlog goes to the broker, thawed,
  and the broker is killed once the hub has stored a random part of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.edge.outbox import Outbox
from mimamori.edge.uplink import Uplink, subscriptions
from mimamori.mqtt import LinkSettings, Message, MqttLink
from mimamori.protocol import EventDraft, EventKind, GatewayStatus
from tests.faults.conftest import Report
from tests.faults.site import TAGS, Site, wait_until
from tests.faults.tally import check, hub_events, read_outbox

pytestmark = pytest.mark.slow

BURST = 3000  # gw-two's backlog, one event a batch: several of the hub's commits
RESEND_S = 2.0  # outbox.resend_after_s of both gateways (30 s by default)
TWO = "gw-two"


async def fill(path: Path, events: int) -> None:
    """gw-two's outbox after an outage: ``events`` sightings, accepted."""
    outbox = await Outbox.open(path, events)
    data = {"tag": TAGS[0], "receiver": "vm", "rssi": -60, "adverts": 1}
    try:
        for start in range(0, events, 1000):
            now = datetime.now(UTC)
            n = min(1000, events - start)
            await outbox.append([EventDraft(EventKind.TAG_SEEN, now, data) for _ in range(n)])
    finally:
        await outbox.close()


@contextlib.asynccontextmanager
async def backlog_gateway(path: Path, port: int) -> AsyncIterator[Uplink]:
    """gw-two: its outbox, link and uplink, wired as the daemon wires them."""
    outbox = await Outbox.open(path, BURST)
    uplinks: list[Uplink] = []

    def hear(message: Message) -> None:
        uplinks[0].handle(message)

    link = MqttLink(
        LinkSettings(
            "127.0.0.1", port, f"mimamori-gw-{TWO}", subscriptions=subscriptions(TWO),
            keepalive_s=5, backoff_max_s=3,
        ),
        on_message=hear,
        name=TWO,
    )  # fmt: skip
    uplink = Uplink(
        TWO,
        link,
        outbox,
        lambda: GatewayStatus(gw=TWO, state="online"),
        batch_size=1,
        resend_after_s=RESEND_S,
    )
    uplinks.append(uplink)
    tasks = [asyncio.create_task(link.run()), asyncio.create_task(uplink.run())]
    try:
        yield uplink
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await outbox.close()


async def autosaved(broker: PrivateBroker) -> None:
    """Until the broker has just written its persistence file: from here on, what
    it accepts lives in its memory only, until its next save 10 s later."""
    path = broker.database_path
    before = path.stat().st_mtime_ns if path.exists() else 0
    await wait_until(
        lambda: path.exists() and path.stat().st_mtime_ns != before, 15, "the broker's autosave"
    )


def restart_killed(broker: PrivateBroker) -> float:
    """SIGKILL the broker and start it again; how long after its last save it died."""
    saved = broker.database_path.stat().st_mtime
    broker.stop(kill=True)
    unsaved_s = time.time() - saved
    broker.start()
    return unsaved_s


async def test_a_broker_killed_while_the_hub_is_away_loses_nothing(
    own_broker: PrivateBroker, site: Site, report: Report
) -> None:
    hub_config = site.hub_yaml(own_broker)
    await site.start_hub(hub_config)
    await site.start_sources()
    site.start_edge(site.gateway_yaml(own_broker.port, resend_after_s=RESEND_S))
    await site.wait_for_events(20)
    two_path = site.root / "data" / TWO / "outbox.sqlite3"
    await fill(two_path, BURST)

    assert site.procs.stop("hub") == 0  # away: the broker queues for its session
    await autosaved(own_broker)
    async with backlog_gateway(two_path, own_broker.port) as two:
        await wait_until(lambda: two.outbox.published_through == BURST, 30, "gw-two's backlog")
        unsaved_s = restart_killed(own_broker)
        await asyncio.wait_for(two.link.connected.wait(), 10)
        await site.start_hub(hub_config)
        await wait_until(lambda: two.outbox.depth == 0, 40, "gw-two's backlog confirmed")
        resends = two.counters["resends"]

    copies = site.hub_counters()["events_duplicate"]
    tally = await site.settle()
    burst = check(read_outbox(two_path), hub_events(site.hub_db, TWO), TWO)
    faults = (
        f"hub stopped; {BURST} events of gw-two PUBACKed by the broker for it; the broker "
        f"SIGKILLed {unsaved_s:.1f} s after its last save and restarted; the hub started "
        f"again; gw-two sent its unconfirmed events again {resends} time(s); copies "
        f"ignored by id: {copies}"
    )
    report.add(tally, faults)
    report.add(burst, faults)
    tally.assert_exactly_once(in_order=False)
    burst.assert_exactly_once(in_order=False)


async def test_a_broker_killed_while_the_hub_is_ingesting_loses_nothing(
    own_broker: PrivateBroker, site: Site, report: Report, seed: int
) -> None:
    rng = random.Random(seed)
    hub_config = site.hub_yaml(own_broker)
    await site.start_hub(hub_config)
    await site.start_sources()
    site.start_edge(site.gateway_yaml(own_broker.port, resend_after_s=RESEND_S))
    await site.wait_for_events(20)
    two_path = site.root / "data" / TWO / "outbox.sqlite3"
    await fill(two_path, BURST)

    def stored_two() -> int:
        return len(hub_events(site.hub_db, TWO))

    hub = site.procs.running["hub"].pid
    await autosaved(own_broker)
    os.kill(hub, signal.SIGSTOP)  # connected, but not reading: a backlog builds up
    try:
        async with backlog_gateway(two_path, own_broker.port) as two:
            await wait_until(lambda: two.outbox.published_through == BURST, 30, "gw-two's backlog")
            target = int(rng.uniform(0.1, 0.7) * BURST)
            os.kill(hub, signal.SIGCONT)
            await wait_until(lambda: stored_two() >= target, 20, "the hub to ingest", 0.005)
            unsaved_s = restart_killed(own_broker)
            at_kill = stored_two()
            await wait_until(lambda: two.outbox.depth == 0, 40, "gw-two's backlog confirmed")
            resends = two.counters["resends"]
    finally:
        os.kill(hub, signal.SIGCONT)

    copies = site.hub_counters()["events_duplicate"]
    tally = await site.settle()
    burst = check(read_outbox(two_path), hub_events(site.hub_db, TWO), TWO)
    faults = (
        f"hub frozen while {BURST} events of gw-two went to the broker, thawed; the broker "
        f"SIGKILLed {unsaved_s:.1f} s after its last save with {at_kill}/{BURST} stored "
        f"(seed {seed}) and restarted; gw-two sent again from its oldest unconfirmed event "
        f"on reconnecting, and {resends} time(s) more; copies ignored by id since: {copies}"
    )
    report.add(tally, faults)
    report.add(burst, faults)
    tally.assert_exactly_once(in_order=False)
    burst.assert_exactly_once(in_order=False)
    assert at_kill < BURST, "the broker was killed after the hub had everything"
