"""Where a report goes (issue 16; the seeds: reports arrive out of hours). In office
hours it goes to the care centre's desk, where new cases come first. Out of hours (on
weekends and Japan's public holidays, or outside the policy's office hours) it also
goes to the **night route** of the household's escalation policy (an address's:
the "default" policy): the first step of its ``case_report`` route's night steps, or
of the policy's own night steps. Day and night are told by ``alerts/routing.py``'s
``in_office_hours`` (with the ``holidays`` library), the one way the hub tells them.

Only the first night step is told, at once, and once per case and night per channel
(its dedupe key): a report is not an alert, nobody answers it, and the later steps
(family, a volunteer) are the alerts' own. A policy without office hours has no
night; without night steps, the report waits for the desk. Either way the case's
timeline says where the report went (``Step.ROUTE``).

Partners' and residents' reports are routed; a utility's CSV (uploaded at the desk)
and the "not seen for N days" rule (days, not hours) go to the desk alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from mimamori.hub.alerts.routing import in_office_hours, route_key
from mimamori.hub.model.alerts import NotificationDraft
from mimamori.hub.model.cases import CaseState, Noticed, Step
from mimamori.hub.register.registry import Registry
from mimamori.hub.server.state import HubState
from mimamori.hub.store.port_cases import CaseChange
from mimamori.hub.web.catalogue import cases_en, cases_ja

log = logging.getLogger(__name__)

CASE_REPORT = "case_report"  # the route a policy may give reports (its night steps)
DEFAULT_POLICY = "default"  # an address's report: no household, no policy of its own
HUB = "hub"  # who the timeline says routed it
JAPAN = ZoneInfo("Asia/Tokyo")  # the night of the messages' dedupe key: a town in Japan


@dataclass(frozen=True)
class Route:
    night: bool
    policy_id: str
    recipients: tuple[str, ...]  # told at once; () by day, or with no night steps


def route_of(registry: Registry, household_id: str | None, at: datetime) -> Route:
    """Where a report about ``household_id`` (None: an address) arriving at ``at`` goes."""
    home = registry.households.get(household_id or "")
    policy_id = home.policy if home is not None else DEFAULT_POLICY
    policy = registry.policies.get(policy_id)
    if policy is None or in_office_hours(policy.office_hours, at):
        return Route(False, policy_id, ())
    key = route_key(policy, CASE_REPORT)
    night = (policy.routes[key] if key is not None else policy).night_steps or policy.night_steps
    return Route(True, policy_id, tuple(night[0].notify) if night else ())


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


def _message(lang: str, case_id: int, noticed: Noticed, url: str) -> tuple[str, str]:
    if lang == "en":
        what = cases_en.TEXT[f"noticed_{noticed.value}"]
        return (
            f"[Out of hours] A report to the care centre (case {case_id})",
            f"{what}. See it at {url} (signed in as staff).",
        )
    what = cases_ja.TEXT[f"noticed_{noticed.value}"]
    return (
        f"【時間外】地域包括支援センターへのお知らせ（案件 {case_id}）",
        f"「{what}」とのお知らせがありました。{url} で確かめてください"
        "（職員のログインが必要です）。",
    )


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
    url = f"{hub.config.hub.http.public_url.rstrip('/')}/desk/cases/{case_id}"
    day = now.astimezone(JAPAN).date().isoformat()
    drafts: list[NotificationDraft] = []
    for recipient_id in route.recipients:
        recipient = hub.registry.recipients.get(recipient_id)
        channels = await hub.store.contact_channels(recipient_id) or []
        title, body = _message(recipient.lang if recipient else "ja", case_id, noticed, url)
        key = f"case:{case_id}:night:{day}:{recipient_id}"
        drafts += [
            NotificationDraft(None, recipient_id, n, f"{key}:{n}", title, body)
            for n in range(len(channels))
        ]
    if drafts:
        await hub.store.queue_notifications(drafts, now)
    line = CaseChange(tuple(CaseState), Step.ROUTE, HUB, describe(hub.registry, route))
    await hub.store.change_case(case_id, line, now)
    if route.night:
        log.info("case %d: out of hours, to %s's night route (%d messages)",
                 case_id, route.policy_id, len(drafts))  # fmt: skip
    return route
