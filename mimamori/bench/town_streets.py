"""The town in motion, one tick a second: who hears which tag, what each gateway decides.

Each tick, every tag advertises once (firmware_sim's default of one advert a second):
the grid gives the watch points near the carrier, and ``firmware_sim.radio``'s model
(log-distance path loss, 4 dB of scatter, 10 % of adverts lost, -96 dBm sensitivity)
says whether and how strongly each hears it. A watch point run in-process gets the
advert straight into its presence rule; one run by a real ``mimamori edge`` gets an
advert line on its pty. Then each gateway's leave timers are swept, home gateways run
their rules (presses due now, the button's heartbeat, the ladder), statuses that are
due go out, and what was decided is published.

Event times are taken when the gateway decides, just before it publishes, so a slow
tick of this process does not count as the hub's delay.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

from mimamori.bench.site import town_tag
from mimamori.bench.town_edges import RealEdge
from mimamori.bench.town_gateways import HomeGateway, SimGateway, WatchPoint
from mimamori.bench.town_homes import CheckinPlan, household_rules
from mimamori.bench.town_hub import household_id
from mimamori.bench.town_layout import Town
from mimamori.bench.town_walks import Itinerary
from mimamori.firmware_sim.radio import RadioModel

TICK_S = 1.0
TX_POWER_1M = -59  # a typical iBeacon tag's calibrated power (firmware_sim's default)
# Beyond 60 m a tag's mean RSSI (-103 dBm) is 7 dB below the sensitivity: too weak,
# even with the scatter, ever to reach the presence rule's -85 dBm.
HEAR_M = 60.0
BUTTON_HEARTBEAT_S = 600.0  # firmware_sim/button.py


def _address(rng: random.Random) -> str:
    raw = bytearray(rng.randbytes(6))
    raw[0] |= 0xC0  # a random static address (Core Vol 6 Part B, 1.3.2.1)
    return ":".join(f"{b:02X}" for b in raw)


class Streets:
    def __init__(
        self,
        town: Town,
        *,
        walks: Sequence[Itinerary],
        watch: dict[int, WatchPoint],
        edges: dict[int, RealEdge],
        homes: Sequence[HomeGateway],
        seed: int,
    ) -> None:
        self.town = town
        self.walks = walks
        self.watch = watch
        self.edges = edges
        self.homes = homes
        rng = random.Random(seed + 2)
        self.radio = RadioModel(rng=rng)
        self.tags = [town_tag(n) for n in range(len(walks))]
        self.addresses = [_address(rng) for _ in walks]
        self.gateways: list[SimGateway] = [*watch.values(), *homes]
        self.active: set[int] = set()  # watch points with a tag present or nearly so
        self.presses: list[tuple[datetime, int, CheckinPlan]] = []
        self.tick_ms: list[float] = []
        self.adverts_heard = 0
        self._origin = time.monotonic()

    def open_window(self, plans: Sequence[CheckinPlan], window_s: float) -> None:
        """The homes get their schedules for the window; presses are queued."""
        for n, (home, plan) in enumerate(zip(self.homes, plans, strict=True)):
            home.household = household_rules(household_id(n), plan, window_s)
            if plan.press_at is not None:
                self.presses.append((plan.press_at, n, plan))
        self.presses.sort(key=lambda p: p[0])

    def _hear(self, t: float) -> dict[int, list[tuple[int, int]]]:
        heard: dict[int, list[tuple[int, int]]] = defaultdict(list)
        points = self.town.watch_points
        for n, walk in enumerate(self.walks):
            x, y = walk.position(t)
            for i in self.town.grid.near((x, y)):
                gx, gy = points[i].xy
                distance = math.hypot(gx - x, gy - y)
                if distance > HEAR_M:
                    continue
                rssi = self.radio.rssi(TX_POWER_1M, distance)
                if rssi is not None:
                    heard[i].append((n, rssi))
        return heard

    def step(self, t: float, at: float) -> None:
        """One tick at town time ``t`` (monotonic ``at``)."""
        for i, adverts in self._hear(t).items():
            self.adverts_heard += len(adverts)
            edge = self.edges.get(i)
            if edge is not None:
                for n, rssi in adverts:
                    edge.hear(self.tags[n], self.addresses[n], rssi)
                continue
            watch = self.watch[i]
            ts = datetime.now(UTC)
            for n, rssi in adverts:
                watch.hear(self.tags[n], rssi, at, ts)
            self.active.add(i)
            watch.flush()
        ts = datetime.now(UTC)
        for i in list(self.active):
            watch = self.watch[i]
            if not watch.sweep(at, ts):
                self.active.discard(i)
            watch.flush()
        self._homes(t, at)
        for gateway in self.gateways:
            if t >= gateway.next_status:
                gateway.next_status += gateway.status_interval_s
                gateway.publish_status(datetime.now(UTC))

    def _homes(self, t: float, at: float) -> None:
        now = datetime.now(UTC)
        while self.presses and self.presses[0][0] <= now:
            _due, n, plan = self.presses.pop(0)
            self.homes[n].press(plan.card, at, now)
        for home in self.homes:
            now = datetime.now(UTC)  # stamped as this home decides, as its gateway would
            if t >= home.next_report:
                home.next_report += BUTTON_HEARTBEAT_S
                home.report(at, now)
            home.tick(at, now)
            home.flush()

    async def run(self) -> None:
        """Tick every TICK_S until cancelled (late ticks are not made up for)."""
        self._origin = time.monotonic()
        due = self._origin
        while True:
            at = time.monotonic()
            self.step(at - self._origin, at)
            self.tick_ms.append((time.monotonic() - at) * 1000)
            due += TICK_S
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            due = max(due, time.monotonic())

    @property
    def town_time(self) -> float:
        return time.monotonic() - self._origin
