"""A watch point's broker account, made or renewed from its desk page by an admin
(``broker/gateway_accounts.py``, the same function as ``hub gateway add``).

The password is shown once, on the answer to the post (never cached, never kept by
the hub, never in a list); the page says what goes into the gateway's files and that
the broker must read its files again. Staff see whether the account exists; only
admins make one (there is no technician role: technicians work with admin accounts
or the command). Each made account is audited (who, which watch point, new or
renewed), never with its password.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from mimamori.hub.broker.gateway_accounts import (
    GATEWAY_PASSWORD_FILE,
    AccountExists,
    AccountRefused,
    GatewayAccount,
    has_account,
    provision,
)
from mimamori.hub.desk import service
from mimamori.hub.desk.service import DeskRefused, actor
from mimamori.hub.model.register import Entity
from mimamori.hub.web.context import PageContext, SignedIn
from mimamori.hub.web.desk_common import desk_refusal, form_value, refusal

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
EntryId = Annotated[str, Path(max_length=64)]


@dataclass(frozen=True)
class BrokerView:
    """What a watch point's page shows of its broker account."""

    configured: bool  # the hub knows the broker's files (hub.mosquitto)
    exists: bool
    may_make: bool  # the reader is an admin
    enrolls: bool = False  # the hub hands out enrollment codes (web/desk_enroll.py)


async def admins_only(page: PageContext, entry_id: str, why: str) -> Response | None:
    """A watch point's broker actions (its account, its enrollment code) are the town
    admins': the refusal for anyone else (``why``: the catalogue's reason), else None."""
    if (refused := desk_refusal(page)) is not None:
        return refused
    try:
        await service.read(page.hub, page.who, Entity.WATCH_POINT, entry_id)
    except DeskRefused as exc:
        return refusal(page, exc)
    if not page.who.everywhere:
        return page.message("desk_broker_admins_title", why, 403)
    return None


def broker_view(page: PageContext, gateway_id: str) -> BrokerView:
    config = page.hub.config
    try:
        exists = has_account(config, gateway_id)
    except OSError as exc:  # an unreadable file: said as "none", and logged
        log.warning("broker accounts: cannot read the password file: %s", exc)
        exists = False
    enrolls = config.hub.enrollment is not None and config.hub.mosquitto is not None
    return BrokerView(config.hub.mosquitto is not None, exists, page.who.everywhere, enrolls)


def _answer(
    page: PageContext,
    gateway_id: str,
    status: int,
    *,
    made: GatewayAccount | None = None,
    problem: str | None = None,
) -> Response:
    response = page.render(
        "desk/broker_account.html",
        status=status,
        gateway_id=gateway_id,
        made=made,
        problem=problem,
        password_file=GATEWAY_PASSWORD_FILE,
    )
    response.headers["Cache-Control"] = "no-store"  # the password is shown this once
    return response


async def _provision(page: PageContext, entry_id: str, *, renew: bool) -> GatewayAccount | Response:
    """The account made (off the event loop: it hashes and fsyncs), or the page that
    says why not."""
    try:
        return await asyncio.to_thread(provision, page.hub.config, entry_id, renew=renew)
    except AccountExists:  # a second click, or another admin first: the page's own words
        return _answer(page, entry_id, 409, problem=page.t("desk_broker_exists_already"))
    except AccountRefused as exc:
        return _answer(page, entry_id, 409, problem={"ja": exc.ja, "en": exc.en}[page.lang])
    except OSError as exc:
        log.error("broker account for %s: cannot write the broker's files: %s", entry_id, exc)
        return _answer(page, entry_id, 503, problem=page.t("desk_broker_unwritable"))


@router.post("/desk/watch-points/{entry_id}/broker-account")
async def make_account(page: SignedIn, entry_id: EntryId) -> Response:
    if (refused := await admins_only(page, entry_id, "desk_broker_admins")) is not None:
        return refused
    form = await page.request.form(max_files=0, max_fields=4)
    renew = form_value(form, "renew", 10) == "on"
    made = await _provision(page, entry_id, renew=renew)
    if not isinstance(made, GatewayAccount):
        return made  # refused, said on the page
    by = actor(page.who, "desk")
    await page.hub.store.audit(
        page.hub.clock(),
        who=by.who,
        role=by.role,
        action="broker.account.renew" if made.renewed else "broker.account.create",
        subject=f"watch_point:{entry_id}",
    )
    return _answer(page, entry_id, 200, made=made)
