"""Where a report goes (issue 16; the seeds: reports arrive out of hours). In office
hours it goes to the care centre's desk, where new cases come first. Out of hours (on
weekends and Japan's public holidays, or outside the policy's office hours) it also
goes to the **night route** of the household's escalation policy (an address's:
the "default" policy): the first step of its ``case_report`` route's night steps, or
of the policy's own night steps. Day and night are told by ``alerts/routing.py``'s
``in_office_hours`` (with the ``holidays`` library), the one way the hub tells them.

At night the report follows the route as an alert does, by being one: an alert of kind
``case_report`` about the case (``case:<id>``), with the night steps as its plan, so
the escalation engine (``alerts/engine.py``) tells the first step at once, the next
ones if nobody answers, and repeats the last as the policy's ``repeat_min`` says; one
escalation in the hub, not a second. More reports on the case join the open alert
(one per kind and subject): nobody is told twice. When someone takes the case at the
desk (triage, assignment, closing: ``service.py``) the alert is resolved and its
steps end. The alert names no household, so only staff see it (a family's alert
list shows its household's alerts; a case is the centre's). A policy without office
hours has no night; without night steps, the report waits for the desk. Either way
the case's timeline says where the report went (``Step.ROUTE``).

Partners' and residents' reports are routed; a utility's CSV (uploaded at the desk)
and the "not seen for N days" rule (days, not hours) go to the desk alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from mimamori.hub.alerts.routing import in_office_hours, route_key
from mimamori.hub.model.alerts import AlertKind, Clear, PlanStep, Raise, Severity
from mimamori.hub.model.cases import CaseState, Noticed, Step
from mimamori.hub.register.registry import Registry
from mimamori.hub.register.schema import EscalationStep
from mimamori.hub.server.state import HubState
from mimamori.hub.store.port_cases import CaseChange

log = logging.getLogger(__name__)

CASE_REPORT = "case_report"  # the route a policy may give reports (its night steps)
DEFAULT_POLICY = "default"  # an address's report: no household, no policy of its own
HUB = "hub"  # who the timeline says routed it
TAKEN_ALREADY = "時間外（夜間・休日）: この案件は対応中のため、夜間の連絡先には知らせていません"
TAKEN = "the case was taken at the desk"  # why a report's alert ends (its resolve note)


@dataclass(frozen=True)
class Route:
    night: bool
    policy_id: str
    recipients: tuple[str, ...]  # told at once; () by day, or with no night steps
    steps: tuple[PlanStep, ...] = ()  # the night steps the report's alert follows


def subject_of(case_id: int) -> str:
    """The subject of a case's report alert (one open per case)."""
    return f"case:{case_id}"


def route_of(registry: Registry, household_id: str | None, at: datetime) -> Route:
    """Where a report about ``household_id`` (None: an address) arriving at ``at`` goes."""
    home = registry.households.get(household_id or "")
    policy_id = home.policy if home is not None else DEFAULT_POLICY
    policy = registry.policies.get(policy_id)
    if policy is None or in_office_hours(policy.office_hours, at):
        return Route(False, policy_id, ())
    key = route_key(policy, CASE_REPORT)
    night = (policy.routes[key] if key is not None else policy).night_steps or policy.night_steps
    return Route(True, policy_id, tuple(night[0].notify) if night else (), _plan(night or []))


def _plan(night: list[EscalationStep]) -> tuple[PlanStep, ...]:
    return tuple(
        PlanStep(i, step.after_min * 60, tuple(step.notify), step.action)
        for i, step in enumerate(night)
    )


def describe(registry: Registry, route: Route) -> str:
    """The timeline's line (staff read it: Japanese)."""
    if not route.night:
        return "受付時間内: センターのデスクへ"
    if not route.recipients:
        return (
            f"時間外（夜間・休日）: 方針「{route.policy_id}」に夜間の連絡先がありません。"
            "次の受付時間にデスクで確かめてください"
        )
    names = "、".join(
        registry.recipients[r].name if r in registry.recipients else r for r in route.recipients
    )
    return f"時間外（夜間・休日）: 方針「{route.policy_id}」の夜間の連絡先へ知らせました: {names}"


async def route_report(hub: HubState, case_id: int, noticed: Noticed) -> Route | None:
    """Send a report just filed in ``case_id`` where it goes; its timeline says where.
    Called after the report's commit: a hub stopped in between leaves the report at
    the desk (where new cases come first), and no message. A failure here is logged
    never the reporter's: their report is filed (None)."""
    try:
        return await _route(hub, case_id, noticed)
    except Exception:  # the report is filed: its routing's trouble is not the reporter's
        log.exception("case %d: routing the report failed; it waits at the desk", case_id)
        return None


async def _route(hub: HubState, case_id: int, noticed: Noticed) -> Route:
    now = hub.clock()
    case = await hub.store.case(case_id)
    if case is None:
        return Route(False, DEFAULT_POLICY, ())
    route = route_of(hub.registry, case.household_id, now)
    text = describe(hub.registry, route)
    if route.night and (case.state is not CaseState.NEW or case.assigned_to is not None):
        # Someone has the case already: the report is theirs to see at the desk.
        route, text = Route(True, route.policy_id, ()), TAKEN_ALREADY
    if route.steps:
        url = f"{hub.config.hub.http.public_url.rstrip('/')}/desk/cases/{case_id}"
        detail = {"case": case_id, "noticed": noticed.value, "area": case.area,
                  "policy": route.policy_id, "case_url": url}  # fmt: skip
        report = Raise(AlertKind.CASE_REPORT, subject_of(case_id), None, Severity.WARNING, now,
                       detail, steps=route.steps)  # fmt: skip
        counts = await hub.store.apply_alert_changes([report], 0, {})
        for alert in counts.opened:
            log.info("case %d: out of hours, alert %d follows %s's night route",
                     case_id, alert.id, route.policy_id)  # fmt: skip
        if hub.alerts is not None:
            hub.alerts.wake.set()  # its first step is due now
    line = CaseChange(tuple(CaseState), Step.ROUTE, HUB, text)
    await hub.store.change_case(case_id, line, now)
    return route


async def taken(hub: HubState, case_id: int) -> None:
    """Someone took the case at the desk: its report alert (if any) ends, and with it
    the night route's steps. A failure is logged: the case is taken all the same, and
    the worst it leaves is reminders to the night route until one of them answers."""
    try:
        done = Clear(AlertKind.CASE_REPORT, subject_of(case_id), hub.clock(), TAKEN)
        counts = await hub.store.apply_alert_changes([done], 0, {})
    except Exception:
        log.exception("case %d: its report alert could not be resolved", case_id)
        return
    for alert in counts.resolved:
        log.info("case %d taken: alert %d resolved", case_id, alert.id)
