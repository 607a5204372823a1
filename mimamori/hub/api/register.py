"""The desk's register for API clients (issue 14): households, contacts, families,
watch points, escalation policies and people under ``/api/v1/register/…``, the same
operations as the desk's pages, through the same service (``hub/desk/service.py``):
the same policy (staff and admins only: a family's or a volunteer's token gets 403
on every route, before anything is read; staff 403 for another area's entry;
policies changed by admins), the same validation and the same versions.

- ``GET …/{kind}`` lists what the caller may see; ``GET …/{kind}/{id}`` answers the
  entry and its ``version``.
- ``POST …/{kind}`` adds an entry (201); ``PUT …/{kind}/{id}?version=N`` replaces it
  and ``DELETE …/{kind}/{id}?version=N`` removes it, where N is the version read: if
  someone changed it meanwhile, 409 and nothing is written.
- A refused change answers 422 with each problem's field and reason in Japanese and
  English (``{"detail": [{"field", "ja", "en"}]}``). Bodies are validated by the
  register itself, on the hub's clock (so "a day still to come" is the hub's), which
  is why the body is taken as JSON and the OpenAPI shows the entry's schema.
- A contact's channels (apprise URLs, which carry passwords) are write-only: a
  contact reads back with its channels masked (``mailto://…``); a PUT without
  ``channels`` keeps those on record.

People have their own list and changes (``api/register_people.py``).
"""

# No "from __future__ import annotations": the routes are made per kind, and FastAPI
# reads their body types (local to ``_routes``) from the evaluated annotations.
from collections.abc import Awaitable
from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, PlainValidator

from mimamori.errors import ChangeRefused, FieldProblem, StaleVersion
from mimamori.hub.access.deps import Caller, Hub
from mimamori.hub.access.policy import Principal, may_use_desk
from mimamori.hub.desk import service
from mimamori.hub.desk.service import DeskRefused
from mimamori.hub.model.register import Entity
from mimamori.hub.register.changes import Changed
from mimamori.hub.register.records import ENTRY_MODELS, STORED_MODELS
from mimamori.hub.register.schema import Household, PersonEntry
from mimamori.hub.server.state import HubState


async def desk_caller(caller: Caller) -> Principal:
    """The register is the care centre's: a family's or a volunteer's token is refused
    (403) here, before the request's parameters or body are even looked at."""
    if not may_use_desk(caller):
        raise HTTPException(status_code=403, detail="the register is the care centre's")
    return caller


DeskCaller = Annotated[Principal, Depends(desk_caller)]


def guard(entity: Entity, *, write: bool) -> Any:
    """A route's dependency: 403 (or 404) for an entry the caller may not see or change,
    before FastAPI validates the request's parameters and body (a refusal never
    depends on how the request is written)."""

    async def allowed(request: Request, hub: Hub, caller: DeskCaller) -> None:
        found = request.path_params.get("entry_id", request.path_params.get("person_id"))
        try:
            service.check_entry(hub.registry, caller, entity, found, write=write)
        except DeskRefused as exc:
            raise HTTPException(status_code=exc.status, detail=str(exc)) from None

    return Depends(allowed)


router = APIRouter(prefix="/api/v1/register", tags=["register"])

E = TypeVar("E", bound=BaseModel)
EntryId = Annotated[str, Path(min_length=1, max_length=64)]
# The version a change read (versions start at 1; 2**31 - 1: the database's integer).
Version = Annotated[int, Query(ge=1, le=2**31 - 1, description="the version you read")]
VIA = "api"
KINDS: dict[str, Entity] = {
    "households": Entity.HOUSEHOLD,
    "contacts": Entity.CONTACT,
    "families": Entity.FAMILY,
    "watch-points": Entity.WATCH_POINT,
    "policies": Entity.POLICY,
}


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError("an entry is a JSON object")
    return value


def raw(model: type[BaseModel]) -> Any:
    """A body taken as a JSON object, for the register to validate on the hub's clock;
    the OpenAPI shows ``model``'s schema."""
    return Annotated[dict[str, Any], PlainValidator(_object, json_schema_input_type=model)]


class Stored(BaseModel, Generic[E]):
    """An entry as stored, and its version (to name in the change that follows)."""

    model_config = ConfigDict(frozen=True)

    version: int
    entry: E


class Saved(BaseModel):
    """A change written: the entry's new version (null: removed) and the register's."""

    model_config = ConfigDict(frozen=True)

    kind: str
    id: str
    version: int | None
    register_version: int


class Problem(BaseModel):
    field: str
    ja: str
    en: str


class Refused(BaseModel):
    detail: list[Problem]


REFUSALS: dict[int | str, dict[str, Any]] = {
    403: {"description": "not the care centre's, or another area's entry"},
    404: {"description": "no such entry"},
    409: {"description": "changed since the version you read: read it again"},
    422: {"model": Refused, "description": "each field and why, in Japanese and English"},
}


def problems(found: list[FieldProblem]) -> JSONResponse:
    return JSONResponse(
        {"detail": [{"field": p.field, "ja": p.ja, "en": p.en} for p in found]}, status_code=422
    )


async def answer(work: Awaitable[Changed], status: int = 200) -> JSONResponse:
    """A change's answer: what was written, or why not (403/404, 409, 422)."""
    try:
        changed = await work
    except DeskRefused as exc:
        raise HTTPException(status_code=exc.status, detail=str(exc)) from None
    except StaleVersion as exc:
        return JSONResponse({"detail": {"ja": exc.ja, "en": str(exc)}}, status_code=409)
    except ChangeRefused as exc:
        return problems(exc.problems)
    saved = Saved(
        kind=changed.entity.value,
        id=changed.id,
        version=changed.version,
        register_version=changed.register_version,
    )
    return JSONResponse(saved.model_dump(), status_code=status)


async def read(hub: HubState, caller: Principal, entity: Entity, entry_id: str) -> tuple[Any, int]:
    try:
        return await service.read(hub, caller, entity, entry_id)
    except DeskRefused as exc:
        raise HTTPException(status_code=exc.status, detail=str(exc)) from None


def with_id(data: dict[str, Any], entry_id: str) -> dict[str, Any]:
    """The body as the entry ``entry_id`` (an entry's id never changes: a body naming
    another is refused)."""
    given = data.get("id", entry_id)
    if given != entry_id:
        raise ChangeRefused(
            [FieldProblem("id", "ID は変えられません", "an entry's id never changes")]
        )
    return {**data, "id": entry_id}


async def replace(
    hub: HubState,
    caller: Principal,
    entity: Entity,
    entry_id: str,
    data: dict[str, Any],
    *,
    version: int,
) -> Changed:
    """PUT: the caller may change the entry as it stands and as it will be."""
    current, _ = await service.read(hub, caller, entity, entry_id)
    service.check(caller, entity, service.areas_of(hub.registry, entity, current), write=True)
    entry = with_id(data, entry_id)
    if isinstance(current, PersonEntry):
        named = [*_names(entry.get("contacts")), *_names([entry.get("minsei")])]
        service.check_contacts(
            hub.registry, caller, named, [*current.contacts, current.minsei or ""]
        )
    return await service.save(hub, caller, entity, entry, version=version, current=current, via=VIA)


def _names(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


async def add(hub: HubState, caller: Principal, entity: Entity, data: dict[str, Any]) -> Changed:
    service.check(caller, entity, [], write=True)
    if entity == Entity.PERSON:
        named = [*_names(data.get("contacts")), *_names([data.get("minsei")])]
        service.check_contacts(hub.registry, caller, named, [])
    return await service.save(hub, caller, entity, data, version=None, via=VIA)


def _routes(path: str, entity: Entity) -> None:
    """The five routes of one kind of entry."""
    model = ENTRY_MODELS[entity]
    shown = Household if entity == Entity.HOUSEHOLD else STORED_MODELS[entity]
    listed: Any = list[shown]  # type: ignore[valid-type]
    stored: Any = Stored[shown]  # type: ignore[valid-type]
    Body = raw(model)
    name = entity.value.replace("_", " ")

    async def listing(hub: Hub, caller: DeskCaller) -> list[Any]:
        try:
            return service.visible_entries(hub.registry, caller, entity)
        except DeskRefused as exc:
            raise HTTPException(status_code=exc.status, detail=str(exc)) from None

    async def one(hub: Hub, caller: DeskCaller, entry_id: EntryId) -> Stored[Any]:
        entry, version = await read(hub, caller, entity, entry_id)
        return Stored[Any](version=version, entry=entry)

    async def create(hub: Hub, caller: DeskCaller, body: Body) -> JSONResponse:  # type: ignore[valid-type]
        return await answer(add(hub, caller, entity, body), status=201)

    async def change(
        hub: Hub,
        caller: DeskCaller,
        entry_id: EntryId,
        version: Version,
        body: Body,  # type: ignore[valid-type]
    ) -> JSONResponse:
        return await answer(replace(hub, caller, entity, entry_id, body, version=version))

    async def delete(
        hub: Hub, caller: DeskCaller, entry_id: EntryId, version: Version
    ) -> JSONResponse:
        return await answer(service.remove(hub, caller, entity, entry_id, version=version, via=VIA))

    base = f"/{path}"
    read_, write = guard(entity, write=False), guard(entity, write=True)
    router.add_api_route(
        base,
        listing,
        methods=["GET"],
        response_model=listed,
        dependencies=[read_],
        responses=REFUSALS,
        summary=f"The {name} entries you may see",
    )
    router.add_api_route(
        f"{base}/{{entry_id}}",
        one,
        methods=["GET"],
        response_model=stored,
        dependencies=[read_],
        responses=REFUSALS,
        summary=f"One {name} and its version",
    )
    router.add_api_route(
        base,
        create,
        methods=["POST"],
        status_code=201,
        response_model=Saved,
        dependencies=[write],
        responses=REFUSALS,
        summary=f"Add a {name}",
    )
    router.add_api_route(
        f"{base}/{{entry_id}}",
        change,
        methods=["PUT"],
        response_model=Saved,
        dependencies=[write],
        responses=REFUSALS,
        summary=f"Replace a {name} (the version you read)",
    )
    router.add_api_route(
        f"{base}/{{entry_id}}",
        delete,
        methods=["DELETE"],
        response_model=Saved,
        dependencies=[write],
        responses=REFUSALS,
        summary=f"Remove a {name} (the version you read)",
    )


for _path, _entity in KINDS.items():
    _routes(_path, _entity)
