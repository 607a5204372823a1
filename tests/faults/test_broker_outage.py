"""The broker stopped while events keep happening: they all arrive when it is back.

The gateway goes on deciding while its broker is away; its outbox holds what it
accepted, and after the broker returns everything arrives at the hub once, in
sequence order. The hub's own session (and the messages queued for it) survive
the broker's restart in Mosquitto's persistence file.
"""

from __future__ import annotations

import asyncio

import pytest

from mimamori.demo.mosquitto import PrivateBroker
from tests.faults.conftest import Report
from tests.faults.site import Site
from tests.faults.tally import peek_outbox

pytestmark = pytest.mark.slow


async def test_events_decided_while_the_broker_is_down_arrive_once_and_in_order_after_it(
    own_broker: PrivateBroker, site: Site, report: Report
) -> None:
    await site.start_hub(site.hub_yaml(own_broker))
    await site.start_sources()
    site.start_edge(site.gateway_yaml(own_broker.port))
    await site.wait_for_events(30)

    during: list[int] = []
    for down_s in (6.0, 2.0):
        own_broker.stop()
        before = peek_outbox(site.outbox).last_seq
        await asyncio.sleep(down_s)
        held = peek_outbox(site.outbox)
        during.append(held.last_seq - before)
        assert len(held.held) >= during[-1] > 0  # decided meanwhile, all still held
        own_broker.start()
        await site.wait_for_events(held.last_seq)

    duplicates = site.hub_counters()["events_duplicate"]
    tally = await site.settle()
    report.add(
        tally,
        f"broker stopped for 6 s then 2 s; accepted meanwhile: {during}; "
        f"re-sent copies ignored by the hub: {duplicates}",
    )
    tally.assert_exactly_once()
