"""A person's check-in by LINE at the desk (docs/line.md): on or off, the time, and
how often (every day, every N days from a first day, or on some weekdays), with the
grace after the time; the ladder is kept as it is. The form posts plain strings;
this turns them into the register's ``line_checkin`` (the same model as a home
gateway's schedule, ``edge/config.py`` ``CheckinSection``), whose validation is the
register's own, and saves it as a change of the person (audited, the version named:
a stale form is refused).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mimamori.edge.config import WEEKDAYS
from mimamori.errors import ChangeRefused, FieldProblem
from mimamori.hub.access.policy import Principal
from mimamori.hub.desk.service import actor, person_to_change
from mimamori.hub.model.register import Entity
from mimamori.hub.register.changes import Changed
from mimamori.hub.register.schema import PersonEntry
from mimamori.hub.server.state import HubState

KINDS = ("daily", "every", "weekly")
ACTION = "line_checkin.update"  # the register audit's action for this form


@dataclass(frozen=True)
class CheckinForm:
    """The form's values, as strings (what the template shows and the browser posts)."""

    on: bool = False
    by: str = "10:00"
    kind: str = "daily"
    every_n_days: str = ""
    start: str = ""
    days: tuple[str, ...] = ()
    grace_min: str = "60"


def form_of(person: PersonEntry) -> CheckinForm:
    plan = person.line_checkin
    if plan is None:
        return CheckinForm()
    s = plan.schedule
    kind = "weekly" if s.days else "every" if s.every_n_days else "daily"
    return CheckinForm(
        True, s.by, kind, str(s.every_n_days or ""), s.start.isoformat() if s.start else "",
        tuple(s.days or ()), f"{s.grace_min:g}",
    )  # fmt: skip


def posted(form: Mapping[str, Any], days: list[str]) -> CheckinForm:
    def value(name: str, default: str = "") -> str:
        return str(form.get(name, default) or default).strip()[:20]

    return CheckinForm(
        on=value("on") == "1",
        by=value("by", "10:00"),
        kind=value("kind", "daily") if value("kind") in KINDS else "daily",
        every_n_days=value("every_n_days"),
        start=value("start"),
        days=tuple(d for d in WEEKDAYS if d in days),
        grace_min=value("grace_min", "60"),
    )


def plan_of(form: CheckinForm, kept: PersonEntry) -> dict[str, Any] | None:
    """The ``line_checkin`` the form asks for (None: off), over what is kept (the
    ladder, the zone). Left to the register to validate."""
    if not form.on:
        return None
    schedule: dict[str, Any] = {"by": form.by, "grace_min": form.grace_min or "60"}
    if form.kind == "every":
        schedule |= {"every_n_days": form.every_n_days or None, "start": form.start or None}
    elif form.kind == "weekly":
        schedule["days"] = list(form.days)
    plan = kept.line_checkin.model_dump(mode="python") if kept.line_checkin else {}
    return {**plan, "schedule": schedule}


async def save(
    hub: HubState, who: Principal, person_id: str, form: CheckinForm, *, version: int
) -> Changed:
    """The person's LINE check-in as the form says, if the caller may change them."""
    person = await person_to_change(hub, who, person_id)
    if form.on and form.kind == "weekly" and not form.days:
        raise ChangeRefused([FieldProblem("line_checkin", "曜日を一つ以上選んでください",
                                          "choose at least one day")])  # fmt: skip
    data = {**person.model_dump(mode="python"), "line_checkin": plan_of(form, person)}
    return await hub.register.update(Entity.PERSON, data, version, actor(who, "desk"),
                                     action=ACTION)  # fmt: skip
