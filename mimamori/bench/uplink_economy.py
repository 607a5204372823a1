"""Uplink economy: MQTT messages per tag-hour, our rules against "publish every advert".

One person lingers by one vending machine for ``hours`` (a bench ``distance_m`` from
the receiver), their tag advertising every ``interval_s``; then they walk away. The
air between them is firmware_sim's radio model (log-distance path loss, 4 dB of
scatter, 10 % of adverts lost). Time is virtual: the gateway's real decision path
(``EdgeDaemon.decide``: advert parsing, allow list, presence rules) sees each advert
with the clock it would read, and the leave timer is swept once a second as the
daemon's rules task does.

A gateway that publishes every advert it hears (as peer systems do) sends one
message per heard advert. Ours sends one message per event here: the events of a
lingering tag are a report interval apart, so the uplink never finds two of them
waiting together to share a batch.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from mimamori.bench.site import gateway_doc, town_tag
from mimamori.edge.adverts import parse_ad_structures
from mimamori.edge.clock import VirtualClock
from mimamori.edge.config import GatewayConfig
from mimamori.edge.daemon import SWEEP_S, EdgeDaemon
from mimamori.edge.observations import Advert
from mimamori.firmware_sim.frames import adv_for_tag
from mimamori.firmware_sim.radio import RadioModel
from mimamori.protocol.events import EventDraft

TX_POWER_1M = -59  # frames.adv_for_tag's calibration: what the radio model starts from


class _Gateway:
    """The daemon's decision path on a virtual clock, its leave timer swept every second."""

    def __init__(self) -> None:
        self.clock = VirtualClock()
        doc = gateway_doc("gw-economy", 1883, "/dev/null", Path("/nonexistent"))
        self.daemon = EdgeDaemon(GatewayConfig.model_validate(doc), clock=self.clock, drivers=[])
        self.next_sweep = self.clock.monotonic() + SWEEP_S
        self.kinds: dict[str, int] = {}

    def _count(self, drafts: list[EventDraft]) -> None:
        for draft in drafts:
            self.kinds[draft.kind.value] = self.kinds.get(draft.kind.value, 0) + 1

    def run_until(self, at: float) -> None:
        """Move the clock to ``at``, sweeping the leave timer on the way."""
        clock = self.clock
        while self.next_sweep <= at:
            clock.advance(self.next_sweep - clock.monotonic())
            self._count(self.daemon.presence.expire(clock.monotonic(), clock.now()))
            self.next_sweep += SWEEP_S
        clock.advance(at - clock.monotonic())

    def hear(self, rssi: int, manufacturer: dict[int, bytes], service: dict[int, bytes]) -> None:
        clock = self.clock
        obs = Advert("vm", clock.monotonic(), clock.now(), rssi, manufacturer, service)
        self._count(self.daemon.decide(obs))


def run(hours: float, interval_s: float, distance_m: float, seed: int = 7) -> dict[str, Any]:
    gateway = _Gateway()
    radio = RadioModel(rng=random.Random(seed))
    manufacturer, service_data = parse_ad_structures(adv_for_tag(town_tag(1)))
    heard = 0
    start = gateway.clock.monotonic()
    for n in range(round(hours * 3600 / interval_s)):
        gateway.run_until(start + n * interval_s)
        rssi = radio.rssi(TX_POWER_1M, distance_m)
        if rssi is not None:
            heard += 1
            gateway.hear(rssi, manufacturer, service_data)
    # They walk away: the leave timer, not an advert, ends the visit.
    leave_after = gateway.daemon.config.presence.leave_after_s
    gateway.run_until(gateway.clock.monotonic() + leave_after + 2 * SWEEP_S)
    kinds = gateway.kinds
    ours = sum(kinds.values())
    return {
        "hours": hours,
        "advert_interval_s": interval_s,
        "distance_m": distance_m,
        "adverts_heard": heard,
        "peer_messages_per_tag_hour": round(heard / hours, 1),
        "messages_per_tag_hour": round(ours / hours, 1),
        "fewer_x": round(heard / ours, 1) if ours else None,
        "events": kinds,
    }
