"""The staff dashboard: open alerts by severity and age (answer them here), households
and their check-ins, gateways online or not, and notifications that failed.

Everyone signed in sees it within their scope (a volunteer: their households); the
failed notifications are for staff and admins. Answers are form POSTs, accepted only
from the hub's own pages (``security.SameOriginGuard``), audited like the API's.

The page has forms (a note with each answer), so it never reloads itself: its script
(``static/dashboard.js``) asks ``/dashboard/version`` every ``PageSettings.refresh_s``
and, when what the page shows has changed, says so with a link to the new state;
whatever is being typed stays.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response

from mimamori.hub.access.policy import (
    alert_scope,
    person_scope,
    visible_gateways,
    visible_households,
)
from mimamori.hub.alerts.messages import what_of
from mimamori.hub.alerts.responses import respond
from mimamori.hub.api.audit import record
from mimamori.hub.households.summary import summary
from mimamori.hub.model.alerts import Severity
from mimamori.hub.model.escalation import Answer
from mimamori.hub.web import household_view as view
from mimamori.hub.web.context import PageContext, SignedIn

router = APIRouter(include_in_schema=False)
# Failed notifications listed at most: the newest; the API has them all.
MAX_FAILURES = 50


@dataclass(frozen=True)
class AlertRow:
    id: int
    severity: str  # critical, warning, info
    about: str
    what: str
    since: datetime
    state: str
    actions: tuple[str, ...]


@dataclass(frozen=True)
class SearchRow:
    id: str
    name: str
    since: datetime
    started_by: str


@dataclass(frozen=True)
class HomeRow:
    id: str
    name: str
    state: view.StateLabel


@dataclass(frozen=True)
class Dashboard:
    """What the page shows, without the ages (they follow from ``now``): two of these
    differ exactly when the page would show something new."""

    searches: tuple[SearchRow, ...]
    alerts: tuple[AlertRow, ...]
    homes: tuple[HomeRow, ...]
    gateways: tuple[view.Line, ...]
    failures: tuple[str, ...] | None  # None: not for this principal

    def version(self) -> str:
        return hashlib.sha256(repr(self).encode()).hexdigest()[:16]


async def _dashboard(page: PageContext, now: datetime) -> Dashboard:
    hub, who, t = page.hub, page.who, page.t
    registry = hub.registry
    people = person_scope(registry, who)
    searches = []
    for search in await hub.store.searches(people, active_only=True):
        person = registry.people.get(search.person_id)
        name = person.name if person else search.person_id
        searches.append(SearchRow(search.id, name, search.started_at, search.started_by))
    alerts = []
    for a in await hub.store.alerts(alert_scope(registry, who), include_resolved=False):
        home = registry.households.get(a.household_id or "")
        person = registry.people.get(a.person_id or "")
        about = person.name if person else (home.name if home else a.subject)
        state = t(f"alert_{a.state}")
        if a.acked_by:
            state = t("alert_state_by", state=state, who=a.acked_by)
        actions = ("ack", "resolve") if a.state == "open" else ("resolve",)
        severity = Severity(a.severity).name.lower()
        what = what_of(a, page.lang)
        alerts.append(AlertRow(a.id, severity, about, what, a.opened_at, state, actions))
    homes = [
        HomeRow(home.id, home.name, view.state_label(await summary(hub.store, home, now), t))
        for home in visible_households(registry, who)
    ]
    online = {s.gateway_id: s.online for s in await hub.store.gateway_states()}
    gateways = []
    for g in visible_gateways(registry, who):
        up = online.get(g.id)
        key = "unknown" if up is None else ("online" if up else "offline")
        css = "unknown" if up is None else ("good" if up else "bad")
        gateways.append(view.Line(css, f"{g.name}: {t(key)}"))
    failures = None
    if who.sees_all_homes:
        failed = [n for n in await hub.store.notification_log() if n["last_error"]]
        failures = tuple(
            f"{n['recipient_id']} #{n['channel']} ({n['state']}, {n['attempts']}): "
            f"{n['last_error']}"
            for n in failed[:MAX_FAILURES]
        )
    return Dashboard(tuple(searches), tuple(alerts), tuple(homes), tuple(gateways), failures)


@router.get("/dashboard")
async def dashboard(page: SignedIn) -> Response:
    now = page.hub.clock()
    shown = await _dashboard(page, now)
    return page.render(
        "dashboard.html",
        board=shown,
        now=now,
        version=shown.version(),
        poll_s=page.settings.refresh_s,
    )


@router.get("/dashboard/version")
async def dashboard_version(page: SignedIn) -> dict[str, str]:
    """What ``dashboard.js`` compares with the page it is on (no personal data)."""
    return {"version": (await _dashboard(page, page.hub.clock())).version()}


@router.post("/dashboard/alerts/{alert_id}/{action}")
async def answer(
    page: SignedIn,
    alert_id: int,
    action: str,
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    hub, who = page.hub, page.who
    alert = await hub.store.alert(alert_id)
    scope = alert_scope(hub.registry, who)
    if action not in ("ack", "resolve") or alert is None or (scope and not scope.covers(alert)):
        return page.message("household_unknown_title", "household_unknown", 404)
    await record(hub, who, f"alert.{action}", f"alert:{alert_id}", note)
    # "ack" is 対応します: the chain waits for the policy's handling timeout (issue 15).
    answer: Answer = "handling" if action == "ack" else "resolve"
    await respond(
        hub.store, hub.registry, hub.clock, alert_id, answer, who=who.name, role=who.role,
        note=note,
    )  # fmt: skip
    return RedirectResponse("/dashboard", status_code=303)
