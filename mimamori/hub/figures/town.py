"""The town's figures of one fiscal year (issue 19), for one care-centre area or
several: the families of ``people``, ``alerts``, ``searches``, ``reports``,
``notices`` and ``found``, each counted in the store and shaped (small counts hidden)
by ``table.py``; and the listings of the year's roll-calls (``rollcalls.py``) and of
the watch points for the map (``points.py``). Staff see their areas (all of them
together, or one); admins the whole town or one area."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from mimamori.errors import ChangeRefused, FieldProblem
from mimamori.hub.access.policy import Principal
from mimamori.hub.cases.access import check, scope
from mimamori.hub.figures.alerts import alert_families
from mimamori.hub.figures.cases import JAPAN
from mimamori.hub.figures.found import found_families
from mimamori.hub.figures.notices import notice_families
from mimamori.hub.figures.people import register_families, uptime_family
from mimamori.hub.figures.points import point_listing
from mimamori.hub.figures.reports import report_families
from mimamori.hub.figures.rollcalls import rollcall_listing
from mimamori.hub.figures.searches import search_families
from mimamori.hub.figures.table import Family, Listing, edges, fiscal_months, fiscal_year_of
from mimamori.hub.server.state import HubState
from mimamori.hub.store.port import Store
from mimamori.hub.store.port_figures import FigureStore

FIRST_YEAR = 2000  # no town's figures are older; bounds what a URL may ask


@dataclass(frozen=True)
class TownFigures:
    fy: int  # 年度: April ``fy`` to March ``fy + 1``
    area: str | None  # one area, or None: all the areas in scope
    areas: tuple[str, ...] | None  # the areas counted (None: the whole town)
    months: tuple[date, ...]
    families: tuple[Family, ...]
    listings: tuple[Listing, ...] = ()

    def family(self, name: str) -> Family:
        return next(f for f in self.families if f.name == name)

    def listing(self, name: str) -> Listing:
        return next(x for x in self.listings if x.name == name)


def year_of(hub: HubState, text: str | None) -> int:
    """The fiscal year asked for (``2031``), else this one in Japan."""
    today = hub.clock().astimezone(JAPAN).date()
    if not text:
        return fiscal_year_of(today)
    if not text.isdigit() or not FIRST_YEAR <= int(text) <= today.year + 1:
        raise ChangeRefused([FieldProblem(
            "fy", f"{FIRST_YEAR}〜{today.year + 1} の年度を数字で入れてください",
            f"a fiscal year from {FIRST_YEAR} to {today.year + 1}",
        )])  # fmt: skip
    return int(text)


def areas_of(who: Principal, area: str | None) -> list[str] | None:
    """The areas ``who`` asks figures of: ``area`` if theirs (else DeskRefused), or
    all of theirs (None for an admin: the whole town)."""
    check(who, [], "figures")
    if area:
        check(who, [area], "area")
        return [area]
    return scope(who)


async def count_town(
    store: FigureStore,
    areas: Sequence[str] | None,
    fy: int,
    now: datetime,
    channels: Mapping[str, Sequence[str]],
) -> tuple[Family, ...]:
    """Every family of 年度 ``fy`` in ``areas`` (None: the whole town), as shown."""
    bounds = edges(fy)
    return (
        *await register_families(store, areas),
        await uptime_family(store, areas, bounds, now),
        *await alert_families(store, areas, bounds),
        *await search_families(store, areas, bounds),
        *await report_families(store, areas, fy),
        *await notice_families(store, areas, bounds, channels),
        *await found_families(store, areas, bounds),
    )


async def count_listings(
    store: Store, areas: Sequence[str] | None, fy: int, now: datetime
) -> tuple[Listing, ...]:
    """The year's roll-calls and the watch points' map of ``areas``, as shown."""
    bounds = edges(fy)
    return (
        await rollcall_listing(store, areas, bounds),
        await point_listing(store, areas, bounds, now),
    )


async def town_figures(hub: HubState, who: Principal, fy: int, area: str | None) -> TownFigures:
    """``who``'s figures of 年度 ``fy``: of ``area``, or of all their areas."""
    areas = areas_of(who, area)
    channels = {r.id: r.channels for r in hub.registry.recipients.values()}
    now = hub.clock()
    families = await count_town(hub.store, areas, fy, now, channels)
    listings = await count_listings(hub.store, areas, fy, now)
    return TownFigures(
        fy, area or None, None if areas is None else tuple(areas),
        tuple(fiscal_months(fy)), families, listings,
    )  # fmt: skip
