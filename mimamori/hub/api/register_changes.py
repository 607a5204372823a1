"""The register's change log for API clients (issue 14): ``/desk/audit``'s data, newest
first, through the desk's own masking (``desk/audit.py``): who changed what, when and
through what, each field before and after, personal values masked (``＊＊＊``) for a
reader who may not see the entry. Staff and admins only (a family's or a volunteer's
token: 403). Narrowed to one person (``person``) or one kind of entry (``kind``);
paged by ``before``, the ``older`` cursor of the page before.
"""

# No "from __future__ import annotations": FastAPI reads the parameters' types from the
# evaluated annotations.
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from mimamori.errors import FieldProblem
from mimamori.hub.access.deps import Hub
from mimamori.hub.api.register import REFUSALS, DeskCaller, problems
from mimamori.hub.desk import audit
from mimamori.hub.model.register import Entity
from mimamori.protocol.timefmt import format_ts

router = APIRouter(prefix="/api/v1/register", tags=["register"])
MAX_LIMIT = 200  # a page of changes; the desk's page shows 50


class FieldOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    before: str  # "": not set; "＊＊＊": set, but not the reader's to read
    after: str


class ChangeOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    at: str
    who: str
    role: str
    via: str
    action: str
    kind: str
    entry_id: str
    register_version: int
    fields: list[FieldOut]
    masked: bool
    forgotten: bool


class ChangesOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    changes: list[ChangeOut]
    older: int | None  # ``before`` for the next (older) page; null: this is the last


def _out(change: audit.ShownChange) -> ChangeOut:
    row = change.entry
    return ChangeOut(
        id=row.id,
        at=format_ts(row.at),
        who=row.who,
        role=row.role,
        via=row.via,
        action=row.action,
        kind=row.entity.value,
        entry_id=row.entity_id,
        register_version=row.register_version,
        fields=[FieldOut(name=f.name, before=f.before, after=f.after) for f in change.fields],
        masked=change.masked,
        forgotten=change.forgotten,
    )


@router.get(
    "/changes",
    response_model=ChangesOut,
    responses=REFUSALS,
    summary="The register's changes, newest first; personal values masked outside your areas",
)
async def changes(  # noqa: PLR0917 (FastAPI passes the query by name)
    hub: Hub,
    caller: DeskCaller,
    person: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    kind: Annotated[Entity | None, Query()] = None,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> ChangesOut | JSONResponse:
    if person is not None and kind not in (None, Entity.PERSON):
        return problems(
            [
                FieldProblem(
                    "kind",
                    "人を指定したときは person だけです",
                    "a person's changes are of kind person",
                )
            ]
        )
    entity = Entity.PERSON if person is not None else kind
    rows = await hub.store.register_audit_log(
        entity=entity, entity_id=person, limit=limit, before_id=before
    )
    shown = [_out(audit.shown(hub.registry, caller, row)) for row in rows]
    return ChangesOut(changes=shown, older=rows[-1].id if len(rows) == limit else None)
