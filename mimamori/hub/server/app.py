"""The hub as an ASGI app: API, pages, static files, and the ingest it owns."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from mimamori import __version__
from mimamori.hub.alerts.channels import AppriseSender
from mimamori.hub.alerts.delivery import DeliveryWorker
from mimamori.hub.alerts.engine import AlertEngine
from mimamori.hub.api.alerts import router as alerts_router
from mimamori.hub.api.audit import router as audit_router
from mimamori.hub.api.federation import router as federation_router
from mimamori.hub.api.people import router as api_router
from mimamori.hub.api.quarantine import router as quarantine_router
from mimamori.hub.api.searches import router as searches_router
from mimamori.hub.api.shared import router as shared_router
from mimamori.hub.config import HubConfig
from mimamori.hub.eid.service import EidService
from mimamori.hub.federation.relay import FederationRelay
from mimamori.hub.ingest.loop import Ingest
from mimamori.hub.ingest.silent import watch_gateways
from mimamori.hub.live.fanout import LiveHub
from mimamori.hub.live.follow import LiveFollower
from mimamori.hub.model.clock import Clock, system_clock
from mimamori.hub.model.events import StoredEvent
from mimamori.hub.privacy.admission import Admission, reconcile_forgotten, search_visits
from mimamori.hub.privacy.retention import run_retention
from mimamori.hub.register.registry import Registry
from mimamori.hub.searches.service import SearchService
from mimamori.hub.server.health import health
from mimamori.hub.server.state import HubState
from mimamori.hub.server.supervise import supervised
from mimamori.hub.store.opening import open_store
from mimamori.hub.web.ack import router as ack_router
from mimamori.hub.web.dashboard import router as dashboard_router
from mimamori.hub.web.households import router as household_pages_router
from mimamori.hub.web.login import router as login_router
from mimamori.hub.web.map import router as pages_router
from mimamori.hub.web.searches import router as search_pages_router
from mimamori.hub.web.security import HubApp

log = logging.getLogger(__name__)


def leaflet_dir() -> Path:
    """Leaflet 1.9.4, shipped as package data by django-js-lib-leaflet: no CDN."""
    return Path(str(resources.files("js_lib_leaflet") / "static" / "js_lib_leaflet"))


def _background(
    tg: asyncio.TaskGroup, hub: HubState, admission: Admission
) -> list[asyncio.Task[None]]:
    """The hub's own loops, each a named task: ingest, the silent-gateway watch, the
    alert engine, the delivery worker, searches, the peers' relay, and the purge of
    old sightings."""
    config, store, live = hub.config, hub.store, hub.live
    delivery = DeliveryWorker(store, AppriseSender(), config.recipients, clock=hub.clock)
    engine = hub.alerts = AlertEngine(
        config, hub.registry, store, clock=hub.clock, on_queued=delivery.wake.set
    )

    follower = LiveFollower(store, live) if config.hub.worker_id is not None else None

    def stored(events: list[StoredEvent]) -> None:
        live.publish(events)
        if follower is not None:
            follower.stored_here(events)
        engine.wake.set()  # the alert rules follow at once

    searches = hub.searches
    assert searches is not None
    ingest = hub.ingest = Ingest(
        config.hub.broker,
        store,
        on_new_events=stored,
        eid=hub.eid,
        relayed=searches.relayed,
        admission=admission,
        worker_id=config.hub.worker_id,
        clock=hub.clock,
    )
    loops: dict[str, Callable[[], Awaitable[None]]] = {
        "ingest": ingest.run,
        "watch-gateways": lambda: watch_gateways(store, hub.clock),
        "alerts": engine.run,
        "delivery": delivery.run,
        "searches": lambda: searches.run(ingest.link),
        "retention": lambda: run_retention(store, hub.registry, config.hub.privacy, hub.clock),
    }
    if follower is not None:  # several workers: the others' sightings, live here too
        loops["live-follow"] = follower.run
    if config.hub.federation is not None:
        relay = FederationRelay(
            config.hub.federation, hub.registry, store, searches.tags, clock=hub.clock
        )
        searches.changed.append(relay.wake)
        loops["federation"] = relay.run
    return [
        tg.create_task(supervised(name, loop, hub.loops), name=name) for name, loop in loops.items()
    ]


def create_app(
    config: HubConfig, *, with_ingest: bool = True, clock: Clock = system_clock
) -> FastAPI:
    """The app; its lifespan opens the store and runs the hub's loops beside the server
    (``with_ingest``; without, the API alone, for tools and tests), on ``clock``."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = await open_store(config.hub.database)
        registry = Registry.from_config(config)
        registry.peer_gateways.update({g.id: g for g in await store.peer_gateways()})
        hub = HubState(config, registry, store, LiveHub(registry), clock=clock)
        hub.searches = SearchService(config.hub.search, registry, store, clock=clock)
        admission = Admission(
            registry,
            require_consent=config.hub.privacy.require_consent,
            visits=lambda: search_visits(store, registry, clock()),
        )
        try:
            hub.eid = hub.searches.eid = await EidService.open(config, registry, store, clock=clock)
            await hub.searches.refresh_relayed()  # before ingest takes its first message
            admission.announce()
            await reconcile_forgotten(store, registry)
            async with asyncio.TaskGroup() as tg:
                tasks = _background(tg, hub, admission) if with_ingest else []
                app.state.hub = hub
                log.info(
                    "hub ready: %d people, %d gateways",
                    len(registry.people),
                    len(registry.gateways),
                )
                try:
                    yield
                finally:
                    for task in tasks:
                        task.cancel()
        finally:
            await store.close()

    # HubApp: security headers, same-origin changes, bounded bodies (docs/security.md).
    app = HubApp(config, title="mimamori hub", version=__version__, lifespan=lifespan)
    app.include_router(api_router)
    app.include_router(alerts_router)
    app.include_router(audit_router)
    app.include_router(searches_router)
    app.include_router(shared_router)
    app.include_router(federation_router)
    app.include_router(quarantine_router)
    app.include_router(pages_router)
    app.include_router(household_pages_router)
    app.include_router(ack_router)
    app.include_router(login_router)
    app.include_router(dashboard_router)
    app.include_router(search_pages_router)
    app.mount("/static/leaflet", StaticFiles(directory=leaflet_dir()), name="leaflet")
    app.mount(
        "/static/app",
        StaticFiles(directory=Path(str(resources.files("mimamori.hub.web") / "static"))),
        name="app",
    )

    @app.get("/healthz", tags=["health"], summary="Liveness: database, broker, loops")
    async def healthz() -> dict[str, Any]:
        return await health(app.state.hub)

    return app
