"""A partner's QR card (issue 16): the personal report link as a card to print and
keep in the van, so a carrier reports by pointing the phone's camera at it (the seeds:
partners must not have to look for where to report).

The link's token is kept as its hash only, so a card is printed from the answer that
made the link (the partner's desk page, once), through a desk page that carries the
token and checks it is that link's. A revoked link's card page says the card no
longer works and shows no code; the card itself leads to the report page, which says
the same (410) and shows no form.
"""

from __future__ import annotations

from dataclasses import dataclass

import segno
from markupsafe import Markup

from mimamori.hub.access.auth import token_hash
from mimamori.hub.access.policy import Principal
from mimamori.hub.cases import partners
from mimamori.hub.desk.service import DeskRefused
from mimamori.hub.model.cases import Partner, PartnerLink
from mimamori.hub.server.state import HubState

# A module of 5 CSS px: the link's code (version 3-4, 29-33 modules and the quiet
# zone) prints about 5 cm wide at 96 dpi, which phone cameras read at arm's length.
SCALE = 5


@dataclass(frozen=True)
class Card:
    partner: Partner
    link: PartnerLink
    url: str
    qr: Markup  # an inline SVG; none drawn for a revoked link


def qr_svg(url: str) -> Markup:
    """The QR code of ``url`` as inline SVG (segno: ISO/IEC 18004). Level M: about 15%
    of the code may be creased or dirty, as a card in a van will be."""
    code = segno.make(url, error="m", micro=False)
    return Markup(code.svg_inline(scale=SCALE))  # segno's SVG: paths of our URL's modules


def report_url(hub: HubState, token: str) -> str:
    return f"{hub.config.hub.http.public_url.rstrip('/')}/report?token={token}"


async def card(
    hub: HubState, who: Principal, partner_id: str, link_id: int, token: str | None
) -> Card:
    """The card of a partner's link, for staff who may handle the partner and hold the
    link's token; DeskRefused(404) for any other token."""
    partner = await partners.partner_of(hub, who, partner_id)
    link = await hub.store.partner_link_of(token_hash(token)) if token else None
    if link is None or link.id != link_id or link.partner_id != partner.id or token is None:
        raise DeskRefused(404, "no such card")
    url = report_url(hub, token)
    return Card(partner, link, url, Markup("") if link.revoked else qr_svg(url))
