"""Alerts in the API: what the caller may see, and their answers: 対応します
(``handling``; the old ``ack`` means the same), 行けない・次の人へ (``decline``), 解決しました
(``resolve``, with an outcome), the result of a call to the person (``call``), and the
alert's timeline.

A family or a volunteer sees and answers the alerts of their households; staff and
admins, all of them.
An alert the caller may not see answers 404, like one that does not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from mimamori.hub.access.deps import Caller, Hub
from mimamori.hub.access.policy import Principal, alert_scope
from mimamori.hub.alerts.responses import called, respond
from mimamori.hub.api.audit import record
from mimamori.hub.model.alerts import Alert, AlertScope, Severity
from mimamori.hub.model.escalation import OUTCOMES, CallResult, Outcome, TimelineEntry
from mimamori.hub.model.escalation import Answer as AnswerKind
from mimamori.hub.server.state import HubState
from mimamori.protocol.timefmt import format_ts

# Alert ids are SQLite row ids: a larger number can name no alert, and would not even
# fit the database's integer (schemathesis found the 500 it caused).
MAX_ROW_ID = 2**63 - 1
AlertId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]

router = APIRouter(prefix="/api/v1")


class AlertOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    kind: str
    subject: str
    household_id: str | None
    household_name: str | None
    severity: Literal["info", "warning", "critical"]
    state: Literal["open", "acknowledged", "resolved"]
    detail: dict[str, Any]
    events: int
    opened_at: str
    updated_at: str
    acked_at: str | None
    acked_by: str | None
    ack_note: str | None
    resolved_at: str | None
    resolved_by: str | None
    resolve_note: str | None
    handling_until: str | None  # while someone handles it, the chain waits until then
    outcome: Outcome | None  # how it ended


class Answer(BaseModel):
    note: str = Field(default="", max_length=1000)


class Resolution(Answer):
    outcome: Outcome = "other"


class Call(Answer):
    result: CallResult


class TimelineOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    at: str
    what: Literal["opened", "step", "notified", "answer", "resolved"]
    who: str | None
    detail: str | None
    channel: str | None
    state: str | None
    note: str | None
    step: int | None
    round: int | None


def _timeline_out(entry: TimelineEntry) -> TimelineOut:
    return TimelineOut(
        at=format_ts(entry.at), what=entry.what, who=entry.who, detail=entry.detail,
        channel=entry.channel, state=entry.state, note=entry.note, step=entry.step,
        round=entry.round,
    )  # fmt: skip


def _ts(value: datetime | None) -> str | None:
    return format_ts(value) if value else None


def alert_out(hub: HubState, alert: Alert) -> AlertOut:
    home = hub.registry.households.get(alert.household_id or "")
    return AlertOut(
        id=alert.id,
        kind=alert.kind,
        subject=alert.subject,
        household_id=alert.household_id,
        household_name=home.name if home else None,
        severity=Severity(alert.severity).name.lower(),
        state=alert.state,
        detail=alert.detail,
        events=alert.events,
        opened_at=format_ts(alert.opened_at),
        updated_at=format_ts(alert.updated_at),
        acked_at=_ts(alert.acked_at),
        acked_by=alert.acked_by,
        ack_note=alert.ack_note,
        resolved_at=_ts(alert.resolved_at),
        resolved_by=alert.resolved_by,
        resolve_note=alert.resolve_note,
        handling_until=_ts(alert.handling_until),
        outcome=alert.outcome if alert.outcome in OUTCOMES else None,
    )


def _scope(hub: HubState, caller: Principal) -> AlertScope | None:
    return alert_scope(hub.registry, caller)


async def _visible(hub: HubState, caller: Principal, alert_id: int) -> Alert:
    alert = await hub.store.alert(alert_id)
    scope = _scope(hub, caller)
    if alert is None or (scope is not None and not scope.covers(alert)):
        raise HTTPException(status_code=404, detail="no such alert")
    return alert


@router.get("/alerts", response_model=list[AlertOut], summary="Alerts the caller may see")
async def alerts(
    hub: Hub,
    caller: Caller,
    state: Annotated[Literal["open", "all"], Query(description="open: not yet resolved")] = "open",
) -> list[AlertOut]:
    found = await hub.store.alerts(_scope(hub, caller), include_resolved=state == "all")
    return [alert_out(hub, a) for a in found]


async def _answer(
    hub: HubState,
    caller: Principal,
    alert_id: int,
    answer: AnswerKind,
    *,
    note: str,
    outcome: Outcome | None = None,
) -> AlertOut:
    await _visible(hub, caller, alert_id)
    action = "ack" if answer == "handling" else answer
    await record(hub, caller, f"alert.{action}", f"alert:{alert_id}", note)
    done = await respond(
        hub.store, hub.registry, hub.clock, alert_id, answer, who=caller.name,
        role=caller.role, note=note, outcome=outcome,
    )  # fmt: skip
    if done is None:
        raise HTTPException(status_code=409, detail="the alert is already resolved")
    return alert_out(hub, done)


@router.post(
    "/alerts/{alert_id}/handling",
    response_model=AlertOut,
    summary="対応します: I am handling it; the chain waits for the policy's handling timeout",
)
async def handling(
    hub: Hub, caller: Caller, alert_id: AlertId, answer: Annotated[Answer | None, Body()] = None
) -> AlertOut:
    return await _answer(hub, caller, alert_id, "handling", note=answer.note if answer else "")


@router.post(
    "/alerts/{alert_id}/ack",
    response_model=AlertOut,
    summary="The same as /handling (kept for links and clients made before it)",
)
async def acknowledge(
    hub: Hub, caller: Caller, alert_id: AlertId, answer: Annotated[Answer | None, Body()] = None
) -> AlertOut:
    return await _answer(hub, caller, alert_id, "handling", note=answer.note if answer else "")


@router.post(
    "/alerts/{alert_id}/decline",
    response_model=AlertOut,
    summary="行けない・次の人へ: the next step of the chain, now",
)
async def decline(
    hub: Hub, caller: Caller, alert_id: AlertId, answer: Annotated[Answer | None, Body()] = None
) -> AlertOut:
    return await _answer(hub, caller, alert_id, "decline", note=answer.note if answer else "")


@router.post(
    "/alerts/{alert_id}/resolve",
    response_model=AlertOut,
    summary="解決しました: resolve, with an outcome and a note",
)
async def resolve(
    hub: Hub,
    caller: Caller,
    alert_id: AlertId,
    answer: Annotated[Resolution | None, Body()] = None,
) -> AlertOut:
    found = answer or Resolution()
    return await _answer(hub, caller, alert_id, "resolve", note=found.note, outcome=found.outcome)


@router.post(
    "/alerts/{alert_id}/call",
    response_model=AlertOut,
    summary="A call to the person: fine resolves; no answer (or needs help): the next step now",
)
async def call(
    hub: Hub, caller: Caller, alert_id: AlertId, answer: Annotated[Call, Body()]
) -> AlertOut:
    await _visible(hub, caller, alert_id)
    await record(hub, caller, f"alert.call_{answer.result}", f"alert:{alert_id}", answer.note)
    done = await called(
        hub.store, hub.clock, alert_id, answer.result, who=caller.name, role=caller.role,
        note=answer.note,
    )  # fmt: skip
    if done is None:
        raise HTTPException(status_code=409, detail="the alert is already resolved")
    return alert_out(hub, done)


@router.get(
    "/alerts/{alert_id}/timeline",
    response_model=list[TimelineOut],
    summary="Every step of an alert: who was told when and how, answers, the outcome",
)
async def timeline(hub: Hub, caller: Caller, alert_id: AlertId) -> list[TimelineOut]:
    await _visible(hub, caller, alert_id)
    return [_timeline_out(e) for e in await hub.store.alert_timeline(alert_id)]


class NotificationOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    alert_id: int | None
    recipient_id: str
    channel: int  # the line of the recipient's channels file (URLs stay out of the API)
    state: Literal["pending", "sent", "failed"]
    attempts: int
    last_error: str | None
    created_at: str | None
    sent_at: str | None


@router.get(
    "/notifications",
    response_model=list[NotificationOut],
    summary="The delivery log: what was sent, what failed and why (staff and admins)",
)
async def notifications(
    hub: Hub,
    caller: Caller,
    alert_id: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
) -> list[NotificationOut]:
    if not caller.sees_all_homes:
        raise HTTPException(status_code=403, detail="staff and admins only")
    return [
        NotificationOut(
            **{k: n[k] for k in ("id", "alert_id", "recipient_id", "channel", "state", "attempts")},
            last_error=n["last_error"],
            created_at=_ts(n["created_at"]),
            sent_at=_ts(n["sent_at"]),
        )
        for n in await hub.store.notification_log(alert_id)
    ]
