"""Credentials end exactly when the hub's clock says, not the wall clock: the hub runs
in 2031 here, years from the real time, so a check that read ``datetime.now()`` would
find every credential still valid (or not yet issued) and these tests fail."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from mimamori.demo.mosquitto import PrivateBroker
from tests.hub.helpers import HubClock, running_hub

MS = timedelta(milliseconds=1)


async def test_a_signin_link_expires_exactly_at_its_time(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    clock = HubClock()
    async with running_hub(own_broker, tmp_path, clock=clock) as hub:
        in_time = await hub.signin_link(ttl=timedelta(hours=1))
        too_late = await hub.signin_link(ttl=timedelta(hours=1))
        clock.advance(timedelta(hours=1) - MS)
        async with hub.client() as browser:
            assert (await browser.get(in_time)).status_code == 303
        clock.advance(MS)
        async with hub.client() as browser:
            response = await browser.get(too_late + "&lang=en")
            assert response.status_code == 410 and "This link has expired" in response.text
            assert (await browser.get("/api/v1/people")).status_code == 401


async def test_a_session_ends_exactly_when_its_days_are_over(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    clock = HubClock()
    async with running_hub(own_broker, tmp_path, clock=clock) as hub:
        days = timedelta(days=hub.state.config.hub.auth.session_ttl_days)
        async with hub.client() as browser:
            assert (await browser.get(await hub.signin_link())).status_code == 303
            clock.advance(days - MS)
            assert (await browser.get("/api/v1/people")).status_code == 200
            clock.advance(MS)
            assert (await browser.get("/api/v1/people")).status_code == 401


async def test_a_bearer_token_ends_exactly_at_its_time(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    clock = HubClock()
    async with running_hub(own_broker, tmp_path, clock=clock) as hub:
        token = await hub.token()  # a day
        async with hub.client(token) as client:
            clock.advance(timedelta(days=1) - MS)
            assert (await client.get("/api/v1/people")).status_code == 200
            clock.advance(MS)
            assert (await client.get("/api/v1/people")).status_code == 401
