"""A gateway's enrollment code from its desk page (issue 20): an admin makes it and sees
it once with the command the Pi runs and its QR; the code is the API's own (traded
once, then refused; refused once expired); staff and families are refused and no
code is made; a hub that does not enroll says so."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import httpx

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.model.accounts import CredentialKind
from tests.hub.access.test_areas import NORTH, two_areas
from tests.hub.enroll.test_enrollment import enrolling
from tests.hub.helpers import HubClock, RunningHub, query, running_hub

ROUTE = "/desk/watch-points/gw-a/enrollment"


async def make(hub: RunningHub, token: str) -> httpx.Response:
    async with hub.client(token) as client:
        return await client.post(ROUTE, headers={"Origin": hub.url})


def code_on(page: httpx.Response) -> str:
    found = re.search(r'<code id="enroll-code"[^>]*>([^<]+)</code>', page.text)
    assert found is not None, page.text
    return found.group(1)


async def trade(hub: RunningHub, code: str) -> httpx.Response:
    async with hub.client() as gateway:
        return await gateway.post("/api/v1/enroll", json={"code": code})


async def test_an_admin_makes_a_one_time_code_with_its_qr_and_command_at_the_desk(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    def town(doc: dict[str, object]) -> None:
        enrolling(tmp_path)(doc)
        two_areas(doc)  # type: ignore[arg-type]

    async with running_hub(own_broker, tmp_path, town, clock=HubClock()) as hub:
        admin = await hub.account("root", "admin")
        staff = await hub.account("kinjo", "staff", areas=(NORTH,))
        family = await hub.token("family", "f-miyagi")
        for token in (staff, family):  # refused before anything is made
            refused = await make(hub, token)
            assert refused.status_code == 403 and 'id="enroll-code"' not in refused.text
        assert await query(tmp_path, "SELECT count(*) FROM credentials WHERE kind = 'enroll'") == [
            (0,)
        ]
        async with hub.client(staff) as client:
            theirs = await client.get("/desk/watch-points/gw-a")
        assert theirs.status_code == 200 and 'id="enroll-make"' not in theirs.text
        async with hub.client(admin) as client:
            before = await client.get("/desk/watch-points/gw-a")
        assert 'id="enroll-make"' in before.text

        made = await make(hub, admin)
        assert made.status_code == 200, made.text
        assert made.headers["cache-control"] == "no-store"
        code = code_on(made)
        command = f"mimamori edge enroll --hub {hub.url} --code {code}"
        assert f'<pre id="enroll-command">{command}</pre>' in made.text
        assert re.search(r'<figure class="qr" id="enroll-qr"><svg[^>]*>.*</svg>', made.text, re.S)
        assert "30 分間・1 回だけ" in made.text

        assert (await trade(hub, code)).status_code == 200
        again = await trade(hub, code)  # one-time: the desk's code is the API's
        assert again.status_code == 410 and again.json()["detail"]["reason"] == "used"

        late = code_on(await make(hub, admin))
        hub.clock.advance(timedelta(minutes=31))  # short-lived: 30 minutes
        expired = await trade(hub, late)
        assert expired.status_code == 410 and expired.json()["detail"]["reason"] == "expired"

        kinds = await query(tmp_path, "SELECT kind FROM credentials WHERE name = 'gw-a'")
        hashes = await query(tmp_path, "SELECT token_hash FROM credentials")
        assert kinds.count((CredentialKind.ENROLL.value,)) == 2
        assert not [h for (h,) in hashes if code in h or late in h]  # kept hashed only
