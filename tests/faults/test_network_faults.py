"""A bad line between the gateway and its broker: slow, cut, refused, silent.

The gateway reaches its broker through the fault proxy (``proxy.py``), which in turn
delays packets, resets connections at random, withholds the PUBACK of event
batches (the broker has the batch, the gateway never hears so, the line is cut),
refuses new connections, and swallows everything until a keepalive notices. No
event may be lost, and none stored twice: a batch the broker had before the cut
is sent again and the hub ignores the copy by id.
"""

from __future__ import annotations

import asyncio
import random
import time

import pytest

from mimamori.demo.mosquitto import PrivateBroker
from tests.faults.conftest import Report
from tests.faults.proxy import FaultProxy
from tests.faults.site import Site, wait_until

pytestmark = pytest.mark.slow

WITHHELD = 5


async def test_a_slow_cut_and_silent_line_loses_no_event_and_stores_none_twice(
    own_broker: PrivateBroker, site: Site, report: Report, seed: int
) -> None:
    rng = random.Random(seed)
    await site.start_hub(site.hub_yaml(own_broker))
    await site.start_sources()
    async with FaultProxy(own_broker.port, seed=seed) as line:
        site.start_edge(site.gateway_yaml(line.port))
        await site.wait_for_events(20)
        timings: dict[str, float] = {}

        line.delay_s = 0.15  # a slow line: batches wait on the wire
        await asyncio.sleep(3)
        line.delay_s = 0.05  # a slow line that breaks: cut with batches in flight
        end = time.monotonic() + 6
        while time.monotonic() < end:
            await asyncio.sleep(rng.uniform(0.3, 1.5))
            line.cut_all()
        line.delay_s = 0.0

        for _ in range(WITHHELD):  # the broker has it; the gateway never hears
            line.withhold_pubacks = 1
            await wait_until(lambda: line.withhold_pubacks == 0, 15, "a PUBACK to withhold")

        line.refuse = True  # the line is down: connection attempts fail
        line.cut_all()
        await asyncio.sleep(3)
        line.refuse = False

        await site.wait_for_events(site.stored() + 10)  # connected again, events flow
        connections = line.counters["connections"]
        line.blackhole = True  # nothing passes, nothing is closed
        started = time.monotonic()
        await wait_until(lambda: line.counters["connections"] > connections, 30, "the keepalive")
        timings["silence noticed after (s)"] = round(time.monotonic() - started, 1)
        line.blackhole = False

        tally = await site.settle()
        copies = site.hub_counters()["events_duplicate"]
    faults = dict(line.counters)
    report.add(
        tally, f"proxy (seed {seed}): {faults}, {timings}; copies ignored by the hub: {copies}"
    )
    tally.assert_exactly_once()
    assert faults["pubacks_withheld"] == WITHHELD
    assert faults["refused"] > 0 and faults["packets_dropped"] > 0
    assert faults["packets_delayed"] > 0 and faults["cuts"] > WITHHELD
    # every withheld batch came again, and the hub stored it once
    assert copies >= WITHHELD
