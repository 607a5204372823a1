"""A gateway's one-time enrollment code from its desk page (issue 20), with the QR the
technician scans at the machine: the same ``Enrollment.issue`` as ``hub gateway
enroll`` and ``POST /api/v1/gateways/ID/enrollment``, so the code stays one-time,
hashed in the database, valid ``code_ttl_min`` and audited.

The QR holds the whole command the Pi runs (``mimamori edge enroll --hub URL --code
CODE``): a technician's phone reads it as text to paste into the Pi's console, and
the code is in it only once and only on this answer (never cached). Only admins make
codes (there is no technician role: technicians work with admin accounts), as the
API and the broker account.
"""

from __future__ import annotations

import logging
import shlex
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path
from fastapi.responses import Response

from mimamori.hub.cases.cards import qr_svg
from mimamori.hub.desk.service import actor
from mimamori.hub.enroll.service import Enrollment, EnrollmentError
from mimamori.hub.web.context import SignedIn
from mimamori.hub.web.desk_broker import admins_only

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
EntryId = Annotated[str, Path(max_length=64)]
ZONE = ZoneInfo("Asia/Tokyo")


def command(public_url: str, code: str) -> str:
    """What the Pi runs, quoted for its shell."""
    return shlex.join(["mimamori", "edge", "enroll", "--hub", public_url, "--code", code])


@router.post("/desk/watch-points/{entry_id}/enrollment")
async def make_code(page: SignedIn, entry_id: EntryId) -> Response:
    if (refused := await admins_only(page, entry_id, "enroll_admins")) is not None:
        return refused
    hub, settings, files = page.hub, page.hub.config.hub.enrollment, page.hub.config.hub.mosquitto
    if settings is None or files is None:
        return page.message("enroll_title", "enroll_unconfigured", 404)
    enrollment = Enrollment(hub.config, settings, files, hub.registry, hub.store, clock=hub.clock)
    by = actor(page.who, "desk")
    problem = None
    try:
        issued = await enrollment.issue(entry_id, who=by.who, role=by.role)
    except EnrollmentError as exc:  # removed from the register meanwhile
        problem = {"ja": exc.ja, "en": exc.en}[page.lang]
    if problem is not None:
        response = page.render("desk/enrollment.html", status=404, gateway_id=entry_id,
                               problem=problem)  # fmt: skip
    else:
        line = command(hub.config.hub.http.public_url.rstrip("/"), issued.code)
        response = page.render(
            "desk/enrollment.html",
            gateway_id=entry_id,
            code=issued.code,
            command=line,
            qr=qr_svg(line),
            expires=page.t.date_time(issued.expires_at.astimezone(ZONE)),
            ttl_min=round(settings.code_ttl_min),
        )
    response.headers["Cache-Control"] = "no-store"  # the code is shown this once
    return response
