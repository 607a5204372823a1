"""Partners and their report links (issue 16). Staff of an area register the
organisations whose people pass older people's homes every day, and give each person
or branch a personal link: no password to forget in a van, long-lived, revocable one
by one. Only the token's hash is kept; the link is shown once, when it is made. The
link's channel (an apprise URL, e.g. ``mailto://``) is where the reporter hears that
their report was handled; it is written, never shown back. A link may also be bound
to its holder's LINE by a one-time code (``line_code``): feedback then goes there first.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError

from mimamori.errors import ChangeRefused, FieldProblem
from mimamori.hub.access.auth import new_token, token_hash
from mimamori.hub.access.policy import Principal
from mimamori.hub.cases.access import check
from mimamori.hub.desk.service import DeskRefused, actor
from mimamori.hub.line.linking import issue_code
from mimamori.hub.model.cases import Partner, PartnerKind, PartnerLink, link_recipient
from mimamori.hub.model.line import LinkCode
from mimamori.hub.register.schema import Channel
from mimamori.hub.server.state import HubState
from mimamori.settings import Id, Strict

log = logging.getLogger(__name__)

Name = Annotated[str, Field(min_length=1, max_length=100)]


class PartnerForm(Strict):
    id: Id
    name: Name
    kind: PartnerKind
    areas: list[Id] = Field(min_length=1, max_length=20)


class LinkForm(Strict):
    label: Name  # 「配達員 山田」, 「野嵩店」
    channel: Channel | None = None
    lang: Literal["ja", "en"] = "ja"


_SAID = {
    "missing": ("入力してください", "required"),
    "string_too_long": ("長すぎます", "too long"),
    "string_too_short": ("入力してください", "required"),
    "string_pattern_mismatch": (
        "半角の小文字・数字・「.」「_」「-」で書いてください",
        "lower-case letters, digits, '.', '_', '-'",
    ),
    "enum": ("一覧から選んでください", "pick one from the list"),
    "too_short": ("一つ以上選んでください", "pick at least one"),
    "value_error": ("通知先の URL（mailto:// など）ではありません", "not a channel URL"),
}


def refused(exc: ValidationError) -> ChangeRefused:
    """pydantic's errors as the desk's problems, per field, Japanese first."""
    problems = []
    for error in exc.errors():
        ja, en = _SAID.get(error["type"], ("入力を確かめてください", error["msg"]))
        where = str(error["loc"][0]) if error["loc"] else ""
        problems.append(FieldProblem(where, ja, en))
    return ChangeRefused(problems)


async def add_partner(hub: HubState, who: Principal, data: Mapping[str, object]) -> Partner:
    check(who, [], "partner")
    try:
        form = PartnerForm.model_validate(data)
    except ValidationError as exc:
        raise refused(exc) from exc
    if unknown := [a for a in form.areas if a not in hub.registry.areas]:
        raise ChangeRefused(
            [FieldProblem("areas", f"ない地域です: {', '.join(unknown)}", "no such area")]
        )
    check(who, form.areas, "partner")
    partner = Partner(form.id, form.name, form.kind, tuple(form.areas), hub.clock())
    if not await hub.store.add_partner(partner):
        raise ChangeRefused([FieldProblem("id", "この ID は使われています", "this id is taken")])
    await _audit(hub, who, "partner.add", partner.id, partner.kind.value)
    return partner


async def partner_of(hub: HubState, who: Principal, partner_id: str) -> Partner:
    check(who, [], "partner")
    partner = await hub.store.partner(partner_id)
    check(who, None if partner is None else partner.areas, "partner")
    assert partner is not None
    return partner


async def visible_partners(hub: HubState, who: Principal) -> list[Partner]:
    check(who, [], "partner")
    return [p for p in await hub.store.partners() if all(who.in_area(a) for a in p.areas)]


async def issue_link(
    hub: HubState, who: Principal, partner_id: str, data: Mapping[str, object]
) -> tuple[PartnerLink, str]:
    """A new report link for a partner's person or branch; the token, to show once."""
    partner = await partner_of(hub, who, partner_id)
    try:
        form = LinkForm.model_validate({k: v for k, v in data.items() if v not in ("", None)})
    except ValidationError as exc:
        raise refused(exc) from exc
    token = new_token()
    channel = form.channel.get_secret_value() if isinstance(form.channel, SecretStr) else None
    link = await hub.store.add_partner_link(
        partner.id,
        form.label,
        channel=channel,
        lang=form.lang,
        token_hash=token_hash(token),
        at=hub.clock(),
    )
    await _audit(hub, who, "partner.link", partner.id, f"link {link.id}")
    return link, token


async def revoke_link(hub: HubState, who: Principal, partner_id: str, link_id: int) -> None:
    partner = await partner_of(hub, who, partner_id)
    if not await hub.store.revoke_partner_link(partner.id, link_id, hub.clock()):
        raise DeskRefused(404, "no such link, or revoked already")
    await _audit(hub, who, "partner.revoke", partner.id, f"link {link_id}")


async def set_bulletins(
    hub: HubState, who: Principal, partner_id: str, link_id: int, on: bool
) -> None:
    """Opt a link in to (or out of) the SOS network's search bulletins (issue 18): its
    channel hears of searches in the partner's areas while the family agreed."""
    partner = await partner_of(hub, who, partner_id)
    if not await hub.store.set_link_bulletins(partner.id, link_id, on):
        raise DeskRefused(404, "no such link, or revoked")
    await _audit(
        hub, who, "partner.bulletins", partner.id, f"link {link_id} {'on' if on else 'off'}"
    )


async def line_code(
    hub: HubState, who: Principal, partner_id: str, link_id: int, ttl: timedelta
) -> tuple[PartnerLink, LinkCode]:
    """A one-time LINE code for a partner's link (``line/linking.py``, as for a
    contact): the link's holder sends it to the town's account and hears the feedback
    on their reports in LINE. For staff of the partner's areas; audited."""
    partner = await partner_of(hub, who, partner_id)
    link = await hub.store.partner_link(link_id)
    if link is None or link.partner_id != partner.id or link.revoked:
        raise DeskRefused(404, "no such link, or revoked")
    code = await issue_code(hub.store, link_recipient(link.id), hub.clock(), ttl)
    await _audit(hub, who, "line.code", partner.id, f"link {link.id}")
    return link, code


async def opt_in_self(hub: HubState, link: PartnerLink, on: bool) -> bool:
    """The link's holder opts in (or out) on their own report page; audited as theirs."""
    done = await hub.store.set_link_bulletins(link.partner_id, link.id, on)
    if done:
        await hub.store.audit(
            hub.clock(), who=link_recipient(link.id), role="partner", action="partner.bulletins",
            subject=f"partner:{link.partner_id}", detail=f"link {link.id} {'on' if on else 'off'}",
        )  # fmt: skip
    return done


async def _audit(hub: HubState, who: Principal, action: str, partner_id: str, detail: str) -> None:
    by = actor(who, "desk")
    await hub.store.audit(
        hub.clock(), who=by.who, role=by.role, action=action, subject=f"partner:{partner_id}",
        detail=detail,
    )  # fmt: skip
