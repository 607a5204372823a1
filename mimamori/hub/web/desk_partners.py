"""The desk's partners (issue 16): the organisations whose people report what they
notice, each with its areas, and their personal report links: made here (shown once),
stopped here, each with its LINE (a one-time code binds its holder's LINE; the page
shows 連携済み once bound). Through ``cases.partners``, which asks the access policy
first."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from mimamori.errors import ChangeRefused
from mimamori.hub.cases import anomalies, cards, partners
from mimamori.hub.cases.cards import qr_svg
from mimamori.hub.desk.service import DeskRefused
from mimamori.hub.line.codes import chat_link, shown
from mimamori.hub.model.cases import PartnerKind, link_recipient
from mimamori.hub.web.context import PageContext, SignedIn
from mimamori.hub.web.desk_common import desk_refusal, failed, form_value, refusal
from mimamori.hub.web.desk_line import JAPAN, line_views

router = APIRouter(include_in_schema=False)
PartnerId = Annotated[str, Path(max_length=64)]


def _kinds(page: PageContext) -> list[tuple[str, str]]:
    return [(k.value, page.t(f"pkind_{k.value}")) for k in PartnerKind]


def _areas(page: PageContext) -> list[tuple[str, str]]:
    who = page.who
    return [(a.id, a.name) for a in page.hub.registry.areas.values() if who.in_area(a.id)]


async def _list(
    page: PageContext, values: dict[str, object], problems: dict[str, list[str]], status: int
) -> Response:
    try:
        shown = await partners.visible_partners(page.hub, page.who)
    except DeskRefused as exc:
        return refusal(page, exc)
    return page.render(
        "desk/partners.html",
        status=status,
        partners=shown,
        kinds=dict(_kinds(page)),
        kind_choices=_kinds(page),
        area_choices=_areas(page),
        values=values,
        problems=problems,
    )


@router.get("/desk/partners")
async def partner_list(page: SignedIn) -> Response:
    return await _list(page, {}, {}, 200)


@router.post("/desk/partners")
async def add_partner(page: SignedIn) -> Response:
    form = await page.request.form()
    values: dict[str, object] = {k: form_value(form, k) for k in ("id", "name", "kind")}
    values["areas"] = [a[:64] for a in form.getlist("areas")[:20] if isinstance(a, str)]
    try:
        partner = await partners.add_partner(page.hub, page.who, values)
    except DeskRefused as exc:
        return refusal(page, exc)
    except ChangeRefused as exc:
        return await _list(page, values, failed(page, exc).problems, 422)
    return RedirectResponse(f"/desk/partners/{partner.id}", status_code=303)


async def _partner(
    page: PageContext,
    partner_id: str,
    *,
    token: str | None = None,
    link_id: int | None = None,
    problems: dict[str, list[str]] | None = None,
    status: int = 200,
) -> Response:
    try:
        partner = await partners.partner_of(page.hub, page.who, partner_id)
    except DeskRefused as exc:
        return refusal(page, exc)
    links = await page.hub.store.partner_links(partner.id)
    on_line = await line_views(page, [link_recipient(link.id) for link in links])
    base = page.hub.config.hub.http.public_url.rstrip("/")
    return page.render(
        "desk/partner.html",
        status=status,
        partner=partner,
        kind=page.t(f"pkind_{partner.kind.value}"),
        links=links,
        line={link.id: on_line[link_recipient(link.id)] for link in links} if on_line else None,
        made=f"{base}/report?token={token}" if token else None,
        made_token=token,
        made_link=link_id,
        problems=problems or {},
    )


@router.get("/desk/partners/{partner_id}")
async def partner_page(page: SignedIn, partner_id: PartnerId) -> Response:
    return await _partner(page, partner_id)


@router.post("/desk/partners/{partner_id}/links")
async def issue_link(page: SignedIn, partner_id: PartnerId) -> Response:
    form = await page.request.form()
    data = {"label": form_value(form, "label"), "lang": form_value(form, "lang", 2),
            "channel": form_value(form, "channel", 2000)}  # fmt: skip
    try:
        link, token = await partners.issue_link(page.hub, page.who, partner_id, data)
    except DeskRefused as exc:
        return refusal(page, exc)
    except ChangeRefused as exc:
        return await _partner(page, partner_id, problems=failed(page, exc).problems, status=422)
    # Shown once, on this answer (not a redirect: the token would sit in the history).
    return await _partner(page, partner_id, token=token, link_id=link.id)


@router.get("/desk/partners/{partner_id}/links/{link_id}/card")
async def link_card(
    page: SignedIn,
    partner_id: PartnerId,
    link_id: int,
    token: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """The link's printable QR card (the token from the answer that made it); a
    revoked link's says so (410)."""
    try:
        found = await cards.card(page.hub, page.who, partner_id, link_id, token)
    except DeskRefused as exc:
        return refusal(page, exc)
    return page.render("desk/card.html", status=410 if found.link.revoked else 200, card=found)


@router.post("/desk/partners/{partner_id}/links/{link_id}/revoke")
async def revoke_link(page: SignedIn, partner_id: PartnerId, link_id: int) -> Response:
    try:
        await partners.revoke_link(page.hub, page.who, partner_id, link_id)
    except DeskRefused as exc:
        return refusal(page, exc)
    return RedirectResponse(f"/desk/partners/{partner_id}", status_code=303)


@router.post("/desk/partners/{partner_id}/links/{link_id}/bulletins")
async def link_bulletins(page: SignedIn, partner_id: PartnerId, link_id: int) -> Response:
    """Opt the link in to search bulletins (``on=1``) or out (issue 18)."""
    form = await page.request.form()
    try:
        await partners.set_bulletins(
            page.hub, page.who, partner_id, link_id, form_value(form, "on", 1) == "1"
        )
    except DeskRefused as exc:
        return refusal(page, exc)
    return RedirectResponse(f"/desk/partners/{partner_id}", status_code=303)


@router.post("/desk/partners/{partner_id}/links/{link_id}/line-code")
async def link_line_code(page: SignedIn, partner_id: PartnerId, link_id: int) -> Response:
    """A one-time code binding the link's holder's LINE (shown once, here; as a
    contact's, ``desk_line.py``): the feedback on their reports then comes in LINE."""
    if (refused := desk_refusal(page)) is not None:
        return refused
    settings = page.hub.config.hub.line
    try:
        await partners.partner_of(page.hub, page.who, partner_id)  # the area, first
        if settings is None:
            raise DeskRefused(404, "the town has no LINE account (hub.line)")
        ttl = timedelta(hours=settings.code_ttl_h)
        link, code = await partners.line_code(page.hub, page.who, partner_id, link_id, ttl)
    except DeskRefused as exc:
        return refusal(page, exc)
    chat = chat_link(settings.basic_id, code.code) if settings.basic_id else None
    return page.render(
        "desk/line_code.html",
        contact={"name": link.label},
        code=shown(code.code),
        expires=code.expires_at.astimezone(JAPAN).strftime("%Y-%m-%d %H:%M"),
        link=chat,
        qr=qr_svg(chat or code.code),
        back=f"/desk/partners/{partner_id}",
    )


@router.post("/desk/partners/{partner_id}/anomalies")
async def import_anomalies(page: SignedIn, partner_id: PartnerId) -> Response:
    """A utility's CSV of meter anomalies (``cases/anomalies.py``): the result, line
    by line."""
    form = await page.request.form()
    upload = form.get("file")
    raw = await upload.read() if isinstance(upload, UploadFile) else b""
    try:
        result = await anomalies.import_csv(page.hub, page.who, partner_id, raw)
    except DeskRefused as exc:
        return refusal(page, exc)
    except ChangeRefused as exc:
        return await _partner(page, partner_id, problems=failed(page, exc).problems, status=422)
    problems = [(p.line, getattr(p, page.t("problem_attr"))) for p in result.problems]
    return page.render(
        "desk/anomalies.html",
        partner_id=partner_id,
        result=result,
        problems=problems,
        status=422 if problems and not result.filed else 200,
    )
