"""A contact's LINE at the desk: whether they are linked (bound, or ended by an
unfollow), and a one-time linking code with its QR for them to send to the town's
account (``line/linking.py``). A new code ends the older unused one; the code is shown
once, on the page that issued it (only its hash is kept). The contacts' list shows the
month's count of LINE messages against the plan, with a warning from 80 %."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path
from fastapi.responses import Response

from mimamori.hub.cases.cards import qr_svg
from mimamori.hub.desk import service
from mimamori.hub.desk.service import DeskRefused
from mimamori.hub.line.codes import chat_link, shown
from mimamori.hub.line.linking import issue_code
from mimamori.hub.model.line import LineBinding, LineUsage
from mimamori.hub.model.register import Entity
from mimamori.hub.web.context import PageContext, SignedIn
from mimamori.hub.web.desk_common import desk_refusal, refusal

router = APIRouter(include_in_schema=False)
ContactId = Annotated[str, Path(max_length=64)]
JAPAN = ZoneInfo("Asia/Tokyo")


@dataclass(frozen=True)
class LineView:
    state: str  # "bound", "unfollowed" or "none"
    since: str | None  # local time of the last change


async def line_views(page: PageContext, recipient_ids: list[str]) -> dict[str, LineView] | None:
    """The LINE of each recipient (a contact, or a partner link's ``link_recipient``);
    None when the town has no LINE account."""
    if page.hub.config.hub.line is None:
        return None
    views = {rid: LineView("none", None) for rid in recipient_ids}
    latest: dict[str, LineBinding] = {}
    for b in await page.hub.store.line_bindings():
        if b.recipient_id in views and (
            b.recipient_id not in latest or b.changed_at >= latest[b.recipient_id].changed_at
        ):
            latest[b.recipient_id] = b
    for rid, b in latest.items():
        views[rid] = LineView(b.state, b.changed_at.astimezone(JAPAN).strftime("%Y-%m-%d %H:%M"))
    return views


async def line_view(page: PageContext, contact_id: str) -> LineView | None:
    """The contact's LINE for its page; None when the town has no LINE account."""
    views = await line_views(page, [contact_id])
    return None if views is None else views[contact_id]


async def line_usage(page: PageContext) -> LineUsage | None:
    """The month's LINE messages against the plan; None when the town has no LINE."""
    return await page.hub.line.push.usage() if page.hub.line is not None else None


@router.post("/desk/contacts/{contact_id}/line-code")
async def line_code(page: SignedIn, contact_id: ContactId) -> Response:
    if (refused := desk_refusal(page)) is not None:
        return refused
    settings = page.hub.config.hub.line
    try:
        contact, _ = await service.read(page.hub, page.who, Entity.CONTACT, contact_id)
        if settings is None:
            raise DeskRefused(404, "the town has no LINE account (hub.line)")
    except DeskRefused as exc:
        return refusal(page, exc)
    now = page.hub.clock()
    code = await issue_code(page.hub.store, contact_id, now, timedelta(hours=settings.code_ttl_h))
    await page.hub.store.audit(
        now, who=page.who.name, role=page.who.role, action="line.code",
        subject=f"contact:{contact_id}",
    )  # fmt: skip
    link = chat_link(settings.basic_id, code.code) if settings.basic_id else None
    return page.render(
        "desk/line_code.html",
        contact=contact,
        code=shown(code.code),
        expires=code.expires_at.astimezone(JAPAN).strftime("%Y-%m-%d %H:%M"),
        link=link,
        qr=qr_svg(link or code.code),
        back=f"/desk/contacts/{contact_id}",
    )
