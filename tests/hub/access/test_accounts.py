"""Accounts: argon2 passwords, the CLI that makes them, sign-in, and the dashboard."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser

from mimamori.hub.access.auth import HashPool, check_password, hash_password
from mimamori.protocol import EventKind, format_ts
from tests.hub.helpers import Gateway, RunningHub, database_for, hub_files, until

PASSWORD = "correct horse battery"


def test_a_short_password_is_refused_and_hashes_are_argon2id() -> None:
    with pytest.raises(ValueError, match="at least 10"):
        hash_password("short")
    assert hash_password(PASSWORD).startswith("$argon2id$")


async def test_the_password_is_checked_and_a_disabled_account_cannot_sign_in(
    hub: RunningHub,
) -> None:
    await hub.account("yamashiro", "volunteer", households=("hh-1",))
    store, pool = hub.state.store, HashPool()
    user = await check_password(store, "yamashiro", PASSWORD, pool)
    assert user is not None and user.households == ("hh-1",)
    assert await check_password(store, "yamashiro", PASSWORD + "!", pool) is None
    assert await check_password(store, "nobody", PASSWORD, pool) is None
    await store.set_disabled("yamashiro", True)
    assert await check_password(store, "yamashiro", PASSWORD, pool) is None


def test_the_cli_adds_lists_and_checks_accounts(tmp_path: Path) -> None:
    config = hub_files(
        tmp_path,
        {
            "hub": {"database": database_for(tmp_path), "broker": {"host": "127.0.0.1"}},
            "households": [{"id": "hh-1", "name": "宮城さん宅", "gateways": ["gw-home"]}],
        },
    )
    secret = tmp_path / "pw"
    secret.write_text(PASSWORD + "\n")

    def hub_cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mimamori", "hub", *args, "--config", str(config)],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )

    pw = ("--password-file", str(secret))
    added = hub_cli("user", "add", "--id", "yamashiro", "--name", "山城 (民生委員)",
                    "--role", "volunteer", "--households", "hh-1", *pw)  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert PASSWORD not in added.stdout + added.stderr
    again = hub_cli("user", "add", "--id", "yamashiro", "--name", "x", "--role", "staff",
                    "--area", "default", "--password-file", str(secret))  # fmt: skip
    assert again.returncode == 1 and "already an account 'yamashiro'" in again.stderr
    wrong = hub_cli("user", "add", "--id", "v2", "--name", "x", "--role", "volunteer",
                    "--households", "hh-9", "--password-file", str(secret))  # fmt: skip
    assert wrong.returncode == 1 and "unknown: hh-9" in wrong.stderr
    no_tty = hub_cli("user", "add", "--id", "v3", "--name", "x", "--role", "staff",
                     "--area", "default")  # fmt: skip
    assert no_tty.returncode == 1 and "--password-file" in no_tty.stderr
    listing = hub_cli("user", "list")
    assert listing.stdout == "yamashiro\tvolunteer\thh-1\t山城 (民生委員)\n"
    token = hub_cli("token", "create", "--user", "yamashiro", "--name", "tablet")
    assert token.returncode == 0 and len(token.stdout.strip()) >= 40


async def test_signing_in_with_a_password_opens_the_dashboard(
    hub: RunningHub, home_gateway: Gateway
) -> None:
    await hub.account("yamashiro", "volunteer", households=("hh-1",))
    async with httpx.AsyncClient(base_url=hub.url) as browser:
        wrong = await browser.post("/login", data={"user": "yamashiro", "password": "nope" * 3})
        unknown = await browser.post("/login", data={"user": "nobody", "password": PASSWORD})
        assert wrong.status_code == unknown.status_code == 401
        assert 'id="wrong"' in wrong.text and 'id="wrong"' in unknown.text
        ok = await browser.post("/login", data={"user": "yamashiro", "password": PASSWORD})
        assert ok.status_code == 303 and ok.headers["location"] == "/dashboard"
        cookie = ok.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        page = await browser.get("/dashboard")
        assert page.status_code == 200 and 'id="no-alerts"' in page.text
        assert 'id="failures"' not in page.text and 'id="no-failures"' not in page.text


async def test_a_volunteer_answers_an_alert_on_the_dashboard_in_a_browser(
    hub: RunningHub, home_gateway: Gateway, browser: Browser, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    await home_gateway.event(EventKind.CHECKIN_MISSED, now, level=2, due=format_ts(now))
    await hub.account("yamashiro", "volunteer", households=("hh-1",))
    async with hub.client(await hub.token(role="admin")) as admin:

        async def raised() -> Any:
            return (await admin.get("/api/v1/alerts")).json()

        await until(raised)
    page = await browser.new_page(viewport={"width": 1100, "height": 800}, locale="ja-JP")
    await page.goto(f"{hub.url}/login")
    await page.fill("input[name=user]", "yamashiro")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login")
    await page.wait_for_url("**/dashboard")
    row = page.locator("#alerts tr[data-alert='1']")
    assert await row.locator(".sev").inner_text() == "緊急"
    assert "連絡が途絶えています（段階 2）" in await row.inner_text()
    await page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    await row.locator("input[name=note]").first.fill("電話で無事を確認")
    await row.locator("button.ack").click()
    await page.wait_for_url("**/dashboard")
    assert "対応中（yamashiro さん）" in await page.locator("#alerts .state").inner_text()
    alert = await hub.state.store.alert(1)
    assert alert is not None and alert.ack_note == "電話で無事を確認"


async def test_the_dashboard_lists_the_searches_in_progress_the_caller_may_see(
    hub: RunningHub,
) -> None:
    staff = await hub.account("center", "staff")
    async with hub.client(staff) as center:
        started = await center.post("/api/v1/searches", json={"person_id": "p-kama"})
        search = started.json()
        page = await center.get("/dashboard")
        assert 'id="searches"' in page.text and f'href="/searches/{search["id"]}"' in page.text
        assert "宮城 カマ" in page.text
    async with hub.client(await hub.token(family="f-higa")) as higa:  # not their person
        page = await higa.get("/dashboard")
        assert 'id="no-searches"' in page.text and search["id"] not in page.text
