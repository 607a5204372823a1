"""A partner's QR card: printed from the answer that made the link, drawn by segno,
leading to the report form; revoking the link makes the card's page say so (and the
page the card leads to); another token or another area's staff get no card."""

from __future__ import annotations

import html
import re
from pathlib import Path

import segno

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.model.cases import Partner, PartnerKind
from tests.hub.cases.town import NORTH, SOUTH, town
from tests.hub.helpers import running_hub


async def test_a_links_qr_card_leads_to_the_form_until_the_link_is_revoked(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, town) as hub:
        await hub.state.store.add_partner(
            Partner("news", "琉球新報 野嵩販売店", PartnerKind.NEWSPAPER, (SOUTH,), hub.clock())
        )
        staff = await hub.account("arakaki", "staff", areas=(SOUTH,))
        north = await hub.account("kinjo", "staff", areas=(NORTH,))
        origin = {"Origin": hub.url}
        async with hub.client(staff) as client:
            made = await client.post("/desk/partners/news/links", data={"label": "配達員 山田"},
                                     headers=origin)  # fmt: skip
            assert made.status_code == 200
            url = re.search(r'<code id="made-link">([^<]+)</code>', made.text)
            href = re.search(r'id="made-card" href="([^"]+)"', made.text)
            assert url is not None and href is not None
            link, card_path = html.unescape(url[1]), html.unescape(href[1])
            card = await client.get(card_path)
            assert card.status_code == 200
            assert "琉球新報 野嵩販売店・配達員 山田" in card.text and "119 / 110" in card.text
            assert f'<code id="card-url">{link}</code>' in card.text
            # The code drawn is the link's (segno's matrix for that URL, as an SVG path).
            expected = segno.make(link, error="m", micro=False).svg_inline(scale=5)
            assert expected in card.text
            wrong = await client.get(card_path.replace("token=", "token=x"))
            assert wrong.status_code == 404 and "<svg" not in wrong.text
        async with hub.client() as anyone:
            form = await anyone.get(link)
            assert form.status_code == 200 and 'id="report-form"' in form.text
        async with hub.client(north) as client:
            assert (await client.get(card_path)).status_code == 403
        link_id = int(card_path.split("/links/")[1].split("/")[0])
        async with hub.client(staff) as client:
            revoked = await client.post(f"/desk/partners/news/links/{link_id}/revoke",
                                        headers=origin, follow_redirects=False)  # fmt: skip
            assert revoked.status_code == 303
            card = await client.get(card_path)
        assert card.status_code == 410
        assert 'id="card-revoked"' in card.text and "<svg" not in card.text
        async with hub.client() as anyone:
            form = await anyone.get(link)
        assert form.status_code == 410 and "report-form" not in form.text
