"""The composition root: every part of the hub built once, from the config, the open
store and the hub's clock, into one ``HubState``, with the loops that run them.

The registry is read from the register in the database, once, and every part gets
that one object: the reloader takes each change into it in place (in this worker at
once, from other processes within about a second; ``register/reload.py``).

What a part needs it gets here, in its constructor: the clock above all, so that a
test (or a bench) that gives the hub a virtual clock moves every part with it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from mimamori.hub.access.signin_guard import SigninGuard
from mimamori.hub.alerts.channels import AppriseSender
from mimamori.hub.alerts.deafness import DeafReceivers
from mimamori.hub.alerts.delivery import DeliveryWorker
from mimamori.hub.alerts.engine import AlertEngine
from mimamori.hub.alerts.gateway_health import GatewayHealth
from mimamori.hub.alerts.reminders import Reminders
from mimamori.hub.alerts.watchpoints import WatchPoints
from mimamori.hub.cases.not_seen import NotSeenRule
from mimamori.hub.checkins.line import LineCheckins
from mimamori.hub.config import HubConfig
from mimamori.hub.desk.confirmations import ContactConfirmations
from mimamori.hub.eid.service import EidService
from mimamori.hub.federation.relay import FederationRelay
from mimamori.hub.found.sweep import run_sweep
from mimamori.hub.ingest.loop import Ingest
from mimamori.hub.ingest.silent import watch_gateways
from mimamori.hub.line.contacts import RegisterContacts
from mimamori.hub.line.search import LineSearch
from mimamori.hub.live.after_commit import AfterCommit
from mimamori.hub.live.fanout import LiveHub
from mimamori.hub.live.follow import LiveFollower
from mimamori.hub.model.clock import Clock
from mimamori.hub.privacy.admission import Admission, reconcile_forgotten, search_visits
from mimamori.hub.privacy.retention import run_retention
from mimamori.hub.register.changes import RegisterChanges
from mimamori.hub.register.loading import load_registry
from mimamori.hub.register.registry import Registry
from mimamori.hub.register.reload import RegistryReloader
from mimamori.hub.rollcall.service import RollCalls
from mimamori.hub.searches.bulletins import Bulletins
from mimamori.hub.searches.service import SearchService
from mimamori.hub.searches.updates import SearchUpdates
from mimamori.hub.server.state import HubState
from mimamori.hub.store.port import Store

if TYPE_CHECKING:
    from mimamori.hub.line.service import LineService

Loop = Callable[[], Awaitable[None]]


def _waking(event: asyncio.Event) -> Callable[[], Awaitable[None]]:
    async def wake() -> None:
        event.set()

    return wake


async def assemble(
    config: HubConfig, store: Store, clock: Clock, *, with_ingest: bool
) -> tuple[HubState, dict[str, Loop]]:
    """The hub's state and its loops by name (none without ``with_ingest``: the API
    alone). Raises what opening the parts raises (EidKeyError: no key-encryption key)."""
    registry = await load_registry(store)
    registry.peer_gateways.update({g.id: g for g in await store.peer_gateways()})
    reloader = RegistryReloader(registry, store)
    register = RegisterChanges(store, clock, changed=reloader.changed)
    live = LiveHub(registry)
    eid = await EidService.open(config, registry, store, clock=clock)
    searches = SearchService(config.hub.search, registry, store, clock=clock, eid=eid)
    # The SOS network (issue 18): woken at each start and end of a search, and consent.
    bulletins = Bulletins(registry, store, clock=clock, public_url=config.hub.http.public_url)
    searches.changed.append(bulletins.wake)
    await searches.refresh_relayed()  # before ingest takes its first message
    admission = Admission(
        registry,
        require_consent=config.hub.privacy.require_consent,
        visits=lambda: search_visits(store, registry, clock()),
    )
    admission.announce()

    # At start and around each change of the register: forgotten people's tags.
    await reconcile_forgotten(store, registry)
    await admission.refresh_forgotten(store)
    reloader.before.append(lambda: admission.refresh_forgotten(store))
    reloader.after.append(lambda: reconcile_forgotten(store, registry))
    line = _line(config, store, registry, clock)

    def state(
        after_commit: AfterCommit,
        ingest: Ingest | None = None,
        alerts: AlertEngine | None = None,
        rollcall: RollCalls | None = None,
        checkins: LineCheckins | None = None,
    ) -> HubState:
        return HubState(
            config=config,
            registry=registry,
            register=register,
            store=store,
            clock=clock,
            live=live,
            after_commit=after_commit,
            searches=searches,
            bulletins=bulletins,
            eid=eid,
            signin=SigninGuard(store),
            ingest=ingest,
            alerts=alerts,
            line=line,
            rollcall=rollcall
            or RollCalls(registry, store, clock=clock, public_url=config.hub.http.public_url),
            checkins=checkins,
        )

    if not with_ingest:
        return state(AfterCommit(live)), {}

    delivery = DeliveryWorker(
        store,
        AppriseSender(),
        clock=clock,
        line=line.push if line is not None else None,
        sole=config.hub.worker_id is None,
    )
    alerts = AlertEngine(config, registry, store, clock=clock, on_queued=delivery.wake.set)
    # The person first (issue 15): level-0 missed check-ins beep the button, at once.
    reminders = Reminders(
        config.hub.reminders,
        registry,
        store,
        clock=clock,
        send=lambda topic, payload, expiry_s: ingest.link.publish(
            topic, payload, qos=1, expiry_s=expiry_s
        ),
        line=line is not None,
        on_queued=delivery.wake.set,
    )
    # The safety roll-call (issue 19): its buttons told through this worker's broker.
    rollcall = RollCalls(
        registry,
        store,
        clock=clock,
        public_url=config.hub.http.public_url,
        send=lambda topic, payload, expiry_s: ingest.link.publish(
            topic, payload, qos=1, expiry_s=expiry_s
        ),
        line=line is not None,
        on_queued=delivery.wake.set,
    )
    # Whoever commits new events (ingest, a peer's sightings) hands them on the same way.
    # The alert rules, the reminders and the roll-call follow at once.
    after_commit = AfterCommit(live, wake=[alerts.wake, reminders.wake, rollcall.wake])
    ingest = Ingest(
        config.hub.broker,
        store,
        after_commit=after_commit,
        eid=eid,
        relayed=searches.relayed,
        admission=admission,
        worker_id=config.hub.worker_id,
        clock=clock,
    )
    # Contacts told they are registered: after each change of the register, at once.
    confirmations = ContactConfirmations(store, registry, clock, config.hub.http.public_url)
    reloader.after.append(_waking(confirmations.wake))
    loops: dict[str, Loop] = {
        "ingest": ingest.run,
        "confirmations": confirmations.run,
        "register": reloader.run,
        "watch-gateways": lambda: watch_gateways(store, clock),
        "reminders": reminders.run,
        "rollcall": rollcall.run,
        "watch-points": WatchPoints(config.hub.watch_points, registry, store, clock=clock).run,
        "deaf-receivers": DeafReceivers(config.hub.watch_points, registry, store, clock=clock).run,
        "gateway-health": GatewayHealth(config.hub.watch_points, registry, store, clock=clock).run,
        "alerts": alerts.run,
        "delivery": delivery.run,
        "searches": lambda: searches.run(ingest.link),
        "retention": lambda: run_retention(store, registry, config.hub.privacy, clock),
        "not-seen": NotSeenRule(store, registry, clock).run,  # issue 16
        "found-sweep": lambda: run_sweep(store, config.hub.privacy, clock),  # issue 18
        "bulletins": bulletins.run,  # issue 18: the SOS network
    }
    bulletins.on_queued = delivery.wake.set
    # Issue 17: the people searching told of a search's start and end (LINE first).
    searches.updates = SearchUpdates(
        registry, store, clock=clock, public_url=config.hub.http.public_url,
        line=line is not None, on_queued=delivery.wake.set,
    )  # fmt: skip
    checkins = None
    if line is not None:
        loops["line"] = line.events.run
        # 「さがす」: a family's contact starts a search from LINE (issue 17).
        line.events.search = LineSearch(
            registry, store, searches, clock=clock, public_url=config.hub.http.public_url
        )
        line.events.taps.append(line.events.search.tap)  # its buttons
        # Check-in by LINE for people with no button (issue 17): decided here, on the
        # hub's clock; its events go the way a gateway's do.
        checkins = LineCheckins(
            registry, store, clock=clock, after_commit=after_commit, on_queued=delivery.wake.set
        )
        line.events.taps.append(checkins.tap)
        line.events.taps.append(rollcall.tap)  # 元気です / 助けが必要 (issue 19)
        reloader.after.append(_waking(checkins.wake))
        loops["line-checkins"] = checkins.run
    if config.hub.worker_id is not None:  # several workers: the others' sightings, live here
        loops["live-follow"] = LiveFollower(store, live).run
    if config.hub.federation is not None:
        relay = FederationRelay(config.hub.federation, registry, store, searches.tags, clock=clock)
        searches.changed.append(relay.wake)
        loops["federation"] = relay.run
    return state(after_commit, ingest, alerts, rollcall, checkins), loops


def _line(config: HubConfig, store: Store, registry: Registry, clock: Clock) -> LineService | None:
    """The town's LINE account (docs/line.md), or None without ``hub.line``. Its module
    brings LINE's SDK, imported only here (line/client.py says why)."""
    if config.hub.line is None:
        return None
    from mimamori.hub.line.service import LineService

    return LineService(
        config.hub.line,
        store,
        RegisterContacts(registry),
        clock=clock,
        public_url=config.hub.http.public_url,
    )
