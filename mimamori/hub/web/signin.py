"""Signing in with a one-time link (``next``: the page of this hub it opens), and
signing out (a POST from the hub's own page).

Password sign-in for accounts is ``login.py``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse, Response

from mimamori.hub.access.auth import SESSION_COOKIE, issue, token_hash
from mimamori.hub.model.accounts import CredentialKind, Redeemed
from mimamori.hub.web.context import Page, set_session_cookie

router = APIRouter(include_in_schema=False)


# Where a link may lead after signing in: a page of this hub, never another site
# ("//host" and "/\\host" are other sites to a browser).
_LOCAL = re.compile(r"^/[A-Za-z0-9._~-][A-Za-z0-9._~/-]*$")


@router.get("/signin")
async def signin(
    page: Page,
    token: Annotated[str, Query(max_length=200)] = "",
    to: Annotated[str, Query(alias="next", max_length=200)] = "",
) -> Response:
    hub = page.hub
    now = hub.clock()
    outcome, credential = await hub.store.redeem_signin(token_hash(token), now)
    if outcome is not Redeemed.OK or credential is None:
        status = 401 if outcome is Redeemed.UNKNOWN else 410
        return page.message(f"signin_{outcome}_title", f"signin_{outcome}", status)
    ttl = timedelta(days=hub.config.hub.auth.session_ttl_days)
    session = await issue(
        hub.store,
        CredentialKind.SESSION,
        role=credential.role,
        family_id=credential.family_id,
        name=credential.name,
        ttl=ttl,
        now=now,
        user_id=credential.user_id,  # an account's link: the session acts as the account
    )
    # Staff and admins start at the desk, families and volunteers at the map; a
    # language asked for on the link carries over (and is remembered there).
    start = "/desk" if credential.role in ("staff", "admin") and credential.user_id else "/map"
    if _LOCAL.match(to):  # a link that leads to one page (LINE's search: its page)
        start = to
    asked = page.asked == page.lang
    response = RedirectResponse(f"{start}?lang={page.lang}" if asked else start, status_code=303)
    set_session_cookie(response, hub, session, ttl)
    return response


@router.get("/signout")
async def signout_page(page: Page) -> Response:
    """Asks; only the button signs out."""
    if page.principal is None:
        return page.message("signed_out_title", "signed_out", 200)
    return page.message("sign_out", "sign_out_confirm", 200, sign_out=True)


@router.post("/signout")
async def signout(page: Page) -> Response:
    if cookie := page.request.cookies.get(SESSION_COOKIE):
        await page.hub.store.delete_credential(CredentialKind.SESSION, token_hash(cookie))
    response = page.message("signed_out_title", "signed_out", 200)
    response.delete_cookie(SESSION_COOKIE)
    return response
