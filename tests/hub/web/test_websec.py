"""The hub's HTTP safety against a real hub under uvicorn: security headers on every
answer, changes of a cookie session only from the hub's own pages, bounded bodies
that are never echoed back, redirects that never name the caller's Host, no CDN, and
an acknowledge page whose language switch keeps its token (docs/security.md)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import urljoin

import httpx
from starlette.routing import BaseRoute, Route

from mimamori.hub.alerts.engine import ACK_SECRET
from mimamori.hub.alerts.links import AckLink, make_token
from mimamori.hub.federation.wire import SightingsBack
from mimamori.hub.web.security import MAX_BODY, origin_of, tile_source
from mimamori.protocol import EventKind
from tests.hub.helpers import TAG_TSURU, Gateway, RunningHub, open_alert, search_and_share

SECURITY_HEADERS = ("content-security-policy", "x-frame-options", "referrer-policy")


def assert_secure(response: httpx.Response, *, cached_ok: bool = False) -> None:
    where = f"{response.request.method} {response.request.url.path} ({response.status_code})"
    csp = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, where
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    assert response.headers.get("x-frame-options") == "DENY", where
    assert response.headers.get("referrer-policy") == "no-referrer", where
    assert response.headers.get("x-content-type-options") == "nosniff", where
    if not cached_ok:
        assert response.headers.get("cache-control") == "no-store", where


def routes(found: Sequence[BaseRoute]) -> Iterator[Route]:
    """Every route of the app; FastAPI wraps each included router in one entry."""
    for route in found:
        if isinstance(route, Route):
            yield route
        elif included := getattr(route, "original_router", None):
            yield from routes(included.routes)


async def test_every_page_and_json_route_sends_the_security_headers(
    hub: RunningHub, gateway: Gateway
) -> None:
    await hub.until_stored(await gateway.send(EventKind.TAG_ARRIVED, TAG_TSURU, rssi=-60))
    admin = await hub.token(role="admin")
    search_id, _, shared = await search_and_share(hub, admin)
    values = {
        "person_id": "p-tsuru",
        "household_id": "hh-1",
        "alert_id": "1",  # no alert here: the page of an unknown alert
        "entry_id": "hh-1",  # the desk's registers (a household; elsewhere a 404)
        "search_id": search_id,
        "token": shared.rsplit("/", 1)[1],
        "case_id": "1",  # cases and partners (issue 16): none yet, a 404
        "partner_id": "news",
        "link_id": "1",  # a partner link's QR card: no token, a 404
        "photo_id": "1",  # a report's photo: none, a 404
        "rollcall_id": "1",  # the roll-call (issue 19): none yet, a 404
        "link": "x" * 43,  # a found-person thread's family link: unknown, refused
        "report_id": "1",  # a found thread at the desk (issue 18): none, a 404
    }
    gets = sorted(route.path for route in routes(hub.app.routes) if "GET" in (route.methods or ()))
    seen: set[str] = set()
    async with hub.client(admin) as client:
        for path in gets:
            url = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)
            async with client.stream("GET", url) as response:  # SSE: the headers only
                assert response.status_code < 500, (path, response.status_code)
                assert_secure(response)
            seen.add(path)
        # Location and trail JSON are never cached, and neither are the failures.
        for url in ("/api/v1/people/p-tsuru/location", "/api/v1/people/p-tsuru/trail"):
            assert_secure(await client.get(url))
        assert_secure(await client.get("/api/v1/people/p-kama/nothing"))  # 404
        assert_secure(await client.get("/api/v1/audit", params={"days": "x"}))  # 422
        too_big = await client.post("/api/v1/searches", content=b"{" * (MAX_BODY + 1))
        assert too_big.status_code == 413
        assert_secure(too_big)
        for asset in ("/static/app/map.js", "/static/leaflet/leaflet.js"):
            static = await client.get(asset)
            assert static.status_code == 200
            assert_secure(static, cached_ok=True)  # the hub's own files may be cached
    async with hub.client() as stranger:
        assert_secure(await stranger.get("/api/v1/people"))  # 401
        assert_secure(await stranger.get("/map"))  # the sign-in page
        csp = (await stranger.get("/healthz")).headers["content-security-policy"]
        assert "img-src 'self' https://cyberjapandata.gsi.go.jp" in csp  # the map's tiles
    assert {"/map", "/api/v1/people/{person_id}/trail", "/s/{token}", "/ack"} <= seen


async def test_no_page_loads_anything_from_a_cdn_and_swagger_ui_is_not_served(
    hub: RunningHub,
) -> None:
    async with hub.client(await hub.token(role="admin")) as client:
        for gone in ("/docs", "/redoc", "/docs/oauth2-redirect"):
            assert (await client.get(gone)).status_code == 404, gone
        schema = await client.get("/openapi.json")  # for tools; nothing to render it here
        assert schema.status_code == 200 and schema.json()["info"]["title"] == "mimamori hub"
        for page in ("/map", "/households", "/dashboard", "/login"):
            html = (await client.get(page)).text
            sources = re.findall(r'(?:src|href)="([^"]+)"', html)
            assert sources and all(s.startswith(("/", "?")) for s in sources), (page, sources)


async def test_a_large_body_is_refused_with_413_and_input_is_never_echoed(
    hub: RunningHub,
) -> None:
    family = await hub.token()
    async with hub.client(family) as client:
        big = b'{"person_id": "' + b"x" * (20 * 1024 * 1024) + b'"}'
        refused = await client.post("/api/v1/searches", content=big)
        assert refused.status_code == 413 and len(refused.content) < 200

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as read
            for _ in range(64):
                yield b"x" * 65536

        streamed = await client.post(
            "/api/v1/searches", content=chunks(), headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413 and len(streamed.content) < 200
        # Under the limit, a wrong value is named but not sent back.
        long_id = "x" * (MAX_BODY // 2)
        wrong = await client.post("/api/v1/searches", json={"person_id": long_id})
        assert wrong.status_code == 422 and len(wrong.content) < 2000
        assert wrong.json()["detail"][0]["loc"] == ["body", "person_id"]
        many = await client.post("/api/v1/searches", json=[{"x": i} for i in range(5000)])
        assert many.status_code == 422 and len(many.content) < 5000
        assert (await client.get("/api/v1/people")).status_code == 200  # still serving


def test_the_largest_valid_peer_batch_fits_under_the_body_limit() -> None:
    """The hub's largest legitimate body: a peer's 500 sightings, every field at its
    longest (a 100-character name in three-byte characters)."""
    sighting = {
        "event_id": "f" * 32,
        "tag": f"ibeacon:{'f' * 8}-{'f' * 4}-{'f' * 4}-{'f' * 4}-{'f' * 12}:65535:65535",
        "kind": "tag.arrived",
        "ts": "2026-11-23T03:00:00.000000+00:00",
        "gateway": {"id": "g" * 63, "name": "見" * 100, "lat": -89.123456789, "lon": -179.1234},
    }
    batch = SightingsBack.model_validate({"search_id": "s" * 63, "sightings": [sighting] * 500})
    size = len(batch.model_dump_json().encode())
    print(f"\nlargest peer batch: {size / 1024:.0f} KiB of the {MAX_BODY // 1024} KiB limit")
    assert size < MAX_BODY / 2


async def test_redirects_never_name_the_host_the_caller_sent(hub: RunningHub) -> None:
    evil = {"Host": "evil.example"}
    async with hub.client() as client:
        paths = ("/", "/static/app", "/static/leaflet", "/map/", "/api/v1/people/", "//evil/")
        for path in paths:
            response = await client.get(path, headers=evil)
            location = response.headers.get("location", "")
            assert "evil" not in location, (path, location)
            assert not location or (location.startswith("/") and location[1:2] != "/")
        signin = await client.get(await hub.signin_link(), headers=evil)
        assert signin.status_code == 303 and signin.headers["location"] == "/map"


async def test_a_cookie_session_change_from_another_origin_is_refused(
    hub: RunningHub, home_gateway: Gateway
) -> None:
    alert_id = await open_alert(hub, home_gateway)
    search_id, share_id, _ = await search_and_share(
        hub, await hub.token(family="f-miyagi"), "p-kama"
    )
    other = f"http://127.0.0.1:{hub.url.rsplit(':', 1)[1]}1"  # another port, same site
    forged = [
        {},  # neither Origin nor Sec-Fetch-Site: no browser; with a cookie, refused
        {"Origin": other},
        {"Origin": "null"},
        {"Origin": hub.url, "Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "cross-site"},
    ]
    targets = [
        f"/api/v1/alerts/{alert_id}/resolve",
        f"/api/v1/alerts/{alert_id}/ack",
        f"/dashboard/alerts/{alert_id}/ack",
        f"/api/v1/searches/{search_id}/join",
        f"/api/v1/searches/{search_id}/shares/{share_id}/revoke",
        "/signout",
    ]
    store = hub.state.store
    joined_before = await store.participants(search_id)
    async with hub.client() as browser:
        assert (await browser.get(await hub.signin_link(family="f-miyagi"))).status_code == 303
        for headers in forged:
            for target in targets:
                response = await browser.post(target, headers=headers)
                assert response.status_code == 403, (target, headers, response.text)
                assert_secure(response)
        page = await browser.post(targets[2], headers={"Origin": other})
        assert "受け付けられませんでした" in page.text  # a person reads why, in Japanese
        alert = await store.alert(alert_id)
        assert alert is not None and alert.state == "open"
        assert await store.participants(search_id) == joined_before
        [share] = await store.shares(search_id)
        assert share.revoked_at is None
        assert (await browser.get("/api/v1/people")).status_code == 200  # still signed in

        # From the hub's own pages, the same session's changes go through.
        own = {"Origin": hub.url}
        ok = await browser.post(f"/api/v1/alerts/{alert_id}/resolve", headers=own)
        assert ok.status_code == 200 and ok.json()["state"] == "resolved"
        same = {"Sec-Fetch-Site": "same-origin"}
        joined = await browser.post(f"/api/v1/searches/{search_id}/join", headers=same)
        assert joined.status_code == 200
    # A bearer token is no ambient credential: API clients need no Origin.
    async with hub.client(await hub.token(family="f-miyagi")) as api:
        revoked = await api.post(f"/api/v1/searches/{search_id}/shares/{share_id}/revoke")
        assert revoked.status_code == 200


async def test_signing_in_from_another_origin_is_refused(hub: RunningHub) -> None:
    await hub.account("yamashiro", "staff")
    form = {"user": "yamashiro", "password": "correct horse battery"}
    async with httpx.AsyncClient(base_url=hub.url) as client:
        elsewhere = await client.post("/login", data=form, headers={"Origin": "http://evil"})
        assert elsewhere.status_code == 403 and "mimamori_session" not in client.cookies
        site = await client.post("/login", data=form, headers={"Sec-Fetch-Site": "same-site"})
        assert site.status_code == 403 and "mimamori_session" not in client.cookies
        here = await client.post("/login", data=form, headers={"Origin": hub.url})
        assert here.status_code == 303 and "mimamori_session" in client.cookies


async def test_signing_out_takes_a_post_from_the_hubs_own_page(hub: RunningHub) -> None:
    async with hub.client() as browser:
        await browser.get(await hub.signin_link())
        asked = await browser.get("/signout")  # a link or a prefetch only asks
        assert asked.status_code == 200 and 'action="/signout"' in asked.text
        assert (await browser.get("/api/v1/people")).status_code == 200
        out = await browser.post("/signout", headers={"Origin": hub.url})
        assert out.status_code == 200 and "サインアウトしました" in out.text
        assert (await browser.get("/api/v1/people")).status_code == 401
        again = await browser.get("/signout", params={"lang": "en"})
        assert "Signed out" in again.text


async def test_the_ack_pages_language_switch_keeps_the_token(
    hub: RunningHub, home_gateway: Gateway
) -> None:
    alert_id = await open_alert(hub, home_gateway)
    secret = await hub.state.store.secret(ACK_SECRET)
    link = AckLink(alert_id, "r-family", datetime.now(UTC) + timedelta(days=7))
    token = make_token(secret, link)

    def switch(response: httpx.Response) -> str:
        found = re.search(r'id="switch-lang" href="([^"]+)"', response.text)
        assert found, response.text
        return urljoin(str(response.url), unescape(found.group(1)))

    async with httpx.AsyncClient(base_url=hub.url) as phone:
        page = await phone.get("/ack", params={"token": token})
        assert page.status_code == 200 and "見守りのお知らせ" in page.text
        english = await phone.get(switch(page))
        assert english.status_code == 200, english.text
        assert "Watch-over alert" in english.text and 'id="ack"' in english.text
        done = await phone.post("/ack", params={"token": token})  # remembered: English
        assert done.status_code == 200 and "Thank you" in done.text
        japanese = await phone.get(switch(done))
        assert japanese.status_code == 200 and 'id="done"' in japanese.text
        assert "見守りのお知らせ" in japanese.text


def test_origins_compare_as_browsers_write_them_and_tiles_cannot_bend_the_policy() -> None:
    assert origin_of("https://Town.Example:443/map") == "https://town.example"
    assert origin_of("http://127.0.0.1:8080/") == "http://127.0.0.1:8080"
    assert origin_of("http://[::1]:80") == "http://[::1]"
    assert origin_of("null") != origin_of("http://127.0.0.1:8080")  # a sandboxed page
    assert (
        tile_source("https://{s}.tile.example.org/{z}/{x}/{y}.png") == "https://*.tile.example.org"
    )
    assert tile_source("https://tiles.example:8443/{z}/{x}/{y}.png") == "https://tiles.example:8443"
    assert tile_source("https://evil; script-src *;/{z}.png") == ""  # left out, not spliced in
    assert tile_source("javascript:alert(1)") == ""
