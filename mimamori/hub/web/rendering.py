"""Every page is a Jinja2 template (``templates/``) extending ``base.html``.

One environment for all of them, autoescaping every ``.html`` template: a value from
outside (a name in the register, a gateway's, an alert's note) is always escaped where
it lands. ``|safe`` is used on nothing; data for a page's script goes through
``|tojson`` (Jinja's, which also escapes ``<``, ``>``, ``&`` and ``'``, so no value can
close the script element). An unknown variable is an error (``StrictUndefined``), not
an empty string: a template typo fails the page tests instead of hiding.

``render`` is what pages call through their context (``context.PageContext``);
``message`` also serves the middleware's 403, which has no route and no context.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request

from mimamori.hub.web.i18n import Lang, other, texts

# Built once per process, like the route table: it holds only the parsed templates,
# which never change while the hub runs (so no reload check on every page either).
_ENV = Environment(
    loader=PackageLoader("mimamori.hub.web", "templates"),
    autoescape=select_autoescape(("html",)),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)
# Japanese as itself, not \\u escapes: the map's config stays a third of the size.
_ENV.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": True}
TEMPLATES = Jinja2Templates(env=_ENV)


def switch_href(lang: Lang, keep: Mapping[str, str] | None = None) -> str:
    """The language switch's link: the same page in the other language, keeping what
    the page needs (an acknowledge link's token, the person shown on the map)."""
    query = {k: v for k, v in (keep or {}).items() if v} | {"lang": other(lang)}
    return "?" + urlencode(query)


def render(
    request: Request,
    template: str,
    lang: Lang,
    *,
    status: int = 200,
    keep: Mapping[str, str] | None = None,
    signed_in: bool = False,
    refresh_s: int | None = None,
    **values: Any,
) -> HTMLResponse:
    """``template`` in ``lang``. ``refresh_s``: the page reloads itself that often (only
    a page that shows a live list and has no form: see ``PageContext.render``)."""
    context = {
        "lang": lang,
        "t": texts(lang),
        "switch_href": switch_href(lang, keep),
        "signed_in": signed_in,
        "refresh_s": refresh_s,
        **values,
    }
    # no-store: the security headers say it too; a page must not outlive its sign-in.
    return TEMPLATES.TemplateResponse(
        request, template, context, status_code=status, headers={"Cache-Control": "no-store"}
    )


def message(
    request: Request,
    lang: Lang,
    title_key: str,
    text_key: str,
    status: int,
    *,
    keep: Mapping[str, str] | None = None,
    sign_out: bool = False,
) -> HTMLResponse:
    """A page that says one thing (and, with ``sign_out``, offers the sign-out button)."""
    return render(
        request,
        "message.html",
        lang,
        status=status,
        keep=keep,
        title_key=title_key,
        text_key=text_key,
        sign_out=sign_out,
    )
