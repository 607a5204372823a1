"""The alert engine: events -> alerts -> escalation steps -> queued notifications.

Two durable loops, no in-memory timers. ``process_events`` follows the events table
with a cursor (a hub killed between storing an event and raising its alert raises it
on restart); several hub workers may all run it, as a batch is applied only by the
one that moves the cursor from where the batch was read. ``escalate`` takes the
escalation rows that have come due and queues their notifications in the same
transaction that marks them done. Time is a parameter, so tests drive both with a
virtual clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from mimamori.errors import StoreError
from mimamori.hub.alerts.links import LINK_TTL, AckLink, make_token
from mimamori.hub.alerts.messages import plain, render
from mimamori.hub.alerts.notices import Running, contacts, notices_for
from mimamori.hub.alerts.people import person_changes
from mimamori.hub.alerts.routing import homeless_steps, steps_for
from mimamori.hub.alerts.rules import decide
from mimamori.hub.config import HubConfig
from mimamori.hub.model.alerts import (
    LINE_CHANNEL,
    AlertCounts,
    Change,
    DueEscalation,
    Notice,
    NotificationDraft,
    PlanStep,
    Raise,
)
from mimamori.hub.model.clock import Clock
from mimamori.hub.model.events import StoredEvent
from mimamori.hub.model.quarantine import Quarantined, Source
from mimamori.hub.register.registry import Registry
from mimamori.hub.register.schema import Household, Recipient
from mimamori.hub.store.port import Store
from mimamori.protocol.events import TAG_KINDS
from mimamori.protocol.timefmt import format_ts

log = logging.getLogger(__name__)

BATCH = 500
ACK_SECRET = "ack-links"
EVERY_S = 2.0  # how often due escalation steps are looked for
STEP_BATCH = 100  # due steps read at a time
# At most this many batches per pass (10,000 steps), so new events are still read
# between them however many steps are due.
MAX_STEP_BATCHES = 100


def plans_of(registry: Registry) -> dict[str, list[PlanStep]]:
    """Each household's and person's escalation plan, from its policy."""
    plans: dict[str, list[PlanStep]] = {}
    for key, name in registry.policy_names().items():
        policy = registry.policies.get(name)
        if policy is not None:
            plans[key] = [
                PlanStep(i, step.after_min * 60, tuple(step.notify))
                for i, step in enumerate(policy.steps)
            ]
    return plans


@dataclass(frozen=True)
class _Plans:
    """What the engine derives from one version of the register."""

    version: int
    plans: dict[str, list[PlanStep]]
    policies: dict[str, str]  # plan -> policy
    outings: bool  # anyone opted in to outing notices


class AlertEngine:
    def __init__(
        self,
        config: HubConfig,
        registry: Registry,
        store: Store,
        *,
        clock: Clock,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        self.config = config
        self.on_queued = on_queued  # notifications were queued: wake the delivery worker
        self.registry = registry  # reloaded in place as the register changes
        self.store = store
        self.clock = clock
        self.wake = asyncio.Event()  # set by ingest when new events were stored
        self.failures = 0  # events and steps set aside (the hub's health says so)
        self._derived = _Plans(-1, {}, {}, False)

    @property
    def _plans(self) -> _Plans:
        """The plans of the register as it stands (derived again when it changed)."""
        registry = self.registry
        if self._derived.version != registry.version:
            self._derived = _Plans(
                registry.version,
                plans_of(registry),
                registry.policy_names(),
                any(p.outings for p in registry.people.values()),
            )
        return self._derived

    @property
    def plans(self) -> dict[str, list[PlanStep]]:
        return self._plans.plans

    @property
    def recipients(self) -> dict[str, Recipient]:
        return self.registry.recipients

    async def _running(self) -> dict[str, Running]:
        """Running searches by person, with the recipients who hear of sightings."""
        running: dict[str, Running] = {}
        recipients = list(self.registry.recipients.values())
        for search in await self.store.searches(None, active_only=True):
            told = contacts(await self.store.participants(search.id), recipients)
            running[search.person_id] = Running(search, tuple(told))
        return running

    def _channels(self) -> dict[str, int]:
        """How many channels each recipient has (the masked list: no secret read)."""
        return {r.id: len(r.channels) for r in self.registry.recipients.values()}

    async def process_events(self) -> AlertCounts:
        total = AlertCounts([], [], [])
        while True:
            since, cursor, events = await self.store.events_for_alerts(BATCH)
            if not events:
                return total
            try:
                counts = await self._apply(events, since, cursor)
            except Exception as exc:
                if not await self._database_answers():
                    raise StoreError(f"the database does not answer: {exc}") from exc
                # One of these events cannot be handled: take them one at a time, so
                # only that one is set aside and the others still raise their alerts.
                counts = await self._apply_one_by_one(len(events))
            if counts.stale:
                continue  # another hub worker took these events: read on from its cursor
            for alert in counts.opened:
                log.warning("alert %d opened: %s %s", alert.id, alert.kind, alert.subject)
            for alert in counts.resolved:
                log.info("alert %d resolved: %s", alert.id, alert.resolve_note)
            total.opened.extend(counts.opened)
            total.updated.extend(counts.updated)
            total.resolved.extend(counts.resolved)

    def _routed(self, change: Change) -> Change:
        """A raise with the steps its policy names for its kind at its hour."""
        if not isinstance(change, Raise):
            return change
        policy = self.registry.policies.get(self._plans.policies.get(change.plan, ""))
        if policy is None:
            # No home's policy (a gateway's clock): the "default" policy's route for
            # the kind, if it names one (the technician's).
            steps = homeless_steps(self.registry.policies, change.kind, change.at)
            return change if steps is None else replace(change, steps=steps)
        return replace(change, steps=steps_for(policy, change.kind, change.at))

    async def _apply(self, events: list[StoredEvent], since: int, cursor: int) -> AlertCounts:
        changes = [
            self._routed(c)
            for e in events
            for c in (*decide(e, self.registry), *person_changes(e, self.registry))
        ]
        notices = await self._notices(events)
        counts = await self.store.apply_alert_changes(
            changes, cursor, self.plans, notices, since=since
        )
        if not counts.stale and any(n.notifications for n in notices) and self.on_queued:
            self.on_queued()
        return counts

    async def _apply_one_by_one(self, n: int) -> AlertCounts:
        total = AlertCounts([], [], [])
        for _ in range(n):
            since, cursor, events = await self.store.events_for_alerts(1)
            if not events:
                break
            try:
                counts = await self._apply(events, since, cursor)
            except Exception as exc:
                if not await self._database_answers():
                    raise StoreError(f"the database does not answer: {exc}") from exc
                await self._set_aside("alerts", events[0], exc)
                counts = await self.store.apply_alert_changes([], cursor, self.plans, since=since)
            if counts.stale:
                break
            total.opened.extend(counts.opened)
            total.updated.extend(counts.updated)
            total.resolved.extend(counts.resolved)
        return total

    async def _set_aside(self, source: Source, event: StoredEvent, exc: Exception) -> None:
        """An event the rules could not handle: logged, counted, kept in the quarantine."""
        self.failures += 1
        detail = f"event {event.id}: {type(exc).__name__}: {str(exc)[:300]}"
        log.error("alert engine: set aside %s", detail, exc_info=exc)
        body = json.dumps(
            {"id": event.id, "kind": event.kind, "ts": format_ts(event.ts), "data": event.data}
        )
        item = Quarantined(
            source, "event_failed", detail, True, event.gateway_id, None, body.encode()
        )
        await self.store.quarantine([item], self.clock())

    async def _database_answers(self) -> bool:
        try:
            return await self.store.ping()
        except Exception:
            return False

    async def _notices(self, events: list[StoredEvent]) -> list[Notice]:
        if not any(e.kind in TAG_KINDS for e in events):
            return []
        running = await self._running()
        if not running and not self._plans.outings:
            return []  # a busy town's sightings cost no lookups
        counts, now = self._channels(), self.clock()
        # Recipients bound to LINE hear there, as of alerts (their other channels are
        # the queue's fallback).
        on_line = await self.store.line_bound(list(counts)) if self.config.hub.line else set()
        channels = {
            rid: [LINE_CHANNEL] if rid in on_line else list(range(count))
            for rid, count in counts.items()
        }
        return [
            n
            for e in events
            for n in notices_for(
                e,
                self.registry,
                running,
                self.recipients,
                channels,
                public_url=self.config.hub.http.public_url,
                search_every_s=self.config.hub.search.notify_every_min * 60,
                now=now,
            )
        ]

    async def escalate(self, now: datetime) -> int:
        """Queue the notifications of every step due by ``now``; returns how many steps.
        A step that cannot be handled is marked done with nothing sent and set aside:
        it must not hold up the steps behind it."""
        done = 0
        # Every step due, not one batch per pass: with 1,000 alerts due at once (a
        # town-wide outage) one batch of 100 every 2 s left the last steps 23 s late
        # (``mimamori bench alerts --outage 1000``, docs/performance.md).
        for _ in range(MAX_STEP_BATCHES):
            batch = await self.store.due_escalations(now, limit=STEP_BATCH)
            for due in batch:
                done += await self._take(due, now)
            if len(batch) < STEP_BATCH:
                break
        return done

    async def _take(self, due: DueEscalation, now: datetime) -> int:
        try:
            return await self._escalate(due, now)
        except Exception as exc:
            if not await self._database_answers():
                raise StoreError(f"the database does not answer: {exc}") from exc
            self.failures += 1
            detail = f"alert {due.alert.id} step {due.step}: {type(exc).__name__}: {exc}"
            log.error("alert engine: set aside %s", detail[:500], exc_info=exc)
            item = Quarantined("escalation", "step_failed", detail[:500], True)
            await self.store.quarantine([item], now)
            await self.store.complete_escalation(due.id, [], None, now)
            return 0

    def _words(
        self, due: DueEscalation, recipient: Recipient, token: str, home: Household | None
    ) -> tuple[str, str]:
        alert, url = due.alert, self.config.hub.http.public_url
        try:
            return render(alert, home, recipient.lang, url, due.round > 0, token, due.action)
        except Exception:
            log.exception(
                "alert %d: the message could not be written; sending the plain one", alert.id
            )
            return plain(alert, recipient.lang, url, token)

    async def _escalate(self, due: DueEscalation, now: datetime) -> int:
        alert = due.alert
        home = self.registry.households.get(alert.household_id or "")
        drafts: list[NotificationDraft] = []
        # Recipients bound to LINE hear there; their other channels are the fallback.
        on_line = await self.store.line_bound(due.recipients) if self.config.hub.line else set()
        for rid in due.recipients:
            recipient = self.recipients.get(rid)
            if recipient is None:
                continue
            link = AckLink(alert.id, rid, now + LINK_TTL)
            token = make_token(await self.store.secret(ACK_SECRET), link)
            title, body = self._words(due, recipient, token, home)
            channels = recipient.channels  # masked: how many, not what
            numbers = [LINE_CHANNEL] if rid in on_line else list(range(len(channels)))
            drafts += [
                NotificationDraft(
                    alert.id,
                    rid,
                    n,
                    f"alert-{alert.id}-step-{due.step}-round-{due.round}-{rid}-"
                    + ("line" if n == LINE_CHANNEL else str(n)),
                    title,
                    body,
                )
                for n in numbers
            ]
        plan = f"person:{alert.person_id}" if alert.person_id else (alert.household_id or "")
        # An alert of no plan may name its policy (a partner's report: cases/routing.py).
        name = self._plans.policies.get(plan) or str(alert.detail.get("policy", ""))
        policy = self.registry.policies.get(name)
        repeat_min = policy.repeat_min if policy is not None else None
        repeat_at = now + timedelta(minutes=repeat_min) if repeat_min else None
        if not await self.store.complete_escalation(due.id, drafts, repeat_at, now):
            return 0
        if drafts and self.on_queued is not None:
            self.on_queued()
        log.info(
            "alert %d step %d round %d: %d notifications queued",
            alert.id,
            due.step,
            due.round,
            len(drafts),
        )
        return 1

    async def step(self) -> int:
        """Raise what the new events say, then take every escalation step that has come
        due by the hub's clock; how many steps were taken."""
        await self.process_events()
        return await self.escalate(self.clock())

    async def run(self) -> None:
        """Follow events and escalations until cancelled."""
        while True:
            try:
                await self.step()
            except StoreError as exc:
                log.warning("alert engine: %s; retrying", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), EVERY_S)
            self.wake.clear()
