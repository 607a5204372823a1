"""A person's photo at the desk (``desk/photos.py``): uploaded from the person's page
(a form posting the file: with the API's, ``api/register_photos.py``, the only routes
whose body may exceed the hub's 1 MiB) and shown to the staff who may see that
person, never cached (``no-store``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from mimamori.errors import ChangeRefused, FieldProblem, StaleVersion
from mimamori.hub.desk import photos, service
from mimamori.hub.desk.service import DeskRefused
from mimamori.hub.model.register import Entity
from mimamori.hub.web.context import SignedIn
from mimamori.hub.web.desk_common import desk_refusal, refusal, version_of
from mimamori.hub.web.desk_people import person_view

router = APIRouter(include_in_schema=False)
PersonId = Annotated[str, Path(max_length=64)]
PHOTO_BODY = photos.FORM_BYTES  # past the hub's MAX_BODY: this route only (and the API's)


@router.get("/desk/people/{person_id}/photo")
async def photo(page: SignedIn, person_id: PersonId) -> Response:
    try:
        found = await photos.photo_of(page.hub, page.who, person_id)
    except DeskRefused as exc:
        return refusal(page, exc)
    return Response(found.data, media_type=found.media_type)


@router.post("/desk/people/{person_id}/photo", max_body_size=PHOTO_BODY)
async def upload(page: SignedIn, person_id: PersonId) -> Response:
    if (refused := desk_refusal(page)) is not None:
        return refused
    form = await page.request.form(max_files=1, max_fields=4)
    version = version_of(form) or 0
    sent = form.get("photo")
    data = await sent.read(photos.MAX_BYTES + 1) if isinstance(sent, UploadFile) else b""
    try:
        if not data:
            raise ChangeRefused(
                [FieldProblem("photo", "写真を選んでください", "choose a photo to upload")]
            )
        await photos.set_photo(page.hub, page.who, person_id, data, version=version)
    except DeskRefused as exc:
        return refusal(page, exc)
    except (ChangeRefused, StaleVersion) as exc:
        try:
            person, now = await service.read(page.hub, page.who, Entity.PERSON, person_id)
        except DeskRefused as gone:
            return refusal(page, gone)
        return await person_view(page, person, now, exc)
    return RedirectResponse(f"/desk/people/{person_id}", status_code=303)
