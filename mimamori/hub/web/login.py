"""Password sign-in for accounts (staff, volunteers, admins, and families who want one).

Families may keep using one-time links (``/signin``). A wrong id and a wrong password
get the same answer, after the same amount of work. How many tries an account, an
address and a browser get, and the hashing off the event loop: ``signin_guard.py``.
"""

from __future__ import annotations

import html
import math
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mimamori.hub.access.auth import issue
from mimamori.hub.access.deps import Hub
from mimamori.hub.access.signin_guard import DEVICE_COOKIE, DEVICE_TTL, SigninResult
from mimamori.hub.model.accounts import CredentialKind
from mimamori.hub.web.households import _page
from mimamori.hub.web.i18n import Lang, t
from mimamori.hub.web.map import _lang, set_session_cookie

router = APIRouter(include_in_schema=False)


def _form(lang: Lang, error: bool) -> str:
    wrong = (
        f'<p class="error" id="wrong">{html.escape(t("login_wrong", lang))}</p>' if error else ""
    )
    return (
        f'{wrong}<form method="post" action="/login" class="login">'
        f"<label>{html.escape(t('login_id', lang))}"
        '<input name="user" autocomplete="username" required maxlength="64"></label>'
        f"<label>{html.escape(t('login_password', lang))}"
        '<input name="password" type="password" autocomplete="current-password" required '
        'maxlength="200"></label>'
        f'<button type="submit" id="login">{html.escape(t("login_button", lang))}</button></form>'
    )


@router.get("/login")
async def login_page(request: Request, hub: Hub) -> Response:
    lang = _lang(request, hub, None)
    return HTMLResponse(_page(lang, t("login_title", lang), _form(lang, False), ""))


@router.post("/login")
async def login(
    request: Request,
    hub: Hub,
    user: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
) -> Response:
    lang = _lang(request, hub, None)
    result = await hub.signin.sign_in(
        user,
        password,
        address=request.client.host if request.client else None,
        device=request.cookies.get(DEVICE_COOKIE),
        now=hub.clock(),
    )
    if result.retry_after is not None:
        return _come_back_later(lang, result)
    account = result.user
    if account is None:
        body = _page(lang, t("login_title", lang), _form(lang, True), "")
        return HTMLResponse(body, status_code=401)
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
        secure=hub.config.hub.http.public_url.startswith("https://"),
    )
    return response


def _come_back_later(lang: Lang, result: SigninResult) -> Response:
    """429 while the address or the account waits; 503 when too many checks queue."""
    assert result.retry_after is not None
    seconds = max(1, math.ceil(result.retry_after.total_seconds()))
    if result.busy:
        text, status = t("login_busy", lang), 503
    else:
        text, status = t("login_locked", lang).format(minutes=math.ceil(seconds / 60)), 429
    notice = f'<p class="error" id="wait">{html.escape(text)}</p>'
    body = _page(lang, t("login_title", lang), notice + _form(lang, False), "")
    return HTMLResponse(body, status_code=status, headers={"Retry-After": str(seconds)})
