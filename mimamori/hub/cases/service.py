"""Cases at the anchor: what the care centre's staff do with what partners report.

A case is about one home (a household of the register, or an address) in one care
centre's area, and moves new -> triaged (visit, phone, hand to police or fire, watch,
no action) -> closed with an outcome. Staff see their areas' cases, new ones first;
another area's case is 403, as at the desk. Every read of a case is audited (the
hub's audit log: who read which case, when), for a case names a home and what was
seen there. Triage and closing tell the reporters (``feedback.py``), in the same
transaction that records them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from mimamori.errors import ChangeRefused, FieldProblem
from mimamori.hub.access.policy import Principal
from mimamori.hub.cases import feedback, routing
from mimamori.hub.cases.access import check, scope
from mimamori.hub.desk.service import actor
from mimamori.hub.model.alerts import Alert, AlertScope
from mimamori.hub.model.cases import (
    Case,
    CaseState,
    Step,
    TimelineEntry,
    Triage,
    case_photo_owner,
)
from mimamori.hub.model.photos import Photo
from mimamori.hub.server.state import HubState
from mimamori.hub.store.port_cases import CaseChange

log = logging.getLogger(__name__)

LIST_LIMIT = 500  # a centre's open cases fit many times over; closed ones age out
TEXT_MAX = 1000  # a note or an outcome: a paragraph
VOLUNTEER = "民生委員"
TAKING = (Step.TRIAGE, Step.ASSIGN, Step.CLOSE)  # someone has the case: the night route ends


ALERTS_SHOWN = 20  # the home's latest alerts beside the timeline


@dataclass(frozen=True)
class CaseView:
    case: Case
    timeline: list[TimelineEntry]
    alerts: list[Alert]  # of the same household (SOS, missed check-ins...), newest first


async def visible_cases(hub: HubState, who: Principal) -> list[Case]:
    check(who, [], "case")
    return await hub.store.cases(scope(who), LIST_LIMIT)


async def _case(hub: HubState, who: Principal, case_id: int) -> Case:
    check(who, [], "case")  # the desk at all, before anything is read
    found = await hub.store.case(case_id)
    check(who, None if found is None else [found.area], "case")
    assert found is not None
    return found


async def read(hub: HubState, who: Principal, case_id: int) -> CaseView:
    """The case and its timeline; the read is audited."""
    case = await _case(hub, who, case_id)
    by = actor(who, "desk")
    await hub.store.audit(
        hub.clock(), who=by.who, role=by.role, action="case.read", subject=f"case:{case_id}"
    )
    alerts: list[Alert] = []
    home = hub.registry.households.get(case.household_id or "")
    if home is not None:
        scope_ = AlertScope((home.id,), tuple(home.people))
        found = await hub.store.alerts(scope_, include_resolved=True, limit=ALERTS_SHOWN)
        alerts = sorted(found, key=lambda a: a.opened_at, reverse=True)
    return CaseView(case, await hub.store.case_timeline(case_id), alerts)


async def photo(hub: HubState, who: Principal, case_id: int, photo_id: str) -> Photo | None:
    """A report's photo of the case (None: not this case's); the read is audited."""
    await _case(hub, who, case_id)
    found = await hub.store.photo(photo_id)
    if found is None or found.person_id != case_photo_owner(case_id):
        return None
    by = actor(who, "desk")
    await hub.store.audit(hub.clock(), who=by.who, role=by.role, action="case.photo",
                          subject=f"case:{case_id}", detail=photo_id)  # fmt: skip
    return found


def _text(value: object, field: str, *, required: bool) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise ChangeRefused([FieldProblem(field, "入力してください", "required")])
    if len(text) > TEXT_MAX:
        raise ChangeRefused(
            [
                FieldProblem(
                    field, f"{TEXT_MAX}文字までにしてください", f"at most {TEXT_MAX} characters"
                )
            ]
        )
    return text


async def _change(hub: HubState, who: Principal, case_id: int, change: CaseChange) -> None:
    if not await hub.store.change_case(case_id, change, hub.clock()):
        raise ChangeRefused(
            [FieldProblem("", "この案件の状態が変わりました。読み直してください。",
                          "the case changed meanwhile: reload it")]
        )  # fmt: skip
    log.info("case %d: %s by %s", case_id, change.step.value, who.name)
    if change.step in TAKING:
        await routing.taken(hub, case_id)  # the night route's steps end


async def triage(hub: HubState, who: Principal, case_id: int, how: object, note: object) -> None:
    """Decide what to do; the reporters hear that the centre started on it (the
    first triage only: a case triaged again keeps its reporters' one message)."""
    await _case(hub, who, case_id)
    if how not in {t.value for t in Triage}:
        raise ChangeRefused([FieldProblem("triage", "対応を選んでください", "pick what to do")])
    text = _text(note, "note", required=False)
    reporters = await hub.store.case_reporters(case_id)
    change = CaseChange(
        (CaseState.NEW, CaseState.TRIAGED), Step.TRIAGE, actor(who, "desk").who,
        f"{how}: {text}" if text else str(how), state=CaseState.TRIAGED, triage=Triage(str(how)),
        feedback=feedback.drafts(case_id, Step.TRIAGE, reporters),
    )  # fmt: skip
    await _change(hub, who, case_id, change)


async def close(hub: HubState, who: Principal, case_id: int, outcome: object) -> None:
    """Close with an outcome (staff's words, never shown to reporters)."""
    await _case(hub, who, case_id)
    text = _text(outcome, "outcome", required=True)
    reporters = await hub.store.case_reporters(case_id)
    change = CaseChange(
        (CaseState.NEW, CaseState.TRIAGED), Step.CLOSE, actor(who, "desk").who, text,
        state=CaseState.CLOSED, outcome=text,
        feedback=feedback.drafts(case_id, Step.CLOSE, reporters),
    )  # fmt: skip
    await _change(hub, who, case_id, change)


async def note(hub: HubState, who: Principal, case_id: int, text: object) -> None:
    await _case(hub, who, case_id)
    said = _text(text, "text", required=True)
    every = tuple(CaseState)
    await _change(hub, who, case_id, CaseChange(every, Step.NOTE, actor(who, "desk").who, said))


async def staff_for(hub: HubState, area: str) -> list[tuple[str, str]]:
    """Who a case of ``area`` may be assigned to among staff: its area's, and admins."""
    users = await hub.store.users()
    return [
        (u.id, u.name)
        for u in users
        if not u.disabled and (u.role == "admin" or (u.role == "staff" and area in u.areas))
    ]


async def assignees(hub: HubState, case: Case) -> list[tuple[str, str]]:
    """Who ``case`` may be assigned to: its area's staff and admins, and the 民生委員
    of the people of its household (their contact's account, a volunteer's)."""
    found = await staff_for(hub, case.area)
    home = hub.registry.households.get(case.household_id or "")
    people = (
        [hub.registry.people[p] for p in home.people if p in hub.registry.people] if home else []
    )
    accounts = {
        contact.user
        for p in people
        if p.minsei and (contact := hub.registry.recipients.get(p.minsei)) and contact.user
    }
    for user in await hub.store.users():
        if user.id in accounts and user.role == "volunteer" and not user.disabled:
            found.append((user.id, f"{user.name}（{VOLUNTEER}）"))
    return found


async def assign(hub: HubState, who: Principal, case_id: int, user_id: object) -> None:
    case = await _case(hub, who, case_id)
    names = dict(await assignees(hub, case))
    if not isinstance(user_id, str) or user_id not in names:
        raise ChangeRefused(
            [
                FieldProblem(
                    "assign",
                    "この地域の職員か、この世帯の民生委員から選んでください",
                    "pick a staff member of the area or the household's volunteer",
                )
            ]
        )
    change = CaseChange(
        (CaseState.NEW, CaseState.TRIAGED), Step.ASSIGN, actor(who, "desk").who, names[user_id],
        assigned_to=user_id,
    )  # fmt: skip
    await _change(hub, who, case_id, change)
