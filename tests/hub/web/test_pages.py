"""The pages' rendering layer: the catalogues, which pages may reload themselves, no
HTML built in Python, and the hub's clock behind every time a page judges."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from string import Formatter
from typing import Any

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.alerts.engine import ACK_SECRET
from mimamori.hub.alerts.links import AckLink, make_token
from mimamori.hub.web.catalogue import en, ja
from mimamori.hub.web.context import PageSettings
from tests.hub.helpers import Gateway, RunningHub, open_alert, running_hub, search_and_share

WEB = Path(str(resources.files("mimamori.hub.web")))
REFRESH = re.compile(r'<meta http-equiv="refresh" content="(\d+)">')
TYPED = re.compile(r"<(input|textarea|select)\b")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name}


def test_the_two_catalogues_have_the_same_keys_and_placeholders() -> None:
    assert list(ja.TEXT) == list(en.TEXT)  # the same order too: easy to read side by side
    for key, text in ja.TEXT.items():
        assert placeholders(text) == placeholders(en.TEXT[key]), key
        assert text.strip() and en.TEXT[key].strip(), key


def sources(folder: str, suffix: str) -> Iterator[tuple[str, str]]:
    for path in sorted((WEB / folder).rglob(f"*{suffix}")):
        yield str(path.relative_to(WEB)), path.read_text(encoding="utf-8")


def test_no_page_builds_html_in_python_marks_data_safe_or_asks_for_its_language() -> None:
    for name, text in sources(".", ".py"):
        # A string literal that opens a tag: HTML built by hand, escaped by hand.
        assert not re.search(r"""["']<[a-zA-Z/!]""", text), name
        assert "Markup(" not in text and "HTMLResponse(" not in text, name
        if name != "i18n.py":  # the one module that knows the languages
            assert not re.search(r"""lang\s*[!=]=\s*["']""", text), name
    for name, text in sources("templates", ".html"):
        assert "|safe" not in text.replace(" ", "") and "autoescape" not in text, name
    for name, text in sources("static", ".js"):
        assert not re.search(r"""lang\s*[!=]==?\s*["']""", text), name


async def fetch_every_page(hub: RunningHub, home_gateway: Gateway) -> dict[str, tuple[int, str]]:
    """Every page, as the people who see it (anonymous pages without a cookie)."""
    alert_id = await open_alert(hub, home_gateway)
    secret = await hub.state.store.secret(ACK_SECRET)
    expires = datetime.now(UTC) + timedelta(days=1)
    ack = make_token(secret, AckLink(alert_id, "r-miyagi", expires))
    admin = await hub.token(role="admin")
    search_id, _, shared = await search_and_share(hub, admin)
    pages: dict[str, tuple[int, str]] = {}
    async with hub.client(admin) as client:
        for path in (
            "/map",
            "/households",
            "/households/hh-1",
            "/households/nowhere",
            "/dashboard",
            f"/searches/{search_id}",
            "/signout",
        ):
            response = await client.get(path)
            pages[path] = (response.status_code, response.text)
    async with hub.client() as stranger:
        for path in ("/login", f"/ack?token={ack}", shared, "/map", "/signin?token=x"):
            response = await stranger.get(path)
            pages[f"anonymous {path}"] = (response.status_code, response.text)
    return pages


async def test_only_live_lists_without_anything_to_type_refresh_themselves(
    hub: RunningHub, home_gateway: Gateway
) -> None:
    """A reload wipes what a person is typing: never on a page with a field. The
    household pages (live lists, nothing to type) reload at the pages' setting."""
    hub.app.state.pages = PageSettings(refresh_s=7)
    pages = await fetch_every_page(hub, home_gateway)
    refreshing = set()
    for path, (status, text) in pages.items():
        assert status < 500, path
        found = REFRESH.findall(text)
        if found:
            refreshing.add(path)
            assert found == ["7"], path
            assert not TYPED.search(text), f"{path} reloads itself and has a field"
    assert refreshing == {"/households", "/households/hh-1"}
    assert TYPED.search(pages["/dashboard"][1])  # the notes: it must not reload
    assert TYPED.search(pages["anonymous /login"][1])


async def test_pages_judge_links_on_the_hubs_clock(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    """The hub runs two hours ahead of the machine: a link that the machine's clock
    still finds valid for an hour has expired on the hub's."""
    ahead = timedelta(hours=2)
    async with running_hub(own_broker, tmp_path, clock=lambda: datetime.now(UTC) + ahead) as hub:
        # Both issued by the machine's clock, as a hub that read it would have.
        link = await hub.signin_link(ttl=timedelta(hours=1), issued=datetime.now(UTC))
        secret = await hub.state.store.secret(ACK_SECRET)
        ack = make_token(secret, AckLink(1, "r-miyagi", datetime.now(UTC) + timedelta(hours=1)))
        async with hub.client() as phone:
            signin = await phone.get(link)
            assert signin.status_code == 410 and "有効期限" in signin.text
            page = await phone.get("/ack", params={"token": ack})
            assert page.status_code == 410 and "有効期限" in page.text


HOSTILE = '<img src=x onerror="alert(1)">'


async def test_names_from_the_register_are_escaped_on_every_page(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    """Autoescaping, not care: a household, a person and a gateway named like HTML."""

    def hostile(doc: dict[str, Any]) -> None:
        doc["households"][0]["name"] = f"{HOSTILE}宮城さん宅"
        doc["people"][1]["name"] = f"{HOSTILE}宮城 カマ"
        doc["gateways"][2]["name"] = f"{HOSTILE}自宅"

    async with running_hub(own_broker, tmp_path, hostile) as hub:
        token = await hub.token(role="admin")
        async with hub.client(token) as admin:
            for path in ("/households", "/households/hh-1", "/dashboard", "/map"):
                page = (await admin.get(path)).text
                assert "<img" not in page, path
                assert "&lt;img" in page or "\\u003cimg" in page, path
