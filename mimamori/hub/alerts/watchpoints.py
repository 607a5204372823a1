"""Watch points that go offline: one alert for the technician, closed when back for good.

A receiver in a vending machine or a shop that stops talking hears nobody walk by, and
nobody else notices (issue 15: "the technician who keeps the town's receivers learns
of a dead one from nobody"). Every ``EVERY_S`` this watch reads, for each watch point
(a registered gateway that is not a home's), its last ``gateway.online`` /
``gateway.offline`` event (the hub records them from the last will, an orderly stop,
or missed statuses: ``ingest/silent.py``) and decides with ``judge``:

* offline for ``offline_grace_min`` -> raise ``watchpoint_offline`` (subject
  ``gateway:ID``), naming no household and no person, so no family ever sees it; the
  ``default`` policy's route for it (its ``device`` group: the technician) says who
  is told, as for every alert of no household (``routing.homeless_steps``);
* online again for ``hold_down_min`` -> resolve it. A gateway that flaps (down, up,
  down...) inside the hold-down keeps its one alert open: one alert, not one per flap.

All of it is read from the database on the hub's clock, so a restart forgets nothing
and raises nothing twice (one open alert per kind and subject).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Literal

from mimamori.hub.alerts.looks import look_every
from mimamori.hub.alerts.routing import homeless_steps
from mimamori.hub.config import WatchPointSettings
from mimamori.hub.model.alerts import AlertCounts, AlertKind, Change, Clear, Raise, Severity
from mimamori.hub.model.clock import Clock
from mimamori.hub.model.events import GATEWAY_OFFLINE, GATEWAY_ONLINE, StoredEvent
from mimamori.hub.register.registry import Registry
from mimamori.hub.store.port import Store
from mimamori.protocol.timefmt import format_ts

log = logging.getLogger(__name__)

EVERY_S = 30.0  # a fraction of the 15-minute grace: an alert is at most this late
MIN_EVERY_S = 0.5  # a short grace (a test's) still costs a database read at most this often

# The policy watch points followed before the default policy's ``device`` route did.
OLD_TECHNICIAN_POLICY = "technician"

Verdict = Literal["raise", "clear"] | None


def judge(
    last: StoredEvent | None,
    is_open: bool,
    now: datetime,
    grace: timedelta,
    hold_down: timedelta,
) -> Verdict:
    """What to do about one watch point, from its last online/offline event."""
    if last is None:
        return None  # never connected: nothing to lose yet
    since = now - last.received_at
    if last.kind == GATEWAY_OFFLINE and not is_open and since >= grace:
        return "raise"
    if last.kind == GATEWAY_ONLINE and is_open and since >= hold_down:
        return "clear"
    return None


class WatchPoints:
    def __init__(
        self, settings: WatchPointSettings, registry: Registry, store: Store, *, clock: Clock
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.store = store
        self.clock = clock

    def every_s(self) -> float:
        """How often to look: ``EVERY_S``, or a tenth of a shorter grace (at least
        ``MIN_EVERY_S``), so an alert is late by at most that."""
        return max(MIN_EVERY_S, min(EVERY_S, self.settings.offline_grace_min * 60 / 10))

    async def run(self, every_s: float | None = None) -> None:
        every_s = self.every_s() if every_s is None else every_s
        self.warn_of_the_old_technician_policy()
        await look_every(every_s, self.check, "watch points")

    def warn_of_the_old_technician_policy(self) -> bool:
        """A register from before issue 15 was finished may reach its technician through
        a policy named ``technician``, which nothing follows any more: said once at
        start, so the town moves its steps to the default policy's ``device`` route."""
        policies = self.registry.policies
        kind = AlertKind.WATCHPOINT_OFFLINE
        if OLD_TECHNICIAN_POLICY not in policies or homeless_steps(policies, kind, self.clock()):
            return False
        log.warning(
            "watch points: the policy %r is no longer followed; put its steps in the "
            "default policy's routes.device (docs/alerts.md), or nobody is told when a "
            "watch point goes offline",
            OLD_TECHNICIAN_POLICY,
        )
        return True

    async def check(self) -> AlertCounts:
        """Raise and resolve what the last transitions call for, at the hub's now."""
        now = self.clock()
        grace = timedelta(minutes=self.settings.offline_grace_min)
        hold_down = timedelta(minutes=self.settings.hold_down_min)
        online = {g.gateway_id: g.online for g in await self.store.gateway_states()}
        open_ = await self.store.open_alert_subjects(AlertKind.WATCHPOINT_OFFLINE)
        changes: list[Change] = []
        for gid in self.registry.watch_points():
            subject = f"gateway:{gid}"
            is_open = subject in open_
            if online.get(gid) is None or online[gid] != is_open:
                continue  # up with no alert, or down with one: nothing can change
            last = await self.store.last_event_of([gid], [GATEWAY_ONLINE, GATEWAY_OFFLINE])
            verdict = judge(last, is_open, now, grace, hold_down)
            if verdict == "raise" and last is not None:
                entry = self.registry.gateways[gid]
                detail = {
                    "gateway": gid,
                    "gateway_name": entry.name,
                    "offline_since": format_ts(last.received_at),
                }
                kind = AlertKind.WATCHPOINT_OFFLINE
                steps = homeless_steps(self.registry.policies, kind, now)
                changes.append(
                    Raise(kind, subject, None, Severity.WARNING, now, detail, steps=steps or ())
                )
            elif verdict == "clear":
                changes.append(
                    Clear(
                        AlertKind.WATCHPOINT_OFFLINE, subject, now, "the watch point is back online"
                    )
                )
        if not changes:
            return AlertCounts([], [], [])
        counts = await self.store.apply_alert_changes(changes, 0, {})
        for alert in counts.opened:
            log.warning("alert %d opened: watch point %s offline", alert.id, alert.subject)
        for alert in counts.resolved:
            log.info("alert %d resolved: watch point %s back", alert.id, alert.subject)
        return counts
