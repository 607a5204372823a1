"""A person's photo for API clients (issue 14), as at the desk and through its code
(``desk/photos.py``): an upload (JPEG, PNG or WebP up to 5 MB, posted as the form
field ``photo`` with the version read) is decoded and re-encoded by Pillow, so no
metadata (GPS first) is kept, and named from the person's entry by an audited change
(``photo.set``, via ``api``); the photo comes back as ``image/jpeg``. Staff of the
person's area and admins only: 403 for anyone else, 404 for no person or no photo.
"""

# No "from __future__ import annotations": FastAPI reads the parameters' types from the
# evaluated annotations.
from typing import Annotated, Any

from fastapi import APIRouter, File, HTTPException, UploadFile
from fastapi.responses import JSONResponse, Response

from mimamori.hub.access.deps import Hub
from mimamori.hub.api.register import REFUSALS, VIA, DeskCaller, Saved, Version, answer, guard
from mimamori.hub.api.register_people import PersonId
from mimamori.hub.desk import photos
from mimamori.hub.desk.service import DeskRefused
from mimamori.hub.model.register import Entity

router = APIRouter(prefix="/api/v1/register/people", tags=["register"])
READ, WRITE = guard(Entity.PERSON, write=False), guard(Entity.PERSON, write=True)
JPEG: dict[int | str, dict[str, Any]] = {
    200: {"content": {photos.MEDIA_TYPE: {}}, "description": "the photo, re-encoded as JPEG"}
}


@router.get(
    "/{person_id}/photo",
    response_class=Response,
    dependencies=[READ],
    responses={**REFUSALS, **JPEG},
    summary="A person's photo (JPEG, no metadata)",
)
async def photo(hub: Hub, caller: DeskCaller, person_id: PersonId) -> Response:
    try:
        found = await photos.photo_of(hub, caller, person_id)
    except DeskRefused as exc:
        raise HTTPException(status_code=exc.status, detail=str(exc)) from None
    return Response(found.data, media_type=found.media_type)


@router.post(
    "/{person_id}/photo",
    max_body_size=photos.FORM_BYTES,
    response_model=Saved,
    dependencies=[WRITE],
    responses=REFUSALS,
    summary="Set a person's photo: JPEG, PNG or WebP up to 5 MB (the version you read)",
)
async def upload(
    hub: Hub,
    caller: DeskCaller,
    person_id: PersonId,
    version: Version,
    photo: Annotated[UploadFile, File(description="JPEG, PNG or WebP, at most 5 MB")],
) -> JSONResponse:
    # One byte past the limit is enough for ``reencode`` to refuse it with its reason.
    data = await photo.read(photos.MAX_BYTES + 1)
    return await answer(photos.set_photo(hub, caller, person_id, data, version=version, via=VIA))
