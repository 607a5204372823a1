"""What every HTTP answer of the hub carries, and what a change must prove before a
route sees it (docs/security.md).

- **Headers** on every response, the hub's own 413s and 500s included: a Content
  Security Policy that runs only the hub's own script files (no inline script, no
  inline handler, no ``eval``), frames nowhere, ``Referrer-Policy: no-referrer``
  (sign-in, acknowledge and shared links carry one-time tokens in their URLs),
  ``nosniff``, and ``Cache-Control: no-store`` on everything but ``/static`` (pages
  and JSON show where a person is).
- **Same origin for cookie sessions.** SameSite=Lax still lets a *same-site* page
  (another port of the same host, a sibling subdomain) post with the cookie. A
  POST/PUT/PATCH/DELETE that carries the session cookie and no bearer token must come
  from the hub's own pages: ``Sec-Fetch-Site: same-origin`` (every current browser
  sends it), or, from a browser that does not, an ``Origin`` equal to
  ``hub.http.public_url``'s; with neither, it is refused. The password form, posted
  before any session, is refused when either header names another origin.
  Bearer-token calls (API clients, peer hubs) carry no ambient credential and are
  not checked.
- **Bodies** are bounded by FastAPI's own ``max_body_size`` (a clear 413), and a 422
  never echoes the input back.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request as StarletteRequest
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mimamori.hub.access.auth import SESSION_COOKIE
from mimamori.hub.config import HubConfig
from mimamori.hub.web import rendering
from mimamori.hub.web.context import LANG_COOKIE, PageSettings, SignInRequired, sign_in_page
from mimamori.hub.web.i18n import Lang, pick_lang

log = logging.getLogger(__name__)

# The largest body the hub takes is a peer hub's batch of 500 sightings: 291 KiB at the
# models' longest fields (measured by tests/hub/test_websec.py); 1 MiB leaves room, is
# nginx's default client_max_body_size, and refuses the 20 MB a caller had echoed back.
MAX_BODY = 1024 * 1024
# A 422 lists at most this many problems: enough to fix a request, never a copy of it.
MAX_ERRORS = 20
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Forms posted without a session, whose forgery still harms: a page elsewhere could
# sign a browser in as someone else.
GUARDED_FORMS = frozenset({"/login"})


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` as a browser writes it in ``Origin`` (lowercase host,
    no default port)."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        return ""
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return f"{parts.scheme.lower()}://{host}" + (f":{port}" if port not in (None, default) else "")


_TILE_HOST = re.compile(r"^(\{s\}\.)?[a-z0-9.-]+(:[0-9]{1,5})?$")


def tile_source(url: str) -> str:
    """The CSP source of the map's tiles: their origin, ``{s}`` subdomains as ``*``.
    A host that is not a plain name would be spliced into the header, so it is left
    out (with a warning): the map then shows no tiles, and everything else works."""
    parts = urlsplit(url)
    netloc = parts.netloc.lower()
    if parts.scheme not in ("http", "https") or not _TILE_HOST.match(netloc):
        log.warning("map tiles %r: not a plain http(s) host; tiles will not load", url)
        return ""
    return f"{parts.scheme}://{netloc.replace('{s}', '*')}"


def content_security_policy(config: HubConfig) -> str:
    tiles = tile_source(config.hub.map.tiles.url)
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",  # the page's JSON config is data, not script
            "style-src 'self'",
            f"img-src 'self' {tiles}".strip(),
            "connect-src 'self'",  # the API and its live streams
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        )
    )


class SecurityHeaders:
    """Adds the headers to every response. Wraps the whole app (see ``HubApp``), so
    the answers Starlette makes by itself (413, 500) carry them too."""

    def __init__(self, app: ASGIApp, csp: str) -> None:
        self.app = app
        self.fixed = {
            "content-security-policy": csp,
            "x-frame-options": "DENY",  # for browsers older than frame-ancestors
            "referrer-policy": "no-referrer",
            "x-content-type-options": "nosniff",
            "cross-origin-opener-policy": "same-origin",
            "cross-origin-resource-policy": "same-origin",
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = not scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", []))
                headers = MutableHeaders(scope=message)
                for name, value in self.fixed.items():
                    headers[name] = value
                if private:  # a live stream's "no-cache" too: nothing is kept
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _bearer(headers: Headers) -> bool:
    """A bearer token, as ``deps.find_principal`` reads one (then the cookie is
    never looked at). No page elsewhere can add this header: it is not one a form
    sends, and the hub grants no cross-origin request (no CORS)."""
    scheme, _, value = headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(value.strip())


def cross_origin(scope: Scope, own_origin: str) -> str | None:
    """Why this request must be refused as possibly sent by another page; None if it
    needs no check or passes it."""
    if scope["method"] not in UNSAFE:
        return None
    headers = Headers(scope=scope)
    has_session = SESSION_COOKIE in cookie_parser(headers.get("cookie", ""))
    if _bearer(headers) or not (has_session or scope["path"] in GUARDED_FORMS):
        return None
    site = headers.get("sec-fetch-site")
    if site is not None:
        # "none": the person's own act (a bookmark, the address bar), never a page's.
        return None if site in ("same-origin", "none") else f"Sec-Fetch-Site: {site}"
    origin = headers.get("origin")
    if origin is None:
        # Every browser sends Origin with a POST (Firefox since 70, 2019), so this is
        # no browser: harmless without a session, refused with one.
        return "neither Sec-Fetch-Site nor Origin" if has_session else None
    return None if own_origin and origin_of(origin) == own_origin else f"Origin: {origin}"


class SameOriginGuard:
    """Refuses (403) a cookie session's change that did not come from the hub's own
    pages. Logs the first refusal and every hundredth: a flood is one line a while."""

    def __init__(self, app: ASGIApp, public_url: str, language: Lang) -> None:
        self.app = app
        self.own_origin = origin_of(public_url)
        self.language = language
        self.refused = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        why = cross_origin(scope, self.own_origin) if scope["type"] == "http" else None
        if why is None:
            await self.app(scope, receive, send)
            return
        self.refused += 1
        if self.refused % 100 == 1:
            log.warning(
                "refused %s %s from another page (%s); %d refused so far",
                scope["method"],
                scope["path"][:200],
                why[:200],
                self.refused,
            )
        if scope["path"].startswith("/api/"):
            detail = (
                "refused: a signed-in browser's change must come from the hub's own pages "
                "(Sec-Fetch-Site or Origin); API clients send a bearer token"
            )
            response: Response = JSONResponse({"detail": detail}, status_code=403)
        else:
            cookies = cookie_parser(Headers(scope=scope).get("cookie", ""))
            lang = pick_lang(None, cookies.get(LANG_COOKIE), self.language)
            request = StarletteRequest(scope, receive)
            response = rendering.message(request, lang, "refused_title", "refused", 403)
        await response(scope, receive, send)


async def quiet_validation_error(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422, without the ``input`` it would echo back (a 20 MB body once came
    back whole) and with at most ``MAX_ERRORS`` problems."""
    if not isinstance(exc, RequestValidationError):
        raise exc
    errors = [{k: v for k, v in e.items() if k != "input"} for e in exc.errors()[:MAX_ERRORS]]
    return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)


class HubApp(FastAPI):
    """FastAPI with the hub's HTTP safety: the headers around everything (outside
    Starlette's own error and body-limit answers), the same-origin guard, bounded
    bodies, quiet 422s, no Swagger UI or ReDoc (both load from a CDN), and no
    trailing-slash redirects (Starlette builds those from the Host header). Also the
    pages' one sign-in answer and their settings (``web/context.py``)."""

    def __init__(self, config: HubConfig, **kwargs: Any) -> None:
        super().__init__(
            docs_url=None,
            redoc_url=None,
            redirect_slashes=False,
            max_body_size=MAX_BODY,
            **kwargs,
        )
        self.csp = content_security_policy(config)
        self.add_middleware(
            SameOriginGuard, public_url=config.hub.http.public_url, language=config.hub.language
        )
        self.add_exception_handler(RequestValidationError, quiet_validation_error)
        # The pages: one sign-in page for all of them, and their settings (a test
        # shortens the refresh).
        self.add_exception_handler(SignInRequired, sign_in_page)
        self.state.pages = PageSettings()

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack(), self.csp)
