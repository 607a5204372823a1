"""One-tap acknowledge links: signed, single-purpose, expiring; previews change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from mimamori.hub.alerts.engine import ACK_SECRET
from mimamori.hub.alerts.links import AckLink, BadLink, make_token, read_token
from mimamori.protocol import EventKind, format_ts
from tests.hub.helpers import Gateway, RunningHub, until

SECRET = b"k" * 32
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def test_a_token_reads_back_and_resists_tampering_and_time() -> None:
    link = AckLink(12, "r.family-1", NOW + timedelta(days=7))
    token = make_token(SECRET, link)
    assert read_token(SECRET, token, NOW) == link
    with pytest.raises(BadLink, match="expired"):
        read_token(SECRET, token, NOW + timedelta(days=7))
    with pytest.raises(BadLink, match="invalid"):
        read_token(b"x" * 32, token, NOW)  # another hub's secret
    other = make_token(SECRET, AckLink(13, "r.family-1", link.expires))
    forged = other.split(".")[0] + "." + token.split(".")[1]  # alert 13 with 12's signature
    with pytest.raises(BadLink, match="invalid"):
        read_token(SECRET, forged, NOW)
    for garbage in ("", "abc", "a.b.c", "!!!.???"):
        with pytest.raises(BadLink, match="invalid"):
            read_token(SECRET, garbage, NOW)


async def test_the_link_shows_the_alert_and_only_the_button_acknowledges(
    hub: RunningHub, home_gateway: Gateway
) -> None:
    now = datetime.now(UTC)
    await home_gateway.event(EventKind.CHECKIN_MISSED, now, level=1, due=format_ts(now))
    async with hub.client(await hub.token(role="admin")) as admin:

        async def raised() -> Any:
            return (await admin.get("/api/v1/alerts")).json()

        [alert] = await until(raised)
    secret = await hub.state.store.secret(ACK_SECRET)
    token = make_token(secret, AckLink(alert["id"], "r-family", now + timedelta(days=7)))
    async with httpx.AsyncClient(base_url=hub.url) as phone:
        page = await phone.get("/ack", params={"token": token})
        assert page.status_code == 200
        assert "宮城さん宅" in page.text and 'id="ack"' in page.text
        assert (await hub.state.store.alert(alert["id"])).state == "open"  # type: ignore[union-attr]
        done = await phone.post("/ack", params={"token": token})
        assert done.status_code == 200 and "受け付けました" in done.text
        acked = await hub.state.store.alert(alert["id"])
        assert acked is not None and acked.state == "acknowledged"
        assert acked.acked_by == "r-family"  # no such recipient in this config: its id
        again = await phone.get("/ack", params={"token": token})
        assert 'id="done"' in again.text
        expired = make_token(secret, AckLink(alert["id"], "r-family", now - timedelta(seconds=1)))
        assert (await phone.get("/ack", params={"token": expired})).status_code == 410
        assert (await phone.post("/ack", params={"token": token + "x"})).status_code == 400
