"""The page behind a contact's confirmation link (``desk/confirmations.py``): who they
are registered for, and a button. No account is needed: the one-time link is the
permission (only its hash is kept; a newer request replaces it). GET only shows; the
button POSTs, so a mail app's link preview confirms nothing. A link works for
``ANSWER_WITHIN`` on the hub's clock; after that its page says so (410) and shows
no one's name, and its button confirms nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from mimamori.hub.access.auth import token_hash
from mimamori.hub.desk.confirmations import ANSWER_WITHIN, expired
from mimamori.hub.model.confirmations import Confirmation
from mimamori.hub.web.context import Page, PageContext

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Query(max_length=200)]


def _shown(page: PageContext, found: Confirmation, token: str) -> Response:
    registry = page.hub.registry
    contact = registry.recipients.get(found.contact_id)
    people = [registry.people[p].name for p in found.people if p in registry.people]
    return page.render(
        "confirm.html",
        keep={"token": token},
        token=token,
        contact=contact.name if contact else found.contact_id,
        people=page.t.join(people),
        confirmed=found.confirmed,
    )


def _unknown(page: PageContext, token: str) -> Response:
    return page.message("confirm_unknown_title", "confirm_unknown", 404, keep={"token": token})


def _expired(page: PageContext, token: str) -> Response:
    return page.message("confirm_expired_title", "confirm_expired", 410, keep={"token": token})


@router.get("/confirm")
async def confirm_page(page: Page, token: Token = "") -> Response:
    found = await page.hub.store.confirmation_of(token_hash(token))
    if found is None:
        return _unknown(page, token)
    if expired(found, page.hub.clock()):
        return _expired(page, token)
    return _shown(page, found, token)


@router.post("/confirm")
async def confirm(page: Page, token: Token = "") -> Response:
    hub = page.hub
    now = hub.clock()
    found = await hub.store.confirm_contact(token_hash(token), now, asked_after=now - ANSWER_WITHIN)
    if found is None:
        return _unknown(page, token)
    if expired(found, now):
        return _expired(page, token)
    await hub.store.audit(
        hub.clock(),
        who=found.contact_id,
        role="contact",
        action="contact.confirm",
        subject=f"contact:{found.contact_id}",
    )
    return _shown(page, found, token)
