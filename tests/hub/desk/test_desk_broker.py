"""A watch point's broker account from its desk page (issue 14), made by the same
function as ``hub gateway add``: an admin makes it, sees the password once, and a real
Mosquitto reading the files lets the gateway in with it; the page never shows it
again; making it twice is refused unless renewed (the old password then fails);
every role but admin is refused and nothing is written; broker files the hub cannot
write are said on the page (no 500, nothing audited); each made account is audited
without its password."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.broker.accounts import accounts, password_hash
from mimamori.protocol.topics import events_topic
from tests.deploy.test_broker_acl import connected
from tests.hub.access.test_areas import NORTH, SOUTH, two_areas
from tests.hub.helpers import RunningHub, running_hub

ROUTE = "/desk/watch-points/gw-a/broker-account"  # gw-a lies in the north


def with_broker_files(root: Path) -> Any:
    def edit(doc: dict[str, Any]) -> None:
        two_areas(doc)
        doc["hub"]["mosquitto"] = {
            "password_file": str(root / "broker" / "passwd"),
            "acl_file": str(root / "broker" / "acl"),
        }

    return edit


def password_of(page: httpx.Response) -> str:
    found = re.search(r'<code id="broker-password"[^>]*>([^<]+)</code>', page.text)
    assert found is not None, page.text
    return found.group(1)


async def post(hub: RunningHub, token: str, renew: bool = False) -> httpx.Response:
    async with hub.client(token) as client:
        return await client.post(
            ROUTE, data={"renew": "on"} if renew else {}, headers={"Origin": hub.url}
        )


async def test_an_admin_makes_a_watch_points_account_that_the_broker_accepts(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    passwd = tmp_path / "broker" / "passwd"
    async with running_hub(own_broker, tmp_path, with_broker_files(tmp_path)) as hub:
        admin = await hub.account("root", "admin")
        async with hub.client(admin) as client:
            before = await client.get("/desk/watch-points/gw-a")
        assert 'data-exists="no"' in before.text and 'id="broker-make"' in before.text

        made = await post(hub, admin)
        assert made.status_code == 200, made.text
        assert made.headers["cache-control"] == "no-store"
        first = password_of(made)
        assert "username: gw-a" in made.text
        assert accounts(passwd) == {"gw-a"}

        async with hub.client(admin) as client:
            after = await client.get("/desk/watch-points/gw-a")
        assert 'data-exists="yes"' in after.text and first not in after.text

        again = await post(hub, admin)  # a second click must not lock the gateway out
        assert again.status_code == 409 and "パスワードは変えていません" in again.text
        assert 'id="broker-password"' not in again.text

        renewed = await post(hub, admin, renew=True)
        assert renewed.status_code == 200 and 'id="broker-renewed"' in renewed.text
        second = password_of(renewed)
        assert second != first

        log = await hub.state.store.audit_log(datetime(2000, 1, 1, tzinfo=UTC), 100)
        mine = [(e.action, e.subject) for e in log if e.action.startswith("broker.account")]
        assert mine == [
            ("broker.account.renew", "watch_point:gw-a"),
            ("broker.account.create", "watch_point:gw-a"),
        ]
        assert not [e for e in log if first in str(e) or second in str(e)]

    assert matches(passwd, "gw-a", second) and not matches(passwd, "gw-a", first)
    broker = PrivateBroker(tmp_path / "mq", auth=(passwd, tmp_path / "broker" / "acl"))
    with broker:  # Mosquitto itself reads what the page wrote, and lets the gateway in
        async with connected(broker.port, "gw-a", second) as (gateway, _):
            await gateway.publish(events_topic("gw-a"), b"{}")  # its own topic: allowed


def matches(passwd: Path, user: str, password: str) -> bool:
    """Whether ``password`` is ``user``'s in a Mosquitto password file ($7$ hashes)."""
    line = next(x for x in passwd.read_text().splitlines() if x.startswith(f"{user}:"))
    stored = line.split(":", 1)[1]
    salt = base64.b64decode(stored.split("$")[3])
    return password_hash(password, salt) == stored


async def test_only_admins_make_broker_accounts_and_a_refusal_or_a_failure_writes_nothing(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    passwd = tmp_path / "broker" / "passwd"
    async with running_hub(own_broker, tmp_path, with_broker_files(tmp_path)) as hub:
        refused = {
            "family": await hub.token("family", "f-miyagi"),
            "volunteer": await hub.token("volunteer", None),
            "staff of its area": await hub.account("kinjo", "staff", areas=(NORTH,)),
            "staff of another": await hub.account("arakaki", "staff", areas=(SOUTH,)),
        }
        for role, token in refused.items():
            for renew in (False, True):
                answer = await post(hub, token, renew)
                assert answer.status_code == 403, (role, answer.status_code)
                assert 'id="broker-password"' not in answer.text
        async with hub.client(refused["staff of its area"]) as client:
            page = await client.get("/desk/watch-points/gw-a")
        assert 'data-exists="no"' in page.text and 'id="broker-make"' not in page.text
        assert not passwd.exists()
        async with hub.client() as client:  # nobody signed in: the sign-in page
            anonymous = await client.post(ROUTE, headers={"Origin": hub.url})
        assert anonymous.status_code == 401
        admin = await hub.token("admin")
        async with hub.client(admin) as client:
            missing = await client.post(
                "/desk/watch-points/gw-nowhere/broker-account", headers={"Origin": hub.url}
            )
        assert missing.status_code == 404 and not passwd.exists()

        # Files the hub may not write (a hardened hub's read-only /etc): said, not a 500.
        (tmp_path / "broker").write_text("not a folder")
        unwritable = await post(hub, admin)
        assert unwritable.status_code == 503
        assert "mimamori hub gateway add" in unwritable.text
        assert 'id="broker-password"' not in unwritable.text
        async with hub.client(admin) as client:  # the hub goes on
            assert (await client.get("/desk/watch-points/gw-a")).status_code == 200
        log = await hub.state.store.audit_log(datetime(2000, 1, 1, tzinfo=UTC), 100)
        assert not [e for e in log if e.action.startswith("broker.account")]
