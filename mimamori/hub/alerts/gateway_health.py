"""Gateways whose outbox grows, that restart in a loop or whose disk fills: one
technician alert each.

Three things a technician must hear of before the town loses sightings (issue 20):

* **the outbox grows** (``outbox_growing``, subject ``gateway:ID``): an online gateway
  keeps each event until the hub confirms it; with acknowledgements flowing its outbox
  holds a batch or two (``outbox.batch_size`` 100). ``outbox_alert_events`` (1000: ten
  unconfirmed batches, a quarter of an hour of a busy street's events) in its last status
  raises; under ``outbox_clear_events`` (100) resolves. The gap between the two is the
  hysteresis: a depth that wavers around one number opens one alert, not one per status.
* **it restarts in a loop** (``gateway_restarts``): each start (or reconnection after a
  crash's last will) is a ``gateway.online`` event the hub records on its own clock.
  ``restarts_per_hour`` of them (5) within the last hour raises; an hour without one
  resolves (systemd restarts a crashing daemon within seconds, so a loop never waits an
  hour; a router that drops the line a few times a day stays under five).

* **its disk fills** (``disk_low``): the status's ``disk`` (free space of the data dir's
  file system, ``edge/disk.py``) under ``disk_low_fraction`` (10 %) *or* under
  ``disk_low_mb`` (200 MB) raises: a card whose outbox cannot be written loses
  events, and logs grow unseen. Over ``disk_clear_fraction`` (15 %) *and*
  ``disk_clear_mb`` (300 MB) resolves; in between nothing changes (the hysteresis: a
  log rotated every night makes the free space saw up and down). Every registered
  gateway, homes too (a home's full card loses its check-ins); a gateway too old to
  say its disk raises nothing.

Read from the database each ``EVERY_S`` on the hub's clock (restart-safe, one open alert
per kind and subject); routed like every device problem (``deafness.py``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from mimamori.hub.alerts.looks import look_every
from mimamori.hub.alerts.routing import homeless_steps
from mimamori.hub.config import WatchPointSettings
from mimamori.hub.model.alerts import AlertCounts, AlertKind, Change, Clear, Raise, Severity
from mimamori.hub.model.clock import Clock
from mimamori.hub.model.events import GATEWAY_ONLINE
from mimamori.hub.register.registry import Registry
from mimamori.hub.store.port import Store
from mimamori.protocol.status import DiskStatus

log = logging.getLogger(__name__)

EVERY_S = 60.0
HOUR = timedelta(hours=1)
MB = 1_000_000  # the settings' megabytes, as people and df -H count them


class GatewayHealth:
    def __init__(
        self, settings: WatchPointSettings, registry: Registry, store: Store, *, clock: Clock
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.store = store
        self.clock = clock

    async def run(self, every_s: float = EVERY_S) -> None:
        await look_every(every_s, self.check, "gateway health")

    async def check(self) -> AlertCounts:
        now = self.clock()
        points = self.registry.watch_points()
        statuses = await self.store.online_statuses(sorted(self.registry.gateways))
        growing = await self.store.open_alert_subjects(AlertKind.OUTBOX_GROWING)
        looping = await self.store.open_alert_subjects(AlertKind.GATEWAY_RESTARTS)
        filling = await self.store.open_alert_subjects(AlertKind.DISK_LOW)
        changes: list[Change] = [
            change
            for gid, status in sorted(statuses.items())
            if status.disk is not None
            and (change := self._disk(gid, status.disk, f"gateway:{gid}" in filling, now))
        ]
        for gid in points:
            subject = f"gateway:{gid}"
            outbox = statuses[gid].outbox if gid in statuses else None
            if outbox is not None:
                depth = outbox.depth
                if subject not in growing and depth >= self.settings.outbox_alert_events:
                    changes.append(self._raise(AlertKind.OUTBOX_GROWING, gid, now, depth=depth))
                elif subject in growing and depth < self.settings.outbox_clear_events:
                    note = "the outbox is emptying: events are confirmed again"
                    changes.append(Clear(AlertKind.OUTBOX_GROWING, subject, now, note))
            starts = await self.store.events_of([gid], [GATEWAY_ONLINE], now - HOUR, now)
            if subject not in looping and len(starts) >= self.settings.restarts_per_hour:
                changes.append(
                    self._raise(AlertKind.GATEWAY_RESTARTS, gid, now, starts=len(starts))
                )
            elif subject in looping and not starts:
                note = "no restart for an hour"
                changes.append(Clear(AlertKind.GATEWAY_RESTARTS, subject, now, note))
        if not changes:
            return AlertCounts([], [], [])
        counts = await self.store.apply_alert_changes(changes, 0, {})
        for alert in counts.opened:
            log.warning("alert %d opened: %s %s", alert.id, alert.kind, alert.subject)
        for alert in counts.resolved:
            log.info("alert %d resolved: %s %s", alert.id, alert.kind, alert.subject)
        return counts

    def _disk(self, gid: str, disk: DiskStatus, is_open: bool, now: datetime) -> Change | None:
        s, mb = self.settings, disk.free_bytes / MB
        if not is_open and (disk.free_fraction < s.disk_low_fraction or mb < s.disk_low_mb):
            detail = {"free_mb": round(mb), "free_pct": round(100 * disk.free_fraction, 1)}
            return self._raise(AlertKind.DISK_LOW, gid, now, **detail)
        if is_open and disk.free_fraction >= s.disk_clear_fraction and mb >= s.disk_clear_mb:
            note = "the gateway's disk has room again"
            return Clear(AlertKind.DISK_LOW, f"gateway:{gid}", now, note)
        return None

    def _raise(self, kind: str, gid: str, now: datetime, **detail: Any) -> Raise:
        entry = self.registry.gateways[gid]
        steps = homeless_steps(self.registry.policies, kind, now)
        data = {"gateway": gid, "gateway_name": entry.name, **detail}
        return Raise(kind, f"gateway:{gid}", None, Severity.WARNING, now, data, steps=steps)
