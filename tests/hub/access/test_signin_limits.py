"""Password sign-in under attack: limits per account, per address and per browser that
hold across hub workers, and argon2 off the event loop, a bounded number at a time."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from argon2 import PasswordHasher

from mimamori.demo.mosquitto import PrivateBroker, free_port
from mimamori.hub.access.auth import HashPool
from mimamori.hub.access.signin_guard import DEVICE_COOKIE
from mimamori.hub.server.app import create_app
from tests.hub.helpers import PASSWORD, RunningHub, hub_config, login

WRONG = "wrong horse battery"


def cheap_hashes(hub: RunningHub) -> None:
    """Real argon2 with small parameters, for the hashes of ids that do not exist
    (accounts' own hashes keep theirs: verifying reads them from the hash)."""
    hub.state.signin.pool = HashPool(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


async def test_a_hundred_wrong_passwords_are_refused_after_five_and_the_right_one_works_when_the_wait_ends(  # noqa: E501
    hub: RunningHub, own_broker: PrivateBroker, tmp_path: Path
) -> None:
    await hub.account("yamashiro", "volunteer", households=("hh-1",))
    t0 = datetime.now(UTC)
    hub.clock.now = lambda: t0  # the hub's time stands still: the waits are exact
    async with hub.client() as browser:
        answers = [await login(browser, "yamashiro", f"{WRONG} {n}") for n in range(100)]
        assert [a.status_code for a in answers[:5]] == [401] * 5
        assert {a.status_code for a in answers[5:]} == {429}
        assert answers[5].headers["retry-after"] == "60"
        assert "サインインの失敗が続いたため" in answers[5].text and 'id="wait"' in answers[5].text
        # While the account waits, even its right password is not tried.
        assert (await login(browser, "yamashiro", PASSWORD)).status_code == 429

    # Another hub worker on the same database (a fresh process's memory): still waits.
    port = free_port()
    other = create_app(hub_config(tmp_path, own_broker.port, port), with_ingest=False)
    async with other.router.lifespan_context(other):
        transport = httpx.ASGITransport(app=other)
        async with httpx.AsyncClient(transport=transport, base_url=hub.url) as elsewhere:
            refused = await elsewhere.post(
                "/login", data={"user": "yamashiro", "password": PASSWORD}
            )
            assert refused.status_code == 429
            elsewhere.cookies.set("mimamori_lang", "en")
            english = await elsewhere.post(
                "/login", data={"user": "yamashiro", "password": PASSWORD}
            )
            assert "Too many failed sign-ins" in english.text

    hub.clock.now = lambda: t0 + timedelta(seconds=60)  # the first wait (1 min) is over
    async with hub.client() as browser:
        ok = await login(browser, "yamashiro", PASSWORD)
        assert ok.status_code == 303 and ok.headers["location"] == "/dashboard"
    # The right password cleared the account's count: five more free tries.
    assert await hub.state.store.signin_attempts("user:yamashiro") is None


async def test_the_wait_doubles_and_is_forgotten_after_a_quiet_day(hub: RunningHub) -> None:
    cheap_hashes(hub)
    t0, shift = datetime.now(UTC), timedelta(0)
    async with hub.client() as browser:

        async def wrong_at(at: timedelta) -> int:
            hub.clock.now = lambda: t0 + at  # the hub's time, moved by the test alone
            return (await login(browser, "nobody", WRONG)).status_code

        assert [await wrong_at(shift) for _ in range(5)] == [401] * 5
        for wait in (1, 2, 4, 8, 16, 32, 60, 60):  # minutes: doubling up to an hour
            shift += timedelta(minutes=wait) - timedelta(seconds=1)
            assert await wrong_at(shift) == 429, wait
            shift += timedelta(seconds=1)
            assert await wrong_at(shift) == 401, wait
        shift += timedelta(days=1)
        assert [await wrong_at(shift) for _ in range(5)] == [401] * 5


async def test_an_address_trying_many_accounts_is_stopped_and_others_are_not(
    hub: RunningHub,
) -> None:
    await hub.account("yamashiro", "volunteer", households=("hh-1",))
    cheap_hashes(hub)
    async with hub.client() as client:
        sprayed = [await login(client, f"guess{n}", WRONG, "203.0.113.9") for n in range(20)]
        assert {r.status_code for r in sprayed} == {401}
        stopped = await login(client, "yamashiro", PASSWORD, "203.0.113.9")
        assert stopped.status_code == 429  # even a right password, from that address
        # An IPv6 attacker is one /64: changing the last bits changes nothing.
        v6 = [await login(client, f"g6-{n}", WRONG, f"2001:db8:1:2::{n:x}") for n in range(21)]
        assert [r.status_code for r in v6] == [401] * 20 + [429]
        elsewhere = await login(client, "yamashiro", PASSWORD, "198.51.100.7")
        assert elsewhere.status_code == 303


async def test_a_locked_account_still_opens_in_the_browser_that_signed_in_before(
    hub: RunningHub,
) -> None:
    await hub.account("yamashiro", "volunteer", households=("hh-1",))
    async with hub.client() as own:
        first = await login(own, "yamashiro", PASSWORD)
        assert first.status_code == 303 and own.cookies.get(DEVICE_COOKIE)
        assert "path=/login" in first.headers["set-cookie"].lower()
        async with hub.client() as stranger:
            tries = [await login(stranger, "yamashiro", WRONG, "203.0.113.9") for _ in range(8)]
            assert [r.status_code for r in tries] == [401] * 5 + [429] * 3
            # Locked for every stranger, whatever their address ...
            other = await login(stranger, "yamashiro", PASSWORD, "198.51.100.7")
            assert other.status_code == 429
            # ... and a cookie made for another account is worth nothing here.
            stranger.cookies.set(DEVICE_COOKIE, own.cookies[DEVICE_COOKIE] + "0")
            assert (await login(stranger, "yamashiro", PASSWORD)).status_code == 429
        # The person's own browser: a typo counts against that browser only, and the
        # right password opens the account.
        assert (await login(own, "yamashiro", WRONG)).status_code == 401
        again = await login(own, "yamashiro", PASSWORD)
        assert again.status_code == 303 and again.headers["location"] == "/dashboard"


class GatedHasher(PasswordHasher):
    """argon2, but each verify waits for the test to open the gate: the test decides
    when a hash ends. The timeout only stops a hash on the loop hanging the test."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.started = threading.Event()
        self.opened_by_test: list[bool] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.started.set()
        self.opened_by_test.append(self.gate.wait(timeout=5))
        return super().verify(hash, password)


async def test_password_hashes_run_off_the_event_loop(hub: RunningHub) -> None:
    await hub.account("yamashiro", "volunteer", households=("hh-1",))
    hasher = GatedHasher()
    hub.state.signin.pool = HashPool(hasher)
    order: list[str] = []
    async with hub.client() as browser, hub.client() as monitor:

        async def sign_in() -> int:
            status = (await login(browser, "yamashiro", PASSWORD)).status_code
            order.append("signed in")
            return status

        signing_in = asyncio.create_task(sign_in())
        await asyncio.to_thread(hasher.started.wait, 10)  # a hash is running now
        health = await monitor.get("/healthz")
        order.append("healthz answered")
        assert health.status_code == 200 and hub.state.signin.pool.running == 1
        hasher.gate.set()
        assert await signing_in == 303
    assert order == ["healthz answered", "signed in"]
    assert hasher.opened_by_test == [True]


async def test_too_many_password_checks_at_once_are_told_to_come_back(hub: RunningHub) -> None:
    await hub.account("yamashiro", "volunteer", households=("hh-1",))
    hasher = GatedHasher()
    pool = hub.state.signin.pool = HashPool(hasher, at_once=1, waiting=1)
    async with hub.client() as a, hub.client() as b, hub.client() as c:
        running = asyncio.create_task(login(a, "yamashiro", WRONG))
        await asyncio.to_thread(hasher.started.wait, 10)
        waiting = asyncio.create_task(login(b, "yamashiro", WRONG))
        async with asyncio.timeout(10):
            while pool.queued == 0:  # the second is in line for the one slot
                await asyncio.sleep(0.01)
        busy = await login(c, "yamashiro", WRONG)
        assert busy.status_code == 503 and busy.headers["retry-after"] == "5"
        assert "ただいま混み合っています" in busy.text
        hasher.gate.set()
        assert [(await t).status_code for t in (running, waiting)] == [401, 401]
    # The busy attempt checked no password and counts against nobody.
    counted = await hub.state.store.signin_attempts("user:yamashiro")
    assert counted is not None and counted.failures == 2
