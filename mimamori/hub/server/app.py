"""The hub as an ASGI app: API, pages, static files, and the ingest it owns."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from mimamori import __version__
from mimamori.hub.api.alerts import router as alerts_router
from mimamori.hub.api.audit import router as audit_router
from mimamori.hub.api.enroll import router as enroll_router
from mimamori.hub.api.federation import router as federation_router
from mimamori.hub.api.line import router as line_router
from mimamori.hub.api.partner_anomalies import router as partner_anomalies_router
from mimamori.hub.api.people import router as api_router
from mimamori.hub.api.quarantine import router as quarantine_router
from mimamori.hub.api.register import router as register_router
from mimamori.hub.api.register_changes import router as register_changes_router
from mimamori.hub.api.register_people import router as register_people_router
from mimamori.hub.api.register_photos import router as register_photos_router
from mimamori.hub.api.rollcall import router as rollcall_router
from mimamori.hub.api.search_bulletins import router as search_bulletins_router
from mimamori.hub.api.searches import router as searches_router
from mimamori.hub.api.shared import router as shared_router
from mimamori.hub.config import HubConfig
from mimamori.hub.found.limits import FinderLimits
from mimamori.hub.model.clock import Clock, system_clock
from mimamori.hub.server.compose import assemble
from mimamori.hub.server.health import health
from mimamori.hub.server.supervise import supervised
from mimamori.hub.store.opening import open_store
from mimamori.hub.web.ack import router as ack_router
from mimamori.hub.web.alert_page import router as alert_page_router
from mimamori.hub.web.bulletin import router as bulletin_page_router
from mimamori.hub.web.checkin_answer import router as checkin_answer_router
from mimamori.hub.web.confirm import router as confirm_router
from mimamori.hub.web.dashboard import router as dashboard_router
from mimamori.hub.web.desk_audit import router as desk_audit_router
from mimamori.hub.web.desk_broker import router as desk_broker_router
from mimamori.hub.web.desk_cases import router as desk_cases_router
from mimamori.hub.web.desk_enroll import router as desk_enroll_router
from mimamori.hub.web.desk_entries import router as desk_entries_router
from mimamori.hub.web.desk_figures import router as desk_figures_router
from mimamori.hub.web.desk_fleet import router as desk_fleet_router
from mimamori.hub.web.desk_gateway_config import router as desk_gateway_config_router
from mimamori.hub.web.desk_line import router as desk_line_router
from mimamori.hub.web.desk_partners import router as desk_partners_router
from mimamori.hub.web.desk_people import router as desk_people_router
from mimamori.hub.web.desk_photos import router as desk_photos_router
from mimamori.hub.web.desk_rollcall import router as desk_rollcall_router
from mimamori.hub.web.found_desk import router as found_desk_router
from mimamori.hub.web.found_family import router as found_family_router
from mimamori.hub.web.found_finder import router as found_finder_router
from mimamori.hub.web.households import router as household_pages_router
from mimamori.hub.web.login import router as login_router
from mimamori.hub.web.map import router as pages_router
from mimamori.hub.web.my_cases import router as my_cases_router
from mimamori.hub.web.partner_report import router as partner_report_router
from mimamori.hub.web.rollcall_answer import router as rollcall_answer_router
from mimamori.hub.web.searches import router as search_pages_router
from mimamori.hub.web.security import HubApp
from mimamori.hub.web.signin import router as signin_router

log = logging.getLogger(__name__)


# Every route of the hub, by room: the API first, then the pages.
ROUTERS = (
    api_router, alerts_router, audit_router, searches_router, shared_router,
    federation_router, quarantine_router, enroll_router, line_router,
    partner_anomalies_router,  # issue 16: a department's system
    # issue 14: the desk's register for API clients
    register_people_router, register_photos_router, register_changes_router, register_router,
    pages_router, signin_router, household_pages_router, ack_router, alert_page_router,
    login_router, dashboard_router, search_pages_router,
    # the desk (issue 14), its fleet (issue 20)
    desk_people_router,
    # issue 19: the safety roll-call (its answer page before /rollcall/{id})
    rollcall_router, rollcall_answer_router, desk_rollcall_router,
    desk_line_router,  # issue 17: LINE linking, before the entries' /desk/contacts/{id}
    desk_entries_router, desk_photos_router, desk_audit_router,
    desk_broker_router, desk_fleet_router, desk_enroll_router, confirm_router,
    # issue 16: partners report, cases, their figures (and the town's, issue 19)
    desk_partners_router, desk_cases_router, partner_report_router, my_cases_router,
    desk_figures_router,
    # issue 18: found-person QR stickers
    found_desk_router, found_finder_router, found_family_router,
    checkin_answer_router,  # issue 17: a LINE check-in's answer link (mail, SMS)
    # issue 18, part 2: the SOS network (consent and bulletins; the partner's page)
    search_bulletins_router, bulletin_page_router,
    desk_gateway_config_router,  # issue 20: a gateway's config from the hub
)  # fmt: skip


def leaflet_dir() -> Path:
    """Leaflet 1.9.4, shipped as package data by django-js-lib-leaflet: no CDN."""
    return Path(str(resources.files("js_lib_leaflet") / "static" / "js_lib_leaflet"))


def create_app(
    config: HubConfig, *, with_ingest: bool = True, clock: Clock = system_clock
) -> FastAPI:
    """The app; its lifespan opens the store, builds the hub's parts (``compose.py``)
    and runs the hub's loops beside the server (``with_ingest``; without, the API
    alone, for tools and tests), on ``clock``."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = await open_store(config.hub.database)
        try:
            hub, loops = await assemble(config, store, clock, with_ingest=with_ingest)
            async with asyncio.TaskGroup() as tg:
                # The hub's own loops, each a named task that a failure does not end.
                tasks = [
                    tg.create_task(supervised(name, loop, hub.loops), name=name)
                    for name, loop in loops.items()
                ]
                app.state.hub = hub
                log.info(
                    "hub ready: %d people, %d gateways",
                    len(hub.registry.people),
                    len(hub.registry.gateways),
                )
                try:
                    yield
                finally:
                    for task in tasks:
                        task.cancel()
            if hub.line is not None:
                await hub.line.close()
        finally:
            await store.close()

    # HubApp: security headers, same-origin changes, bounded bodies (docs/security.md).
    app = HubApp(config, title="mimamori hub", version=__version__, lifespan=lifespan)
    for router in ROUTERS:
        app.include_router(router)
    app.state.found_limits = FinderLimits()  # the finder's pages' bounds, per process
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
