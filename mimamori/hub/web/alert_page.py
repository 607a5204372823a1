"""An alert on one page: what happened, who is handling it, the answers (対応します,
行けない・次の人へ, 解決しました with what happened, the result of a call to the person) and
its timeline. Two doors lead here: a notification's one-tap link (``ack.py``, the link
is the permission) and the dashboard (``/alerts/{id}``, signed in: staff, volunteers
and families for the alerts they may see; others get the page of an unknown alert).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Path
from fastapi.responses import Response

from mimamori.hub.access.policy import alert_scope
from mimamori.hub.alerts.messages import render, what_of
from mimamori.hub.alerts.responses import called, handling_timeout, respond
from mimamori.hub.api.audit import record
from mimamori.hub.model.alerts import Alert
from mimamori.hub.model.escalation import CALL_RESULTS, OUTCOMES, CallResult, Outcome
from mimamori.hub.web.alert_timeline import lines
from mimamori.hub.web.context import PageContext, SignedIn

router = APIRouter(include_in_schema=False)
Note = Annotated[str, Form(max_length=1000)]
AlertId = Annotated[int, Path(ge=1, le=2**63 - 1)]
# The summary shows the notice's first lines: who, what, since when (the rest are links).
SUMMARY_LINES = 3
_ZONE = ZoneInfo("Asia/Tokyo")


def _state(page: PageContext, alert: Alert) -> str | None:
    t = page.t
    if alert.state == "resolved":
        outcome = t(f"outcome_{alert.outcome}") if alert.outcome in OUTCOMES else ""
        return t("ack_state_resolved", outcome=outcome)
    if alert.state == "acknowledged" and alert.handling_until is not None:
        until = t.date_time(alert.handling_until.astimezone(_ZONE))
        return t("ack_state_handling", who=alert.acked_by or "", until=until)
    return None


async def show(
    page: PageContext,
    alert: Alert,
    *,
    answer_url: str,
    call_url: str,
    keep: Mapping[str, str] | None = None,
    flash: str | None = None,
) -> Response:
    hub = page.hub
    home = hub.registry.households.get(alert.household_id or "")
    title, body = render(alert, home, page.lang, hub.config.hub.http.public_url, False)
    timeline = await hub.store.alert_timeline(alert.id)
    hours = handling_timeout(hub.registry, alert).total_seconds() / 3600
    return page.render(
        "ack.html",
        keep=keep,
        answer_url=answer_url,
        call_url=call_url,
        heading=title,
        summary=body.splitlines()[:SUMMARY_LINES],
        open=alert.state != "resolved",
        state=_state(page, alert),
        flash=flash,
        hours=f"{hours:g}",
        outcomes=OUTCOMES,
        calls=CALL_RESULTS,
        timeline=lines(timeline, hub.registry, page.t, what_of(alert, page.lang)),
    )


def flash_of(page: PageContext, done: Alert | None, key: str) -> str:
    """What the page says after an answer: what happens next."""
    if done is None:
        return page.t("ack_already")
    if key == "ack_done_handling" and done.handling_until is not None:
        return page.t(key, until=page.t.date_time(done.handling_until.astimezone(_ZONE)))
    return page.t(key)


async def _visible(page: PageContext, alert_id: int) -> Alert | None:
    hub = page.hub
    alert = await hub.store.alert(alert_id)
    scope = alert_scope(hub.registry, page.who)
    return None if alert is None or (scope is not None and not scope.covers(alert)) else alert


async def _show(page: PageContext, alert: Alert, flash: str | None = None) -> Response:
    return await show(
        page, alert, answer_url=f"/alerts/{alert.id}", call_url=f"/alerts/{alert.id}/call",
        flash=flash,
    )  # fmt: skip


@router.get("/alerts/{alert_id}")
async def alert_page(page: SignedIn, alert_id: AlertId) -> Response:
    alert = await _visible(page, alert_id)
    if alert is None:
        return page.message("household_unknown_title", "household_unknown", 404)
    return await _show(page, alert)


@router.post("/alerts/{alert_id}")
async def alert_answer(
    page: SignedIn,
    alert_id: AlertId,
    answer: Annotated[Literal["handling", "decline", "resolve"], Form()] = "handling",
    outcome: Annotated[Outcome, Form()] = "other",
    note: Note = "",
) -> Response:
    alert = await _visible(page, alert_id)
    if alert is None:
        return page.message("household_unknown_title", "household_unknown", 404)
    hub, who = page.hub, page.who
    action = "ack" if answer == "handling" else answer
    await record(hub, who, f"alert.{action}", f"alert:{alert_id}", note)
    done = await respond(
        hub.store, hub.registry, hub.clock, alert_id, answer, who=who.name, role=who.role,
        note=note, outcome=outcome,
    )  # fmt: skip
    shown = done or await hub.store.alert(alert_id) or alert
    return await _show(page, shown, flash_of(page, done, f"ack_done_{answer}"))


@router.post("/alerts/{alert_id}/call")
async def alert_call(
    page: SignedIn,
    alert_id: AlertId,
    result: Annotated[CallResult, Form()] = "no_answer",
    note: Note = "",
) -> Response:
    alert = await _visible(page, alert_id)
    if alert is None:
        return page.message("household_unknown_title", "household_unknown", 404)
    hub, who = page.hub, page.who
    await record(hub, who, f"alert.call_{result}", f"alert:{alert_id}", note)
    done = await called(
        hub.store, hub.clock, alert_id, result, who=who.name, role=who.role, note=note
    )
    shown = done or await hub.store.alert(alert_id) or alert
    return await _show(page, shown, flash_of(page, done, "ack_done_call"))
