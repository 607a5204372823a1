"""Sightings are kept ``privacy.sightings_days``, then purged, except what is still needed.

Needed means inside a protected window: the sightings of the people an open (or
acknowledged) alert is about, from ``sightings_days`` before it opened until now,
stay until it is resolved; those of a searched person, from ``sightings_days``
before the search started, while it runs (``search_windows``). The purge runs at
the hub's start and every ``purge_every_h`` in the hub's TaskGroup, and on demand
with ``mimamori hub purge``. More reasons to keep sightings are more windows.

The same purge deletes the receivers' rates older than ``RATE_DAYS`` (the fleet page's
sparkline draws the last day; they hold no personal data).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from mimamori.errors import StoreError
from mimamori.hub.config import PrivacySettings
from mimamori.hub.model.clock import Clock
from mimamori.hub.model.fleet import RATE_DAYS
from mimamori.hub.model.privacy import ProtectedWindow, PurgeReport
from mimamori.hub.register.registry import Registry
from mimamori.hub.store.port import Store

log = logging.getLogger(__name__)

RETRY_S = 300.0  # a purge that failed (database busy) is tried again this soon


def people_of_subject(registry: Registry, subject: str) -> list[str]:
    """The people an alert's subject is about: ``person:ID`` or ``household:ID[/device]``."""
    kind, _, rest = subject.partition(":")
    if kind == "person":
        return [rest] if rest in registry.people else []
    if kind == "household":
        home = registry.households.get(rest.split("/", 1)[0])
        return list(home.people) if home else []
    return []


async def alert_windows(
    store: Store, registry: Registry, max_age: timedelta, now: datetime
) -> list[ProtectedWindow]:
    """One window per alert not yet resolved: what was kept when it opened stays."""
    windows = []
    for alert in await store.alerts(None, include_resolved=False, limit=100_000):
        tags = tuple(
            t for p in people_of_subject(registry, alert.subject) for t in registry.tags_of(p)
        )
        if tags:
            windows.append(
                ProtectedWindow(tags, alert.opened_at - max_age, now, f"alert:{alert.id}")
            )
    return windows


async def search_windows(
    store: Store, registry: Registry, max_age: timedelta, now: datetime
) -> list[ProtectedWindow]:
    """The sightings searches need: while a search runs, its person's sightings from
    ``sightings_days`` before it started until now (the last places they were seen are
    where searchers begin). Once it ends they age out like any other."""
    return [
        ProtectedWindow(tags, search.started_at - max_age, now, f"search:{search.id}")
        for search in await store.searches(None, active_only=True, limit=10_000)
        if (tags := tuple(registry.tags_of(search.person_id)))
    ]


async def protected_windows(
    store: Store, registry: Registry, max_age: timedelta, now: datetime
) -> list[ProtectedWindow]:
    return [
        *await alert_windows(store, registry, max_age, now),
        *await search_windows(store, registry, max_age, now),
    ]


async def purge(
    store: Store,
    registry: Registry,
    settings: PrivacySettings,
    now: datetime,
    *,
    dry_run: bool = False,
) -> PurgeReport:
    """Purge (or count, ``dry_run``) the sightings older than the retention, once."""
    max_age = timedelta(days=settings.sightings_days)
    windows = await protected_windows(store, registry, max_age, now)
    report = await store.purge_sightings(now - max_age, windows, dry_run=dry_run)
    if not dry_run:
        rates = await store.prune_receiver_rates(now - timedelta(days=RATE_DAYS))
        if rates:
            log.info("purge: removed %d receiver rate(s) older than %d days", rates, RATE_DAYS)
    return report


def describe(report: PurgeReport) -> str:
    """One line for the log and the command: what went (or would go), by kind."""
    kinds = ", ".join(f"{kind} {n}" for kind, n in report.removed.items()) or "none"
    verb = "would remove" if report.dry_run else "removed"
    return (
        f"{verb} {report.total} sighting(s) from before {report.cutoff:%Y-%m-%d %H:%M} UTC "
        f"({kinds}); kept {report.protected} older one(s) for open alerts or searches"
    )


async def run_retention(
    store: Store, registry: Registry, settings: PrivacySettings, clock: Clock
) -> None:
    """The hub's scheduled purge: at once, then every ``purge_every_h``; what is old is
    judged by the hub's ``clock``."""
    while True:
        try:
            report = await purge(store, registry, settings, clock())
        except StoreError as exc:
            log.warning("purge failed, trying again in %g s: %s", RETRY_S, exc)
            await asyncio.sleep(RETRY_S)
            continue
        log.info("purge: %s", describe(report))
        await asyncio.sleep(settings.purge_every_h * 3600)
