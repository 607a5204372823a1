"""A person's sheet of found-person QR stickers: issued (and reissued, which revokes
the sheet before) and revoked by staff of the person's area at the desk, who also read the finders'
threads there (``desk_thread``).

The code holds only the URL of the finder's page with a random token of 256 bits
(``secrets.token_urlsafe(32)``: issue 18 asks for at least 128, so a token cannot be
guessed or enumerated); the hub keeps its SHA-256 only, so the sheet is printed from
the answer that issued it, once. Nothing on the sticker names the person.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

import segno
from markupsafe import Markup

from mimamori.hub.access.auth import token_hash
from mimamori.hub.access.policy import Principal
from mimamori.hub.desk import service
from mimamori.hub.found.thread import MAX_SHOWN
from mimamori.hub.model.found import FoundMessage, FoundReport, Sticker
from mimamori.hub.model.register import Entity
from mimamori.hub.server.state import HubState

log = logging.getLogger(__name__)

TOKEN_BYTES = 32  # 256 bits
# The sizes on one A4 sheet, in millimetres of the code's side, with how many of each:
# a cane's band (20 mm), a bag's tag or a shoe's heel (30 mm), a card in a wallet
# (45 mm). Phone cameras read a version-4 code of 20 mm at about 20 cm.
SIZES_MM: tuple[tuple[int, int], ...] = ((20, 12), (30, 8), (45, 4))


@dataclass(frozen=True)
class Sheet:
    sticker: Sticker
    url: str
    qr: Markup  # one inline SVG, drawn at each size by the print stylesheet
    sizes: tuple[tuple[int, int], ...] = SIZES_MM


def finder_url(hub: HubState, token: str) -> str:
    return f"{hub.config.hub.http.public_url.rstrip('/')}/f/{token}"


def qr_svg(url: str) -> Markup:
    """The code of ``url`` (segno: ISO/IEC 18004), level Q: about 25% of a sticker on
    a shoe may be scuffed and it still reads. Sized by CSS, so no fixed width."""
    code = segno.make(url, error="q", micro=False)
    return Markup(code.svg_inline(scale=1, omitsize=True))


def check_person(hub: HubState, who: Principal, person_id: str) -> None:
    """DeskRefused unless ``who`` is staff of the person's area (or an admin)."""
    service.check_entry(hub.registry, who, Entity.PERSON, person_id, write=True)


async def issue(hub: HubState, who: Principal, person_id: str) -> Sheet:
    check_person(hub, who, person_id)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = hub.clock()
    sticker = await hub.store.issue_sticker(person_id, token_hash(token), who.name, now)
    await hub.store.audit(
        now, who=who.name, role=who.role, action="found.sticker.issue",
        subject=f"person:{person_id}", detail=f"sticker {sticker.id}",
    )  # fmt: skip
    log.info("found stickers %d issued for %s", sticker.id, person_id)
    url = finder_url(hub, token)
    return Sheet(sticker, url, qr_svg(url))


async def revoke(hub: HubState, who: Principal, person_id: str) -> int:
    check_person(hub, who, person_id)
    now = hub.clock()
    count = await hub.store.revoke_stickers(person_id, now)
    await hub.store.audit(
        now, who=who.name, role=who.role, action="found.sticker.revoke",
        subject=f"person:{person_id}", detail=f"{count} sheet(s)",
    )  # fmt: skip
    return count


async def stickers_of(hub: HubState, who: Principal, person_id: str) -> list[Sticker]:
    service.check_entry(hub.registry, who, Entity.PERSON, person_id, write=False)
    return await hub.store.stickers_of(person_id)


async def desk_thread(
    hub: HubState, who: Principal, person_id: str, report_id: int
) -> tuple[FoundReport, list[FoundMessage]] | None:
    """A finder's thread as staff of the person's area read it at the desk (read-only:
    the care centre answers through its own notice's link); audited. None: no such
    thread of this person."""
    service.check_entry(hub.registry, who, Entity.PERSON, person_id, write=False)
    report = await hub.store.found_report(report_id)
    if report is None or report.person_id != person_id:
        return None
    messages = await hub.store.found_messages(report.id, 0, MAX_SHOWN)
    await hub.store.audit(
        hub.clock(), who=who.name, role=who.role, action="found.desk.view",
        subject=f"person:{person_id}", detail=f"found report {report.id}",
    )  # fmt: skip
    return report, messages
