"""The desk's people: the list (search and filters, paged, fast with 10,000 people: the
store's indexed query), a person's page, the care-record form, consent per purpose,
emergency contacts in order, the yearly review and check-in by LINE.

Every route asks the policy first (``desk.service``): families and volunteers get
403 on every one of them, staff of another area 403 for a person of that area.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import RedirectResponse, Response

from mimamori.edge.config import WEEKDAYS
from mimamori.errors import ChangeRefused, StaleVersion
from mimamori.hub.access.policy import Principal, visible_households
from mimamori.hub.desk import line_checkin, service
from mimamori.hub.desk.forms import PERSON, entry_data, form_values, posted
from mimamori.hub.desk.service import DeskRefused
from mimamori.hub.model.register import Entity, PeopleQuery
from mimamori.hub.register.schema import PURPOSES, PersonEntry, Purpose
from mimamori.hub.web.context import PageContext, SignedIn
from mimamori.hub.web.desk_common import (
    FormState,
    desk_refusal,
    failed,
    form_value,
    no_version,
    refusal,
    shown,
    version_of,
)

router = APIRouter(include_in_schema=False)
PER_PAGE = 50
MAX_PAGE = 1000  # 50,000 people: more than any town's register
PersonId = Annotated[str, Path(max_length=64)]
Filter = Annotated[str, Query(max_length=100)]
RELATIONS = ("self", "guardian", "family", "other")


def area_choices(page: PageContext) -> list[tuple[str, str]]:
    who, registry = page.who, page.hub.registry
    return [(a.id, a.name) for a in registry.areas.values() if who.in_area(a.id)]


def person_choices(page: PageContext) -> dict[str, list[tuple[str, str]]]:
    hub, who, none = page.hub, page.who, ("", page.t("choice_none"))
    homes = [(h.id, h.name) for h in visible_households(hub.registry, who)]
    contacts = [
        (c, hub.registry.recipients[c].name) for c in service.visible_contacts(hub.registry, who)
    ]
    return {"area": area_choices(page), "household": [none, *homes], "minsei": [none, *contacts]}


@router.get("/desk")
async def desk_home(page: SignedIn) -> Response:
    if (refused := desk_refusal(page)) is not None:
        return refused
    return RedirectResponse("/desk/people", status_code=303)


@router.get("/desk/people")
async def people_list(  # noqa: PLR0917 (FastAPI passes the query by name)
    page: SignedIn,
    q: Filter = "",
    area: Filter = "",
    household: Filter = "",
    tag: Filter = "",
    review: Annotated[str, Query(max_length=10)] = "",
    n: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    if (refused := desk_refusal(page)) is not None:
        return refused
    who, hub = page.who, page.hub
    areas = _areas(who, area)
    review_by = service.month_end(service.today(hub)) if review else None
    query = PeopleQuery(
        areas=areas,
        text=q.strip() or None,
        household=household.strip() or None,
        tag=tag.strip() or None,
        review_by=review_by,
        offset=(n - 1) * PER_PAGE,
        limit=PER_PAGE,
    )
    rows = await hub.store.find_people(query)
    total = await hub.store.count_people(query)
    filters = {"q": q, "area": area, "household": household, "tag": tag, "review": review}
    return page.render(
        "desk/people.html",
        rows=rows,
        total=total,
        n=n,
        pages=max(1, -(-total // PER_PAGE)),
        filters=filters,
        areas=area_choices(page),
        area_names={a.id: a.name for a in hub.registry.areas.values()},
        keep=filters,
    )


@router.get("/desk/reviews")
async def reviews(page: SignedIn) -> Response:
    """The people whose yearly review falls this month (or is overdue)."""
    if (refused := desk_refusal(page)) is not None:
        return refused
    return RedirectResponse("/desk/people?review=month", status_code=303)


def _areas(who: Principal, asked: str) -> tuple[str, ...] | None:
    """The areas a list covers: the caller's (all for admins), narrowed to ``asked``."""
    if asked:
        return (asked,) if who.in_area(asked) else ()
    return None if who.everywhere else who.areas


@router.get("/desk/people/new")
async def new_person(page: SignedIn) -> Response:
    if (refused := desk_refusal(page)) is not None:
        return refused
    return _person_form(page, None, form_values(PERSON, None), FormState(), None)


@router.post("/desk/people/new")
async def add_person(page: SignedIn) -> Response:
    if (refused := desk_refusal(page)) is not None:
        return refused
    values = posted(PERSON, await page.request.form())
    try:
        changed = await service.save(
            page.hub, page.who, Entity.PERSON, entry_data(PERSON, values, None), version=None
        )
    except DeskRefused as exc:
        return refusal(page, exc)
    except (ChangeRefused, StaleVersion) as exc:
        return _person_form(page, None, values, failed(page, exc, PERSON), None, status=422)
    return RedirectResponse(f"/desk/people/{changed.id}", status_code=303)


def _person_form(
    page: PageContext,
    person_id: str | None,
    values: dict[str, str],
    state: FormState,
    version: int | None,
    *,
    status: int = 200,
) -> Response:
    fields = shown(page, PERSON, values, state, person_choices(page), new=person_id is None)
    action = f"/desk/people/{person_id}/edit" if person_id else "/desk/people/new"
    return page.render(
        "desk/form.html",
        status=status,
        kind="person",
        fields=fields,
        state=state,
        action=action,
        version=version,
        back=f"/desk/people/{person_id}" if person_id else "/desk/people",
    )


@router.get("/desk/people/{person_id}")
async def person_page(page: SignedIn, person_id: PersonId) -> Response:
    try:
        person, version = await service.read(page.hub, page.who, Entity.PERSON, person_id)
    except DeskRefused as exc:
        return refusal(page, exc)
    return await _person_view(page, person, version, FormState())


async def _person_view(
    page: PageContext, person: PersonEntry, version: int, state: FormState, status: int = 200
) -> Response:
    hub, who = page.hub, page.who
    registry = hub.registry
    contacts = [(c, registry.recipients[c].name if c in registry.recipients else c)
                for c in person.contacts]  # fmt: skip
    addable = [
        (c, registry.recipients[c].name)
        for c in service.visible_contacts(registry, who)
        if c not in person.contacts
    ]
    families = [f.name for f in registry.families.values() if person.id in f.people]
    home = registry.households.get(person.household or "")
    history = await hub.store.register_audit_log(
        entity=Entity.PERSON, entity_id=person.id, limit=20
    )
    confirmations = await hub.store.contact_confirmations(list(person.contacts))
    return page.render(
        "desk/person.html",
        status=status,
        p=person,
        version=version,
        area=registry.areas[person.area].name if person.area in registry.areas else person.area,
        home=home.name if home else None,
        contacts=contacts,
        confirmed={c.contact_id: c for c in confirmations},
        addable=addable,
        families=families,
        purposes=PURPOSES,
        relations=RELATIONS,
        history=history,
        state=state,
        today=service.today(hub).isoformat(),
        line_form=line_checkin.form_of(person) if hub.config.hub.line is not None else None,
        line_kinds=line_checkin.KINDS,
        weekdays=WEEKDAYS,
    )


@router.get("/desk/people/{person_id}/edit")
async def edit_person(page: SignedIn, person_id: PersonId) -> Response:
    try:
        person, version = await service.read(page.hub, page.who, Entity.PERSON, person_id)
    except DeskRefused as exc:
        return refusal(page, exc)
    return _person_form(page, person_id, form_values(PERSON, person), FormState(), version)


@router.post("/desk/people/{person_id}/edit")
async def change_person(page: SignedIn, person_id: PersonId) -> Response:
    form = await page.request.form()
    values = posted(PERSON, form)
    version = version_of(form)
    try:
        person, _ = await service.read(page.hub, page.who, Entity.PERSON, person_id)
        if version is None:
            return _person_form(page, person_id, values, no_version(page), None, status=422)
        data = {**entry_data(PERSON, values, person), "id": person_id}
        await service.save(page.hub, page.who, Entity.PERSON, data, version=version, current=person)
    except DeskRefused as exc:
        return refusal(page, exc)
    except (ChangeRefused, StaleVersion) as exc:
        state = failed(page, exc, PERSON)
        return _person_form(page, person_id, values, state, version, status=_status(exc))
    return RedirectResponse(f"/desk/people/{person_id}", status_code=303)


def _status(exc: Exception) -> int:
    return 409 if isinstance(exc, StaleVersion) else 422


async def person_view(
    page: PageContext, person: PersonEntry, version: int, exc: Exception
) -> Response:
    """The person's page again, saying why a change was refused (409 stale, 422)."""
    return await _person_view(page, person, version, failed(page, exc), _status(exc))


async def _act(page: PageContext, person_id: str, work: Any) -> Response:
    """A change from the person's page: done, back to it; refused, the page again with
    the problem (and what is on record now)."""
    try:
        await work
    except DeskRefused as exc:
        return refusal(page, exc)
    except (ChangeRefused, StaleVersion) as exc:
        try:
            person, version = await service.read(page.hub, page.who, Entity.PERSON, person_id)
        except DeskRefused as refused:
            return refusal(page, refused)
        return await person_view(page, person, version, exc)
    return RedirectResponse(f"/desk/people/{person_id}", status_code=303)


@router.post("/desk/people/{person_id}/consent")
async def record_consent(page: SignedIn, person_id: PersonId) -> Response:
    form = await page.request.form()
    consent = {
        k: form_value(form, k) or None for k in ("purpose", "by", "relation", "at", "record")
    }
    version = version_of(form)
    return await _act(
        page,
        person_id,
        service.record_consent(page.hub, page.who, person_id, consent, version=version or 0),
    )


@router.post("/desk/people/{person_id}/consent/withdraw")
async def withdraw_consent(page: SignedIn, person_id: PersonId) -> Response:
    form = await page.request.form()
    asked = form_value(form, "purpose")
    try:
        on = date.fromisoformat(form_value(form, "on"))
    except ValueError:
        on = service.today(page.hub)
    # A purpose that is none: "location", which the register refuses if not on record.
    purpose: Purpose = next((p for p in PURPOSES if p == asked), "location")
    version = version_of(form) or 0
    return await _act(
        page,
        person_id,
        service.withdraw_consent(page.hub, page.who, person_id, purpose, on=on, version=version),
    )


@router.post("/desk/people/{person_id}/contacts")
async def order_contacts(page: SignedIn, person_id: PersonId) -> Response:
    form = await page.request.form()
    how, contact = form_value(form, "how", 10), form_value(form, "contact", 64)
    version = version_of(form) or 0

    async def work() -> None:
        person, _ = await service.read(page.hub, page.who, Entity.PERSON, person_id)
        order = service.moved(person.contacts, contact, how)
        await service.set_contacts(page.hub, page.who, person_id, order, version=version)

    return await _act(page, person_id, work())


@router.post("/desk/people/{person_id}/line-checkin")
async def set_line_checkin(page: SignedIn, person_id: PersonId) -> Response:
    """Check-in by LINE on or off, its time and how often (``desk/line_checkin.py``)."""
    form = await page.request.form()
    days = [str(d) for d in form.getlist("days")][: len(WEEKDAYS)]
    asked = line_checkin.posted(form, days)
    version = version_of(form) or 0
    return await _act(
        page, person_id, line_checkin.save(page.hub, page.who, person_id, asked, version=version)
    )


@router.post("/desk/people/{person_id}/review")
async def review_done(page: SignedIn, person_id: PersonId) -> Response:
    form = await page.request.form()
    return await _act(
        page,
        person_id,
        service.review_done(page.hub, page.who, person_id, version=version_of(form) or 0),
    )
