"""The page behind a partner's report link (issue 16), phone first: the emergency
numbers first (tap to call), then what was noticed, where, and 「受け付けました」.
No account: the link is the permission (its hash is kept; staff revoke it at the
desk). A revoked link gets a page that says so and no form; an unknown one, the same
page for any token, so a guessed token learns nothing. The sent form redirects to
the "received" page (a reload sends nothing twice).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from mimamori.errors import ChangeRefused
from mimamori.hub.access.auth import token_hash
from mimamori.hub.cases import partners, public, reports
from mimamori.hub.desk import photos
from mimamori.hub.model.cases import Noticed, Partner, PartnerLink
from mimamori.hub.web.context import Page, PageContext
from mimamori.hub.web.desk_common import said

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Query(max_length=200)]


async def _link(page: PageContext, token: str) -> tuple[PartnerLink, Partner] | Response:
    keep = {"token": token}
    link = await page.hub.store.partner_link_of(token_hash(token)) if token else None
    partner = await page.hub.store.partner(link.partner_id) if link else None
    if link is None or partner is None:
        return page.message("report_unknown_title", "report_unknown", 404, keep=keep)
    if link.revoked:
        return page.message("report_revoked_title", "report_revoked", 410, keep=keep)
    return link, partner


def _form(
    page: PageContext,
    token: str,
    link: PartnerLink,
    partner: Partner,
    *,
    values: Mapping[str, str],
    problems: dict[str, list[str]],
    status: int = 200,
) -> Response:
    t = page.t
    return page.render(
        "report.html",
        status=status,
        keep={"token": token},
        action=f"/report?{urlencode({'token': token})}",
        public=False,
        sender=t("report_from", partner=partner.name, label=link.label),
        noticed=[(n.value, t(f"noticed_{n.value}")) for n in Noticed],
        homes=reports.homes_for(page.hub.registry, partner),
        values=values,
        problems=problems,
        link=link,
        bulletins_action=f"/report/bulletins?{urlencode({'token': token})}",
    )


@router.get("/report")
async def report_page(page: Page, token: Token = "", done: int = 0) -> Response:
    found = await _link(page, token)
    if isinstance(found, Response):
        return found
    link, partner = found
    if done:
        again = f"/report?{urlencode({'token': token})}"
        return page.render("report_done.html", keep={"token": token}, again=again)
    return _form(page, token, link, partner, values={}, problems={})


# The report's photo (5 MB, desk/photos.py) and the form around it: past the hub's
# MAX_BODY on this route only, as the desk's photo upload is.
@router.post("/report", max_body_size=photos.FORM_BYTES)
async def report(page: Page, token: Token = "") -> Response:
    found = await _link(page, token)
    if isinstance(found, Response):
        return found
    link, partner = found
    form = await page.request.form(max_files=1, max_fields=10)
    values = {k: v[:1000] for k in ("noticed", "note", "household", "address", "lat", "lon")
              if isinstance(v := form.get(k), str)}  # fmt: skip
    sent = form.get("photo")
    upload = await sent.read(photos.MAX_BYTES + 1) if isinstance(sent, UploadFile) else b""
    try:
        draft = reports.draft(
            page.hub.registry, partner, values, upload=upload, at=page.hub.clock()
        )
        await reports.file(page.hub, link, partner, draft)
    except ChangeRefused as exc:
        problems: dict[str, list[str]] = {}
        for p in exc.problems:
            problems.setdefault(p.field, []).append(said(page, p))
        return _form(page, token, link, partner, values=values, problems=problems, status=422)
    except reports.LinkBusy:
        return page.message("report_busy_title", "report_busy", 429, keep={"token": token})
    return RedirectResponse(f"/report?{urlencode({'token': token, 'done': 1})}", status_code=303)


@router.post("/report/bulletins")
async def bulletins(page: Page, token: Token = "") -> Response:
    """The link's holder opts in to the SOS network's search bulletins, or out."""
    found = await _link(page, token)
    if isinstance(found, Response):
        return found
    link, _ = found
    form = await page.request.form()
    await partners.opt_in_self(page.hub, link, form.get("on") == "1")
    return RedirectResponse(f"/report?{urlencode({'token': token})}", status_code=303)


# The town's public form (``cases/public.py``): no token, no account.


def _public_form(
    page: PageContext, values: Mapping[str, str], problems: dict[str, list[str]], status: int
) -> Response:
    t = page.t
    return page.render(
        "report.html",
        status=status,
        action="/report/town",
        public=True,
        noticed=[(n.value, t(f"noticed_{n.value}")) for n in Noticed],
        areas=[(a.id, a.name) for a in page.hub.registry.areas.values()],
        values=values,
        problems=problems,
    )


@router.get("/report/town")
async def public_page(page: Page, done: int = 0) -> Response:
    if done:
        return page.render("report_done.html", again="/report/town")
    return _public_form(page, {}, {}, 200)


@router.post("/report/town")
async def public_report(page: Page) -> Response:
    form = await page.request.form()
    values = {k: v[:1000] for k in ("noticed", "note", "address", "area", "contact")
              if isinstance(v := form.get(k), str)}  # fmt: skip
    try:
        await public.file(page.hub, values)
    except ChangeRefused as exc:
        problems: dict[str, list[str]] = {}
        for p in exc.problems:
            problems.setdefault(p.field, []).append(said(page, p))
        return _public_form(page, values, problems, 422)
    except reports.LinkBusy:
        return page.message("report_busy_title", "public_busy", 429)
    return RedirectResponse("/report/town?done=1", status_code=303)
