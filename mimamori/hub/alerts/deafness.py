"""Watch points' receivers that go deaf: one technician alert each, closed when back.

A gateway can be online, its daemon alive, and its receiver hear nothing (a board
gone silent, an antenna knocked off, BlueZ stuck): the most common complaint about BLE
gateways in the field, and one that nobody else notices (issue 20). Every ``EVERY_S``
this watch reads the last status of each online watch point (not homes: their buttons
have their own ``device_silent``), takes each receiver's new minutes into what the hub
has learned of it (``hearing.py``: the method and its numbers), and raises
``receiver_deaf`` (subject ``receiver:GATEWAY/RECEIVER``, no household, no person) when
``hearing.judge`` says so, or resolves it. The minutes it takes in also go to the
receiver's rate by quarter hour (``receiver_rates``, the fleet page's sparkline of the
day), in the same compare-and-set: each minute counts once, in the quarter hour of the
hub's clock it was taken in (a minute late with statuses every minute; up to the
status's 15 minutes late after a gap it bridges).

The alert follows the ``default`` policy's route for its kind (the ``device`` group,
``routing.homeless_steps``), as ``watchpoint_offline``'s: none, nobody is told.
What was learned is in the database, changed by compare-and-set: a restart forgets
nothing, two hub workers take each minute in once, one alert per receiver is open.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from mimamori.hub.alerts.hearing import Hearing, Thresholds, judge, take_in
from mimamori.hub.alerts.looks import look_every
from mimamori.hub.alerts.routing import homeless_steps
from mimamori.hub.config import WatchPointSettings
from mimamori.hub.model.alerts import (
    AlertCounts,
    AlertKind,
    Change,
    Clear,
    Raise,
    Severity,
)
from mimamori.hub.model.clock import Clock
from mimamori.hub.model.fleet import RateBucket, rate_bucket
from mimamori.hub.register.registry import Registry
from mimamori.hub.store.port import Store
from mimamori.protocol.timefmt import format_ts

log = logging.getLogger(__name__)

KIND = AlertKind.RECEIVER_DEAF


def thresholds(settings: WatchPointSettings) -> Thresholds:
    return Thresholds(
        factor=settings.deaf_factor,
        floor_min=settings.deaf_floor_min,
        cap_min=max(settings.deaf_cap_min, settings.deaf_floor_min),
        learn_min=settings.deaf_learn_min,
        recover_min=settings.deaf_recover_min,
    )


class DeafReceivers:
    def __init__(
        self, settings: WatchPointSettings, registry: Registry, store: Store, *, clock: Clock
    ) -> None:
        self.thresholds = thresholds(settings)
        self.every_s = settings.deaf_check_s
        self.registry = registry
        self.store = store
        self.clock = clock

    async def run(self) -> None:
        await look_every(self.every_s, self.check, "deaf receivers")

    async def check(self) -> AlertCounts:
        """Take in the new minutes; raise and resolve what they call for, at the hub's now."""
        now = self.clock()
        statuses = await self.store.online_statuses(self.registry.watch_points())
        learned = await self.store.receiver_hearings()
        open_ = await self.store.open_alert_subjects(KIND)
        changes: list[Change] = []
        for gid, status in sorted(statuses.items()):
            for rid, driver in sorted(status.drivers.items()):
                if driver.heard is None:
                    continue  # a button, or a gateway older than the rate in its status
                seen = learned.get((gid, rid))
                try:
                    before = Hearing.from_json(seen) if seen is not None else Hearing()
                except (ValueError, KeyError, TypeError) as exc:
                    log.warning(
                        "receiver %s/%s: unreadable record, learning again: %s", gid, rid, exc
                    )
                    before = Hearing()
                after = take_in(before, driver.heard, now, self.thresholds)
                new = after.to_json()
                taken = RateBucket(
                    rate_bucket(now), after.minutes - before.minutes, after.adverts - before.adverts
                )
                if new != seen and not await self.store.swap_receiver_hearing(
                    gid, rid, seen, new, taken
                ):
                    continue  # another hub worker took these minutes in, and judges them
                subject = f"receiver:{gid}/{rid}"
                verdict = judge(after, subject in open_, self.thresholds)
                if verdict == "raise":
                    changes.append(self._raise(gid, rid, subject, after, now))
                elif verdict == "clear":
                    changes.append(Clear(KIND, subject, now, "the receiver hears adverts again"))
        if not changes:
            return AlertCounts([], [], [])
        counts = await self.store.apply_alert_changes(changes, 0, {})
        for alert in counts.opened:
            log.warning("alert %d opened: %s is deaf", alert.id, alert.subject)
        for alert in counts.resolved:
            log.info("alert %d resolved: %s hears again", alert.id, alert.subject)
        return counts

    def _raise(self, gid: str, rid: str, subject: str, hearing: Hearing, now: datetime) -> Raise:
        entry = self.registry.gateways[gid]
        detail: dict[str, Any] = {
            "gateway": gid,
            "gateway_name": entry.name,
            "receiver": rid,
            "quiet_min": hearing.quiet_min,
            "threshold_min": hearing.threshold(self.thresholds),
            "normal_quiet_min": hearing.normal_quiet(),
            "rate_per_min": round(hearing.rate_per_min, 2),
        }
        if hearing.last_advert is not None:
            detail["last_advert"] = format_ts(hearing.last_advert)
        steps = homeless_steps(self.registry.policies, KIND, now)
        return Raise(KIND, subject, None, Severity.WARNING, now, detail, steps=steps)
