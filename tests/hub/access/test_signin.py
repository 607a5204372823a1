"""Families sign in with a one-time, expiring link; then a session cookie."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx

from mimamori.demo.mosquitto import free_port
from mimamori.hub.server.app import create_app
from tests.hub.helpers import RunningHub, hub_config


async def test_a_link_signs_in_once_and_the_session_reaches_the_api(hub: RunningHub) -> None:
    link = await hub.signin_link()
    async with hub.client() as browser:
        first = await browser.get(link)
        assert first.status_code == 303 and first.headers["location"] == "/map"
        cookie = first.headers["set-cookie"]
        assert "mimamori_session=" in cookie and "HttpOnly" in cookie
        assert "samesite=lax" in cookie.lower() and "Secure" not in cookie  # http in tests
        people = await browser.get("/api/v1/people")
        assert people.status_code == 200 and people.json() == [
            {"id": "p-tsuru", "name": "比嘉 ツル"}
        ]
        assert (await browser.get("/api/v1/people/p-kama/location")).status_code == 404
        page = await browser.get("/map")
        assert page.status_code == 200 and "みまもりマップ" in page.text
    async with hub.client() as someone_else:
        again = await someone_else.get(link)
        assert again.status_code == 410
        assert "このリンクは使用済みです" in again.text
        assert "mimamori_session" not in again.headers.get("set-cookie", "")


async def test_a_link_opens_the_page_of_this_hub_it_names_and_never_another_site(
    hub: RunningHub,
) -> None:
    async with hub.client() as browser:
        link = await hub.signin_link()
        to_page = await browser.get(link + "&" + urlencode({"next": "/searches/s-0123456789ab"}))
        assert to_page.headers["location"] == "/searches/s-0123456789ab"
        for elsewhere in ("//evil.example/x", "/\\evil.example", "https://evil.example/",
                          "/map?x=//evil"):  # fmt: skip
            link = await hub.signin_link()
            response = await browser.get(link + "&" + urlencode({"next": elsewhere}))
            assert response.status_code == 303 and response.headers["location"] == "/map"


async def test_an_expired_link_shows_a_clear_page_and_no_data(hub: RunningHub) -> None:
    link = await hub.signin_link(ttl=timedelta(milliseconds=1))
    await asyncio.sleep(0.01)
    async with hub.client() as browser:
        response = await browser.get(link + "&lang=en")
        assert response.status_code == 410
        assert "This link has expired" in response.text
        assert "比嘉" not in response.text
        assert (await browser.get("/api/v1/people")).status_code == 401


async def test_an_unknown_link_is_refused(hub: RunningHub) -> None:
    async with hub.client() as browser:
        response = await browser.get("/signin", params={"token": "made-up"})
        assert response.status_code == 401
        assert "リンクが正しくありません" in response.text
        assert (await browser.get("/signin")).status_code == 401


async def test_two_simultaneous_clicks_give_exactly_one_session(hub: RunningHub) -> None:
    link = await hub.signin_link()
    async with hub.client() as a, hub.client() as b:
        results = await asyncio.gather(a.get(link), b.get(link))
    assert sorted(r.status_code for r in results) == [303, 410]


async def test_signing_out_ends_the_session(hub: RunningHub) -> None:
    async with hub.client() as browser:
        await browser.get(await hub.signin_link())
        assert (await browser.get("/api/v1/people")).status_code == 200
        cookie = browser.cookies["mimamori_session"]
        out = await browser.post("/signout", headers={"Origin": hub.url})  # the page's button
        assert out.status_code == 200 and "サインアウトしました" in out.text
    async with hub.client() as replay:  # the old cookie, replayed, opens nothing
        replay.cookies.set("mimamori_session", cookie)
        assert (await replay.get("/api/v1/people")).status_code == 401


async def test_the_map_without_a_session_asks_for_the_link(hub: RunningHub) -> None:
    async with hub.client() as browser:
        page = await browser.get("/map")
        assert page.status_code == 401
        assert "サインインが必要です" in page.text
        english = await browser.get("/map", params={"lang": "en"})
        assert "Please sign in" in english.text
        assert "mimamori_lang=en" in english.headers["set-cookie"]
        remembered = await browser.get("/map")
        assert "Please sign in" in remembered.text


async def test_cookies_are_secure_when_the_hub_is_served_over_https(tmp_path: Path) -> None:
    port = free_port()
    config = hub_config(
        tmp_path, 1, port, http={"port": port, "public_url": "https://town.example"}
    )
    app = create_app(config, with_ingest=False)
    async with app.router.lifespan_context(app):
        from mimamori.hub.access.auth import issue
        from mimamori.hub.model.accounts import CredentialKind

        token = await issue(
            app.state.hub.store,
            CredentialKind.SIGNIN,
            role="family",
            family_id="f-higa",
            name="t",
            ttl=timedelta(hours=1),
            now=datetime.now(UTC),
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://town.example") as c:
            response = await c.get("/signin", params={"token": token})
    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]
