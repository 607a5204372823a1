"""LINE's webhook: ``POST /api/v1/line/webhook`` (docs/line.md).

Thin: the body is read up to its bound, the LINE service checks its signature and
keeps its events, and LINE gets its answer at once; the events are handled after
(``line/events.py``). Without ``hub.line`` the URL does not exist (404). It is LINE's
door, not part of the hub's API for its own clients: not in the OpenAPI.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from mimamori.hub.access.deps import Hub
from mimamori.hub.line.webhook import MAX_BODY, Refused

router = APIRouter(prefix="/api/v1", include_in_schema=False)


async def _body(request: Request) -> bytes:
    """The body, refused (413) as soon as it grows past ``MAX_BODY``."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise Refused(413, f"body over {MAX_BODY} bytes")
    return bytes(body)


@router.post("/line/webhook")
async def line_webhook(request: Request, hub: Hub) -> JSONResponse:
    if hub.line is None:
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    try:
        body = await _body(request)
        kept, replayed = await hub.line.accept(body, request.headers.get("x-line-signature"))
    except Refused as exc:
        return JSONResponse({"detail": exc.reason}, status_code=exc.status)
    return JSONResponse({"kept": kept, "replayed": replayed})
