"""A month of check-ins for the demo household, decided by the real edge rules.

The demo cannot wait a month, so before the home gateway starts, its own rules run
over the last 30 days on a virtual clock: presses most mornings, a 相談 one day, one
day with no press at all (the ladder fires), and a few battery reports. What they
decide goes into the gateway's real outbox, exactly as if the gateway had been
offline all month; the real ``mimamori edge`` then delivers it with the original
times when it starts. Nothing is written to the hub directly.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from mimamori.edge.build import build_household
from mimamori.edge.clock import VirtualClock
from mimamori.edge.config import GatewayConfig
from mimamori.edge.observations import DeviceReport, Press
from mimamori.edge.outbox import Outbox
from mimamori.edge.rules.household import STATE_NAME
from mimamori.protocol.events import Card

DAYS = 30
MISSED_DAY = 6  # days ago: nobody pressed
CONSULT_DAY = 12  # days ago: 相談
TICK = timedelta(minutes=10)


def _plan(zone: ZoneInfo, today: datetime, seed: int) -> list[tuple[datetime, Card]]:
    rng = random.Random(seed)
    presses: list[tuple[datetime, Card]] = []
    # Today too: a press planned for later today is simply not reached by the fill,
    # and one already past keeps today's period from looking missed in the evening.
    for ago in range(DAYS - 1, -1, -1):
        if ago == MISSED_DAY:
            continue
        day = (today - timedelta(days=ago)).date()
        at = time(7 + rng.randrange(3), rng.randrange(60))
        card: Card = "soudan" if ago == CONSULT_DAY else "genki"
        presses.append((datetime.combine(day, at, tzinfo=zone).astimezone(UTC), card))
    return presses


async def _fill(config: GatewayConfig, button: str, now: datetime, seed: int) -> int:
    household = config.household
    assert household is not None
    zone = ZoneInfo(household.timezone)
    start = now - timedelta(days=DAYS)
    clock = VirtualClock(start)
    outbox = await Outbox.open(config.data_dir / "outbox.sqlite3", config.outbox.max_events)
    try:
        home = build_household(config, clock, None)
        assert home is not None
        presses = _plan(zone, now.astimezone(zone), seed)
        count = 0
        while clock.now() + TICK < now:
            clock.advance(TICK.total_seconds())
            mono, ts = clock.monotonic(), clock.now()
            # The unit's heartbeat every 10 minutes; its battery sinks slowly.
            battery = 90 - (ts - start).days // 3
            drafts = home.observe(DeviceReport(button, mono, ts, battery_pct=battery, mains=True))
            drafts += home.tick(mono, ts)
            while presses and presses[0][0] <= ts:
                _at, card = presses.pop(0)
                drafts += home.observe(Press(button, mono, ts, card))
            if drafts:
                await outbox.append(drafts, {STATE_NAME: home.state()})
                count += len(drafts)
        # Keep the state as of now, so the live gateway resumes where the month ended.
        await outbox.append([], {STATE_NAME: home.state()})
        return count
    finally:
        await outbox.close()


def fill_history(config: GatewayConfig, button: str, seed: int = 7) -> int:
    """Decide the last month into the gateway's outbox; returns the number of events."""
    return asyncio.run(_fill(config, button, datetime.now(UTC), seed))
