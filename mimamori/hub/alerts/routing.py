"""Which steps an alert follows: by its kind, and by the hour it opened.

A policy names a route per alert kind (or group of kinds, ``ROUTE_GROUPS``); a kind
with no route follows the policy's own steps. Each route has its day steps and, if
it says so, night steps: outside office hours, on weekends and on Japan's public
holidays. The holidays come from the ``holidays`` library (maintained, with the
substitute holidays 振替休日 and 国民の休日 the law adds), not from a list of our own.

Pure, on the time given: the alert's opening time on the hub's clock. The route is
chosen once, when the alert opens, and written with the alert (restart-safe).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from mimamori.hub.model.alerts import PlanStep
from mimamori.hub.model.escalation import ROUTE_GROUPS
from mimamori.hub.register.schema import EscalationStep, OfficeHours, Policy

SATURDAY = 5
DEFAULT_POLICY = "default"


@lru_cache(maxsize=64)
def _japan(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("JP", years=year)


def is_holiday(day: datetime) -> bool:
    """A public holiday of Japan (on the local date of ``day``)."""
    return day.date() in _japan(day.year)


def in_office_hours(hours: OfficeHours | None, at: datetime) -> bool:
    """Whether ``at`` falls in the policy's office hours (None: always)."""
    if hours is None:
        return True
    local = at.astimezone(ZoneInfo(hours.timezone))
    if local.weekday() >= SATURDAY or is_holiday(local):
        return False
    start, end = time.fromisoformat(hours.start), time.fromisoformat(hours.end)
    return start <= local.time().replace(tzinfo=None) < end


def route_key(policy: Policy, kind: str) -> str | None:
    """The route of ``kind`` in ``policy``: its own, its group's, or None (the policy's)."""
    if kind in policy.routes:
        return kind
    for group, kinds in ROUTE_GROUPS.items():
        if kind in kinds and group in policy.routes:
            return group
    return None


def steps_for(policy: Policy, kind: str, at: datetime) -> tuple[PlanStep, ...]:
    """The steps an alert of ``kind`` opening at ``at`` follows."""
    key = route_key(policy, kind)
    route = policy.routes[key] if key is not None else policy
    day = in_office_hours(policy.office_hours, at)
    chosen: list[EscalationStep] = (
        route.steps if day or not route.night_steps else route.night_steps
    )
    return tuple(
        PlanStep(i, step.after_min * 60, tuple(step.notify), step.action)
        for i, step in enumerate(chosen)
    )


def homeless_steps(
    policies: Mapping[str, Policy], kind: str, at: datetime
) -> tuple[PlanStep, ...] | None:
    """The steps of an alert that names no household (a watch point, a gateway's
    clock): the ``default`` policy's route for its kind (``device``: the technician);
    None when it names none (nobody is told). The one way to reach the technician."""
    policy = policies.get(DEFAULT_POLICY)
    if policy is None or route_key(policy, kind) is None:
        return None
    return steps_for(policy, kind, at)
