"""The staff dashboard: open alerts by severity and age (answer them here), households
and their check-ins, gateways online or not, and notifications that failed.

Everyone signed in sees it within their scope (a volunteer: their households); the
failed notifications are for staff and admins. Answers are form POSTs, accepted only
from the hub's own pages (``security.SameOriginGuard``), audited like the API's.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mimamori.hub.access.deps import Hub, find_principal
from mimamori.hub.access.policy import (
    Principal,
    alert_scope,
    visible_gateways,
    visible_households,
    visible_people,
)
from mimamori.hub.alerts.messages import what_of
from mimamori.hub.api.audit import record
from mimamori.hub.households.summary import summary
from mimamori.hub.model.alerts import Severity
from mimamori.hub.server.state import HubState
from mimamori.hub.web.households import _page, _state
from mimamori.hub.web.i18n import Lang, t
from mimamori.hub.web.map import _lang, _remember_lang, message_page

router = APIRouter(include_in_schema=False)


def _e(text: object) -> str:
    return html.escape(str(text))


def _age(since: datetime, now: datetime, lang: Lang) -> str:
    minutes = int((now - since).total_seconds() // 60)
    if minutes < 60:
        return f"{minutes}分前" if lang == "ja" else f"{minutes} min ago"
    hours = minutes // 60
    if hours < 48:
        return f"{hours}時間前" if lang == "ja" else f"{hours} h ago"
    return f"{hours // 24}日前" if lang == "ja" else f"{hours // 24} days ago"


async def _alerts(hub: HubState, who: Principal, lang: Lang, now: datetime) -> str:
    found = await hub.store.alerts(alert_scope(hub.registry, who), include_resolved=False)
    if not found:
        return f'<p id="no-alerts">{_e(t("dash_no_alerts", lang))}</p>'
    rows = []
    for a in found:
        home = hub.registry.households.get(a.household_id or "")
        person = hub.registry.people.get(a.person_id or "")
        about = person.name if person else (home.name if home else a.subject)
        severity = Severity(a.severity).name.lower()
        forms = "".join(
            f'<form method="post" action="/dashboard/alerts/{a.id}/{action}" class="answer">'
            f'<input name="note" maxlength="1000" placeholder="{_e(t("dash_note", lang))}">'
            f'<button type="submit" class="{action}">{_e(t(f"dash_{action}", lang))}</button>'
            "</form>"
            for action in (("ack", "resolve") if a.state == "open" else ("resolve",))
        )
        state = t(f"alert_{a.state}", lang) + (f"（{a.acked_by}）" if a.acked_by else "")
        rows.append(
            f'<tr class="sev-{severity}" data-alert="{a.id}">'
            f'<td><span class="sev">{_e(t(f"sev_{severity}", lang))}</span></td>'
            f"<td>{_e(about)}</td>"
            f"<td>{_e(what_of(a, lang))}</td><td>{_e(_age(a.opened_at, now, lang))}</td>"
            f'<td class="state">{_e(state)}</td><td>{forms}</td></tr>'
        )
    return f'<table class="hh-list" id="alerts"><tbody>{"".join(rows)}</tbody></table>'


async def _searches(hub: HubState, who: Principal, lang: Lang, now: datetime) -> str:
    people = None if who.sees_all_homes else [p.id for p in visible_people(hub.registry, who)]
    running = await hub.store.searches(people, active_only=True)
    if not running:
        return f'<p id="no-searches">{_e(t("dash_no_searches", lang))}</p>'
    rows = []
    for search in running:
        person = hub.registry.people.get(search.person_id)
        name = person.name if person else search.person_id
        rows.append(
            f'<tr><td><a href="/searches/{_e(search.id)}">{_e(name)}</a></td>'
            f"<td>{_e(_age(search.started_at, now, lang))}</td>"
            f"<td>{_e(search.started_by)}</td></tr>"
        )
    return f'<table class="hh-list" id="searches"><tbody>{"".join(rows)}</tbody></table>'


async def _homes(hub: HubState, who: Principal, lang: Lang, now: datetime) -> str:
    rows = []
    for home in visible_households(hub.registry, who):
        view = await summary(hub.store, home, now)
        rows.append(
            f'<tr><td><a href="/households/{_e(home.id)}">{_e(home.name)}</a></td>'
            f"<td>{_state(view, lang)}</td></tr>"
        )
    return f'<table class="hh-list" id="homes"><tbody>{"".join(rows)}</tbody></table>'


async def _gateways(hub: HubState, who: Principal, lang: Lang) -> str:
    states = {s.gateway_id: s.online for s in await hub.store.gateway_states()}
    items = []
    for g in visible_gateways(hub.registry, who):
        online = states.get(g.id)
        key = "unknown" if online is None else ("online" if online else "offline")
        css = "unknown" if online is None else ("good" if online else "bad")
        items.append(f'<li class="{css}">{_e(g.name)}: {_e(t(key, lang))}</li>')
    return f'<ul class="devices" id="gateways">{"".join(items)}</ul>'


async def _failures(hub: HubState, lang: Lang) -> str:
    failed = [n for n in await hub.store.notification_log() if n["last_error"]]
    if not failed:
        return f'<p id="no-failures">{_e(t("dash_no_failures", lang))}</p>'
    items = "".join(
        f'<li class="bad">{_e(n["recipient_id"])} #{n["channel"]} ({_e(n["state"])}, '
        f"{n['attempts']}): {_e(n['last_error'])}</li>"
        for n in failed[:50]
    )
    return f'<ul class="devices" id="failures">{items}</ul>'


@router.get("/dashboard")
async def dashboard(request: Request, hub: Hub, lang: str | None = None) -> Response:
    chosen = _lang(request, hub, lang)
    who = await find_principal(request, hub)
    if who is None:
        response: Response = message_page(chosen, "signin_required_title", "signin_required", 401)
    else:
        now = datetime.now(UTC)
        sections = [
            ("dash_searches", await _searches(hub, who, chosen, now)),
            ("dash_alerts", await _alerts(hub, who, chosen, now)),
            ("households_title", await _homes(hub, who, chosen, now)),
            ("gateways", await _gateways(hub, who, chosen)),
        ]
        if who.sees_all_homes:
            sections.append(("dash_failures", await _failures(hub, chosen)))
        body = "".join(f"<h2>{_e(t(key, chosen))}</h2>{html_}" for key, html_ in sections)
        nav = f'<a href="/map">{_e(t("to_map", chosen))}</a>'
        response = HTMLResponse(
            _page(chosen, t("dash_title", chosen), body, nav),
            headers={"Cache-Control": "no-store"},
        )
    _remember_lang(response, chosen, lang, hub)
    return response


@router.post("/dashboard/alerts/{alert_id}/{action}")
async def answer(
    request: Request,
    hub: Hub,
    alert_id: int,
    action: str,
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    lang = _lang(request, hub, None)
    who = await find_principal(request, hub)
    if who is None:
        return message_page(lang, "signin_required_title", "signin_required", 401)
    alert = await hub.store.alert(alert_id)
    scope = alert_scope(hub.registry, who)
    if action not in ("ack", "resolve") or alert is None or (scope and not scope.covers(alert)):
        return message_page(lang, "household_unknown_title", "household_unknown", 404)
    now = datetime.now(UTC)
    await record(hub, who, f"alert.{action}", f"alert:{alert_id}", note)
    if action == "ack":
        await hub.store.acknowledge_alert(alert_id, who.name, note, now)
    else:
        await hub.store.resolve_alert(alert_id, who.name, note, now)
    return RedirectResponse("/dashboard", status_code=303)
