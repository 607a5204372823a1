"""Password sign-in for accounts (staff, volunteers, admins, and families who want one).

Families may keep using one-time links (``/signin``). A wrong id and a wrong password
get the same answer, after the same amount of work. How many tries an account, an
address and a browser get, and the hashing off the event loop: ``access/signin_guard.py``.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response

from mimamori.hub.access.auth import issue
from mimamori.hub.access.signin_guard import DEVICE_COOKIE, DEVICE_TTL, SigninResult
from mimamori.hub.model.accounts import CredentialKind
from mimamori.hub.web.context import Page, PageContext, https, set_session_cookie

router = APIRouter(include_in_schema=False)


@router.get("/login")
async def login_page(page: Page) -> Response:
    return page.render("login.html")


@router.post("/login")
async def login(
    page: Page,
    user: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
) -> Response:
    hub, request = page.hub, page.request
    result = await hub.signin.sign_in(
        user,
        password,
        address=request.client.host if request.client else None,
        device=request.cookies.get(DEVICE_COOKIE),
        now=hub.clock(),
    )
    if result.retry_after is not None:
        return _come_back_later(page, result)
    account = result.user
    if account is None:
        return page.render("login.html", status=401, wrong=True)
    ttl = timedelta(days=hub.config.hub.auth.session_ttl_days)
    session = await issue(
        hub.store,
        CredentialKind.SESSION,
        role=account.role,
        family_id=account.family_id,
        name=account.name,
        ttl=ttl,
        now=hub.clock(),
        user_id=account.id,
    )
    target = "/map" if account.role == "family" else "/dashboard"
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, hub, session, ttl)
    response.set_cookie(
        DEVICE_COOKIE,
        await hub.signin.device_cookie(account.id),
        max_age=int(DEVICE_TTL.total_seconds()),
        path="/login",
        httponly=True,
        samesite="strict",
        secure=https(hub),
    )
    return response


def _come_back_later(page: PageContext, result: SigninResult) -> Response:
    """429 while the address or the account waits; 503 when too many checks queue."""
    assert result.retry_after is not None
    seconds = max(1, math.ceil(result.retry_after.total_seconds()))
    if result.busy:
        wait, status = page.t("login_busy"), 503
    else:
        wait, status = page.t("login_locked", minutes=math.ceil(seconds / 60)), 429
    response = page.render("login.html", status=status, wait=wait)
    response.headers["Retry-After"] = str(seconds)
    return response
