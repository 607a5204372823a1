"""Household pages for staff and families: the state of each home, and a 30-day calendar.

Rendered on the server from the same views as the API (``hub/households/summary.py``), with
every value escaped; the page refreshes itself every minute. No script is needed.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from mimamori.hub.access.deps import Hub, find_principal
from mimamori.hub.access.policy import can_see_household, visible_households, visible_people
from mimamori.hub.households import summary as households
from mimamori.hub.web.i18n import Lang, t
from mimamori.hub.web.map import (
    _fill,
    _lang,
    _remember_lang,
    _template,
    message_page,
    sign_out_button,
    switch_href,
)
from mimamori.protocol.timefmt import from_iso

router = APIRouter(include_in_schema=False)


def _e(text: object) -> str:
    return html.escape(str(text))


def _when(iso: str | None, zone: ZoneInfo, lang: Lang) -> str:
    if iso is None:
        return _e(t("none_yet", lang))
    local = from_iso(iso).astimezone(zone)
    text = f"{local.month}月{local.day}日 {local:%H:%M}" if lang == "ja" else f"{local:%d %b %H:%M}"
    return f'<time datetime="{_e(iso)}">{_e(text)}</time>'


def _state(view: households.HouseholdSummary, lang: Lang) -> str:
    label = t(f"hh_state_{view.state}", lang)
    if view.level is not None:
        label += (
            f"（{t('level', lang)} {view.level}）" if lang == "ja" else f" (level {view.level})"
        )
    return f'<span class="hh-state hh-{_e(view.state)}">{_e(label)}</span>'


def _checkin(view: households.HouseholdSummary, zone: ZoneInfo, lang: Lang) -> str:
    last = view.last_checkin
    if last is None:
        return _e(t("none_yet", lang))
    late = f' <span class="late">{_e(t("late", lang))}</span>' if last.late else ""
    card = t(f"card_{last.card}", lang) if last.card in ("genki", "soudan", "sos") else last.card
    return f'{_when(last.ts, zone, lang)} <b class="card-{_e(last.card)}">{_e(card)}</b>{late}'


def _devices(view: households.HouseholdSummary, lang: Lang) -> str:
    rows = []
    for d in view.devices:
        problems = [t(f"device_{flag}", lang) for flag in d.raised]
        battery = f"{t('battery', lang)} {d.battery_pct}%" if d.battery_pct is not None else ""
        state = "、".join(problems) if problems else t("device_ok", lang)
        css = "bad" if problems else "good"
        rows.append(f'<li class="{css}">{_e(d.id)}: {_e(state)} {_e(battery)}</li>')
    for g in view.gateways:
        key = "unknown" if g.online is None else ("online" if g.online else "offline")
        css = "unknown" if g.online is None else ("good" if g.online else "bad")
        rows.append(f'<li class="{css}">{_e(t("home_gateway", lang))}: {_e(t(key, lang))}</li>')
    return f'<ul class="devices">{"".join(rows)}</ul>'


def _day_class(day: households.DayOut) -> str:
    if day.missed_level is not None and day.missed_level >= 1:
        return "missed"
    if day.checkins:
        return "ok"
    if day.missed_level == 0:
        return "reminded"
    return "none"


def _calendar(view: households.HouseholdOut, zone: ZoneInfo, lang: Lang) -> str:
    names = t("weekdays", lang)
    head = "".join(f'<div class="cal-head">{_e(n)}</div>' for n in names)
    first = date.fromisoformat(view.history[0].date)
    cells = ['<div class="cal-pad"></div>'] * first.weekday()
    for day in view.history:
        kind = _day_class(day)
        notes = [t(f"day_{kind}", lang)]
        notes += [_card_note(c, zone, lang) for c in day.checkins]
        notes += [t(f"problem_{p}", lang) for p in day.problems if f"problem_{p}" in _PROBLEMS]
        mark = "⚠" if any(p != "device.back" for p in day.problems) else ""
        d = date.fromisoformat(day.date)
        title = _e(" / ".join(notes))
        cells.append(
            f'<div class="cal-day day-{kind}" data-date="{_e(day.date)}" title="{title}">'
            f'<span class="num">{d.day}</span><span class="mark">{mark}</span></div>'
        )
    legend = "".join(
        f'<li><span class="cal-key day-{k}"></span>{_e(t(f"day_{k}", lang))}</li>'
        for k in ("ok", "reminded", "missed", "none")
    )
    return (
        f'<h2>{_e(t("calendar", lang))}</h2><div class="calendar">{head}{"".join(cells)}</div>'
        f'<ul class="legend">{legend}<li>⚠ {_e(t("day_problem", lang))}</li></ul>'
    )


_PROBLEMS = {
    f"problem_{k}"
    for k in (
        "device.silent",
        "device.back",
        "device.battery_low",
        "device.mains_lost",
        "device.mains_back",
        "gateway.offline",
    )
}


def _card_note(c: households.CheckinOut, zone: ZoneInfo, lang: Lang) -> str:
    local = from_iso(c.ts).astimezone(zone)
    return f"{local:%H:%M} {t(f'card_{c.card}', lang)}"


def _page(
    lang: Lang, title: str, body: str, nav: str, keep: Mapping[str, str] | None = None
) -> str:
    return _fill(
        _template("household.html"),
        {
            "LANG": lang,
            "TITLE": _e(title),
            "SWITCH_HREF": switch_href(lang, keep),
            "SWITCH_LANG": _e(t("switch_lang", lang)),
            "SIGN_OUT": sign_out_button(lang),
            "NAV": nav,
            "BODY": body,
        },
    )


@router.get("/households")
async def household_list(request: Request, hub: Hub, lang: str | None = None) -> Response:
    chosen = _lang(request, hub, lang)
    principal = await find_principal(request, hub)
    if principal is None:
        response: Response = message_page(chosen, "signin_required_title", "signin_required", 401)
    else:
        now = datetime.now(UTC)
        rows = []
        for home in visible_households(hub.registry, principal):
            view = await households.summary(hub.store, home, now)
            zone = ZoneInfo(home.timezone)
            rows.append(
                f'<tr><td><a href="/households/{_e(home.id)}">{_e(home.name)}</a></td>'
                f"<td>{_state(view, chosen)}</td><td>{_checkin(view, zone, chosen)}</td>"
                f"<td>{_when(view.next_due, zone, chosen)}</td></tr>"
            )
        head = "".join(
            f"<th>{_e(t(k, chosen))}</th>"
            for k in ("household_title", "state", "last_checkin", "next_due")
        )
        table = f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody>"
        body = (
            f'<table class="hh-list">{table}</table>'
            if rows
            else f"<p>{_e(t('no_households', chosen))}</p>"
        )
        nav = (
            f'<a href="/map">{_e(t("to_map", chosen))}</a>'
            if visible_people(hub.registry, principal)
            else ""
        )
        response = HTMLResponse(
            _page(chosen, t("households_title", chosen), body, nav),
            headers={"Cache-Control": "no-store"},
        )
    _remember_lang(response, chosen, lang, hub)
    return response


@router.get("/households/{household_id}")
async def household_page(
    request: Request, hub: Hub, household_id: str, lang: str | None = None
) -> Response:
    chosen = _lang(request, hub, lang)
    principal = await find_principal(request, hub)
    if principal is None:
        response: Response = message_page(chosen, "signin_required_title", "signin_required", 401)
    elif not can_see_household(hub.registry, principal, household_id):
        response = message_page(chosen, "household_unknown_title", "household_unknown", 404)
    else:
        home = hub.registry.households[household_id]
        zone = ZoneInfo(home.timezone)
        view = await households.detail(hub.store, home, datetime.now(UTC))
        facts = "".join(
            f'<dt>{_e(t(key, chosen))}</dt><dd id="hh-{key}">{value}</dd>'
            for key, value in (
                ("last_checkin", _checkin(view, zone, chosen)),
                ("next_due", _when(view.next_due, zone, chosen)),
                ("devices", _devices(view, chosen)),
            )
        )
        body = (
            f'<h2 id="hh-name">{_e(home.name)}</h2><p id="hh-state">{_state(view, chosen)}</p>'
            f"<dl>{facts}</dl>{_calendar(view, zone, chosen)}"
        )
        nav = f'<a href="/households">{_e(t("to_households", chosen))}</a>'
        response = HTMLResponse(
            _page(chosen, t("household_title", chosen), body, nav),
            headers={"Cache-Control": "no-store"},
        )
    _remember_lang(response, chosen, lang, hub)
    return response
