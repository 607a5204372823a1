"""The desk's monthly figures of cases (``hub/figures/cases.py``): a month's figures of
the areas ``who`` works in (admins: every area), small counts hidden."""

from __future__ import annotations

from datetime import date

from mimamori.errors import ChangeRefused, FieldProblem
from mimamori.hub.access.policy import Principal
from mimamori.hub.cases.access import check, scope
from mimamori.hub.figures.cases import (
    JAPAN,
    AreaCases,
    ShownArea,
    month_of_cases,
    parse_month,
    shown,
)
from mimamori.hub.server.state import HubState


def month_of(hub: HubState, text: str | None) -> date:
    """The month asked for (``2031-05``), else this month in Japan."""
    if not text:
        return hub.clock().astimezone(JAPAN).date().replace(day=1)
    month = parse_month(text)
    if month is None:
        raise ChangeRefused(
            [FieldProblem("month", "2031-05 の形で月を入れてください", "a month like 2031-05")]
        )
    return month


async def monthly(hub: HubState, who: Principal, month: date) -> list[ShownArea]:
    """Each of ``who``'s areas' figures of ``month``, in the register's order (an area
    without a case shows zeros; a removed area with cases shows to admins by its id)."""
    check(who, [], "figures")
    areas = scope(who)
    raw = await month_of_cases(hub.store, areas, month)
    ids = [a for a in hub.registry.areas if areas is None or a in areas]
    ids += sorted(set(raw) - set(ids))
    return [shown(raw.get(a, AreaCases(a))) for a in ids]
