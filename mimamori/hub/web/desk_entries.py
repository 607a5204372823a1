"""The desk's other registers, one way for each: households, contacts (with whether
they confirmed), families (who may see whom), watch points and escalation policies.
Each has a list, a form for a new one and a form to change one (``desk/forms.py``
says their fields), all through ``desk.service``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path
from fastapi.responses import RedirectResponse, Response

from mimamori.errors import ChangeRefused, StaleVersion
from mimamori.hub.access.policy import visible_households
from mimamori.hub.desk import service
from mimamori.hub.desk.forms import FORMS, entry_data, form_values, posted
from mimamori.hub.desk.service import DeskRefused
from mimamori.hub.households.summary import summary
from mimamori.hub.model.register import Entity
from mimamori.hub.register.schema import HouseholdEntry
from mimamori.hub.web.context import PageContext, SignedIn
from mimamori.hub.web.desk_broker import BrokerView, broker_view
from mimamori.hub.web.desk_common import (
    FormState,
    desk_refusal,
    failed,
    no_version,
    refusal,
    shown,
    version_of,
)
from mimamori.hub.web.desk_line import LineView, line_usage, line_view
from mimamori.hub.web.desk_people import area_choices
from mimamori.protocol.timefmt import from_iso

router = APIRouter(include_in_schema=False)
EntryId = Annotated[str, Path(max_length=64)]


@dataclass(frozen=True)
class Row:
    id: str
    name: str
    cells: tuple[str, ...]


def _households(page: PageContext) -> list[Row]:
    t = page.t
    return [
        Row(h.id, h.name, (h.area, t("f_evacuation_support") if h.evacuation_support else ""))
        for h in visible_households(page.hub.registry, page.who)
    ]


def _contacts_rows(page: PageContext, confirmed: dict[str, Any]) -> list[Row]:
    t, registry = page.t, page.hub.registry
    rows = []
    for cid in service.visible_contacts(registry, page.who):
        contact = registry.recipients[cid]
        state = confirmed.get(cid)
        said = "desk_not_asked" if state is None else (
            "desk_confirmed" if state.confirmed else "desk_not_confirmed"
        )  # fmt: skip
        rows.append(Row(cid, contact.name, (contact.relation or "", t(said))))
    return rows


def _families(page: PageContext) -> list[Row]:
    registry, who = page.hub.registry, page.who
    rows = []
    for family in registry.families.values():
        areas = service.areas_of(registry, Entity.FAMILY, family)
        if who.everywhere or (areas and all(who.in_area(a) for a in areas)):
            rows.append(Row(family.id, family.name, (", ".join(family.people),)))
    return rows


def _watch_points(page: PageContext) -> list[Row]:
    t, who = page.t, page.who
    return [
        Row(g.id, g.name, (t(f"choice_site_{g.site}"), g.host or ""))
        for g in page.hub.registry.gateways.values()
        if who.in_area(g.area)
    ]


def _policies(page: PageContext) -> list[Row]:
    return [
        Row(p.id, p.id, (" → ".join(", ".join(s.notify) for s in p.steps),))
        for p in page.hub.registry.policies.values()
    ]


@dataclass(frozen=True)
class Register:
    entity: Entity
    path: str  # under /desk/
    rows: Callable[[PageContext], list[Row]]


REGISTERS = {
    "households": Register(Entity.HOUSEHOLD, "households", _households),
    "families": Register(Entity.FAMILY, "families", _families),
    "watch-points": Register(Entity.WATCH_POINT, "watch-points", _watch_points),
    "policies": Register(Entity.POLICY, "policies", _policies),
}


def _choices(page: PageContext, entity: Entity) -> dict[str, list[tuple[str, str]]]:
    return {"area": area_choices(page)} if entity != Entity.CONTACT else {}


def _form(
    page: PageContext,
    register: Register,
    entry_id: str | None,
    values: dict[str, str],
    state: FormState,
    *,
    version: int | None,
    status: int = 200,
    channels: int | None = None,
    home: Home | None = None,
    broker: BrokerView | None = None,
    line: LineView | None = None,
) -> Response:
    fields = FORMS[register.entity]
    base = f"/desk/{register.path}"
    return page.render(
        "desk/form.html",
        status=status,
        kind=register.entity.value,
        fields=shown(
            page, fields, values, state, _choices(page, register.entity), new=entry_id is None
        ),
        state=state,
        action=f"{base}/{entry_id}" if entry_id else f"{base}/new",
        version=version,
        back=base,
        channels=channels,
        home=home,
        broker=broker,
        line=line,
    )


async def _list(page: PageContext, register: Register) -> Response:
    if (refused := desk_refusal(page)) is not None:
        return refused
    confirmed = {c.contact_id: c for c in await page.hub.store.contact_confirmations()}
    contacts = register.entity == Entity.CONTACT
    rows = _contacts_rows(page, confirmed) if contacts else []
    return page.render(
        "desk/entries.html",
        kind=register.entity.value,
        path=register.path,
        rows=rows or register.rows(page),
        line_usage=await line_usage(page) if contacts else None,
    )


async def _new(page: PageContext, register: Register) -> Response:
    if (refused := desk_refusal(page)) is not None:
        return refused
    values = form_values(FORMS[register.entity], None)
    return _form(page, register, None, values, FormState(), version=None)


async def _edit(page: PageContext, register: Register, entry_id: str) -> Response:
    try:
        entry, version = await service.read(page.hub, page.who, register.entity, entry_id)
    except DeskRefused as exc:
        return refusal(page, exc)
    values = form_values(FORMS[register.entity], entry)
    channels = len(entry.channels) if register.entity == Entity.CONTACT else None
    home = await _home(page, entry) if isinstance(entry, HouseholdEntry) else None
    broker = broker_view(page, entry_id) if register.entity == Entity.WATCH_POINT else None
    line = await line_view(page, entry_id) if register.entity == Entity.CONTACT else None
    return _form(
        page, register, entry_id, values, FormState(), version=version, channels=channels,
        home=home, broker=broker, line=line,
    )  # fmt: skip


@dataclass(frozen=True)
class Home:
    """What a household's page shows beside its form: who lives there (the people of
    the reader's areas) and its check-ins as its gateway last told (the schedule is
    the gateway's own: the hub hears the next time a check-in is due)."""

    residents: list[tuple[str, str]]
    state: str
    next_due: str | None
    last_checkin: str | None


async def _home(page: PageContext, home: HouseholdEntry) -> Home:
    registry, who = page.hub.registry, page.who
    residents = [
        (p.id, p.name)
        for p in registry.people.values()
        if p.household == home.id and who.in_area(p.area)
    ]
    found = await summary(page.hub.store, home, page.hub.clock())
    zone = ZoneInfo(home.timezone)

    def local(ts: str | None) -> str | None:
        return from_iso(ts).astimezone(zone).strftime("%Y-%m-%d %H:%M") if ts else None

    last = local(found.last_checkin.ts) if found.last_checkin else None
    return Home(residents, found.state, local(found.next_due), last)


async def _save(page: PageContext, register: Register, entry_id: str | None) -> Response:
    if (refused := desk_refusal(page)) is not None:
        return refused
    fields = FORMS[register.entity]
    form = await page.request.form()
    values = posted(fields, form)
    version = version_of(form)
    try:
        current = None
        service.check(page.who, register.entity, [], write=True)
        if entry_id is not None:
            current, _ = await service.read(page.hub, page.who, register.entity, entry_id)
            areas = service.areas_of(page.hub.registry, register.entity, current)
            service.check(page.who, register.entity, areas, write=True)
            if version is None:
                state = no_version(page)
                return _form(page, register, entry_id, values, state, version=None, status=422)
        data = entry_data(fields, values, current)
        if entry_id is not None:
            data["id"] = entry_id
        await service.save(
            page.hub, page.who, register.entity, data, version=version if current else None,
            current=current,
        )  # fmt: skip
    except DeskRefused as exc:
        return refusal(page, exc)
    except (ChangeRefused, StaleVersion) as exc:
        status = 409 if isinstance(exc, StaleVersion) else 422
        state = failed(page, exc, fields)
        return _form(page, register, entry_id, values, state, version=version, status=status)
    return RedirectResponse(f"/desk/{register.path}", status_code=303)


def _routes(register: Register) -> None:
    base = f"/desk/{register.path}"

    async def listing(page: SignedIn) -> Response:
        return await _list(page, register)

    async def new(page: SignedIn) -> Response:
        return await _new(page, register)

    async def add(page: SignedIn) -> Response:
        return await _save(page, register, None)

    async def edit(page: SignedIn, entry_id: EntryId) -> Response:
        return await _edit(page, register, entry_id)

    async def change(page: SignedIn, entry_id: EntryId) -> Response:
        return await _save(page, register, entry_id)

    router.add_api_route(base, listing, methods=["GET"])
    router.add_api_route(f"{base}/new", new, methods=["GET"])
    router.add_api_route(f"{base}/new", add, methods=["POST"])
    router.add_api_route(f"{base}/{{entry_id}}", edit, methods=["GET"])
    router.add_api_route(f"{base}/{{entry_id}}", change, methods=["POST"])


REGISTERS["contacts"] = Register(Entity.CONTACT, "contacts", lambda page: [])
for _register in REGISTERS.values():
    _routes(_register)
