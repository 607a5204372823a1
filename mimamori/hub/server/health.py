"""``/healthz``: is the hub alive, and is anything wrong that a person should look at.

It answers 200 whenever the process can answer at all (a load balancer's liveness
check), and says "degraded" with the reason: the database or the broker is away, a
loop keeps failing, or lately something valid could not be handled and was set aside
(the quarantine's "failed"). Refused input (a gateway's invalid messages) is counted
but does not degrade the hub: it is the gateway's fault, shown to technicians.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from mimamori.hub.server.state import HubState

log = logging.getLogger(__name__)

RECENT = timedelta(hours=1)


async def health(hub: HubState) -> dict[str, Any]:
    try:
        db_ok = await hub.store.ping()
    except Exception:
        db_ok = False
    broker = (
        "off" if hub.ingest is None else ("connected" if hub.ingest.connected else "disconnected")
    )
    quarantine: dict[str, int] = {}
    if db_ok:
        try:
            quarantine = await hub.store.quarantine_counts(hub.clock() - RECENT)
        except Exception as exc:
            log.warning("healthz: cannot count the quarantine: %s", exc)
    failing = hub.loops.failing()
    set_aside = hub.alerts.failures if hub.alerts is not None else 0
    ok = db_ok and broker != "disconnected" and not failing and not quarantine.get("failed")
    line: dict[str, Any] = {}
    if hub.line is not None and db_ok:
        try:
            line = await hub.line.health()
        except Exception as exc:
            log.warning("healthz: cannot read LINE's count: %s", exc)
    return {
        "status": "ok" if ok else "degraded",
        "db": "ok" if db_ok else "failing",
        "broker": broker,
        "loops": {"failing": failing, "restarts": dict(hub.loops.restarts)},
        "quarantine_last_hour": quarantine,
        "alerts_set_aside": set_aside,
        # The register's version this worker shows: every worker's comes to the same
        # within about a second of a change (hub/register/reload.py).
        "register_version": hub.registry.version,
        "ingest": dict(hub.ingest.counters) if hub.ingest else {},
        "line": line,  # {} without hub.line; "warning": 80 % of the month's messages used
    }
