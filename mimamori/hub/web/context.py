"""What every page needs to know first: the visitor's language and who is asking.

One dependency for every page route (``Page``; ``SignedIn`` for the pages that need
a sign-in): the language from ``?lang=``, else the ``mimamori_lang`` cookie, else
``hub.language``; the principal from the session cookie (or a bearer token, as the
API reads it); and the same 401 page for every page reached without a sign-in. A
language asked for in the query is remembered in the cookie by whatever page the
context renders.

Refresh: a page that shows a live list and has nothing to type (the households) may
reload itself every ``PageSettings.refresh_s``; a page with a form never does (it
would wipe what a person is typing), and the map and search pages follow their
server-sent events instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response

from mimamori.hub.access.auth import SESSION_COOKIE
from mimamori.hub.access.deps import Hub, find_principal
from mimamori.hub.access.policy import Principal
from mimamori.hub.server.state import HubState
from mimamori.hub.web import rendering
from mimamori.hub.web.i18n import Lang, Texts, pick_lang, texts

LANG_COOKIE = "mimamori_lang"
LANG_COOKIE_AGE_S = 365 * 24 * 3600  # a year: a family member's phone keeps its choice

R = TypeVar("R", bound=Response)


@dataclass
class PageSettings:
    """The pages' own settings, on ``app.state.pages`` (``HubApp`` puts them there);
    a test shortens them."""

    # A household's state changes at most a few times a day (a press, a missed
    # check-in): a minute is soon enough, and what the pages did before they had
    # a setting.
    refresh_s: int = 60


class SignInRequired(Exception):
    """Raised by ``PageContext.who``: the page's answer is the sign-in page (401)."""

    def __init__(self, page: PageContext) -> None:
        super().__init__("sign-in required")
        self.page = page


@dataclass(frozen=True)
class PageContext:
    request: Request
    hub: HubState
    lang: Lang
    asked: str | None  # the ?lang= of this request, remembered if it was a language
    principal: Principal | None
    settings: PageSettings

    @property
    def t(self) -> Texts:
        return texts(self.lang)

    @property
    def who(self) -> Principal:
        """The signed-in principal; without one, the page becomes the sign-in page."""
        if self.principal is None:
            raise SignInRequired(self)
        return self.principal

    def render(
        self,
        template: str,
        *,
        status: int = 200,
        keep: Mapping[str, str] | None = None,
        live_list: bool = False,
        **values: Any,
    ) -> HTMLResponse:
        """``template`` for this visitor. ``live_list``: the page shows a list that
        changes and has NO form, so it reloads itself every ``settings.refresh_s``."""
        response = rendering.render(
            self.request,
            template,
            self.lang,
            status=status,
            keep=keep,
            signed_in=self.principal is not None,
            refresh_s=self.settings.refresh_s if live_list else None,
            **values,
        )
        return self.remember_lang(response)

    def message(
        self,
        title_key: str,
        text_key: str,
        status: int,
        *,
        keep: Mapping[str, str] | None = None,
        sign_out: bool = False,
    ) -> HTMLResponse:
        response = rendering.message(
            self.request, self.lang, title_key, text_key, status, keep=keep, sign_out=sign_out
        )
        return self.remember_lang(response)

    def remember_lang(self, response: R) -> R:
        if self.asked == self.lang:
            response.set_cookie(
                LANG_COOKIE,
                self.lang,
                max_age=LANG_COOKIE_AGE_S,
                samesite="lax",
                secure=https(self.hub),
            )
        return response


async def page_context(request: Request, hub: Hub) -> PageContext:
    asked = request.query_params.get("lang")
    lang = pick_lang(asked, request.cookies.get(LANG_COOKIE), hub.config.hub.language)
    principal = await find_principal(request, hub)
    settings: PageSettings = request.app.state.pages
    return PageContext(request, hub, lang, asked, principal, settings)


Page = Annotated[PageContext, Depends(page_context)]


async def signed_in_page(page: Page) -> PageContext:
    """The page's context, or the sign-in page before the route does any work."""
    if page.principal is None:
        raise SignInRequired(page)
    return page


SignedIn = Annotated[PageContext, Depends(signed_in_page)]


async def sign_in_page(request: Request, exc: Exception) -> Response:
    """The exception handler ``HubApp`` installs for ``SignInRequired``."""
    if not isinstance(exc, SignInRequired):
        raise exc
    return exc.page.message("signin_required_title", "signin_required", 401)


def https(hub: HubState) -> bool:
    return hub.config.hub.http.public_url.startswith("https://")


def set_session_cookie(response: Response, hub: HubState, session: str, ttl: timedelta) -> None:
    """HttpOnly (no script reads it), SameSite=Lax (no other site posts with it; a page
    of the same site on another port could, so ``security.SameOriginGuard`` checks
    every change), Secure when the hub is reached over https."""
    response.set_cookie(
        SESSION_COOKIE,
        session,
        max_age=int(ttl.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=https(hub),
    )
