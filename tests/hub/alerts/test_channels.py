"""Delivery through apprise to real receivers: e-mail to a local SMTP server, JSON to a
local HTTP endpoint; failures say why, never with a secret."""

from __future__ import annotations

import logging

import pytest

from mimamori.demo.mosquitto import free_port
from mimamori.hub.alerts.channels import DEDUPE_HEADER, AppriseSender, redact
from tests.hub.receivers import smtp_server, webhook

TITLE = "みまもり: 宮城さん宅 — 見守りの連絡が途絶えています（段階 1）"
BODY = "宮城さん宅\n見守りの連絡が途絶えています（段階 1）\n発生: 11月23日 11:00"


async def test_a_json_webhook_gets_the_message_and_the_dedupe_key() -> None:
    async with webhook() as hook:
        result = await AppriseSender().send(hook.url, TITLE, BODY, dedupe_key="alert-1-step-0")
        assert result.ok, result.error
        [(headers, body)] = hook.requests
    assert body["title"] == TITLE and body["message"] == BODY
    assert headers[DEDUPE_HEADER.lower()] == "alert-1-step-0"


async def test_an_email_arrives_in_japanese_with_the_dedupe_key() -> None:
    with smtp_server() as box:
        url = (
            f"mailto://127.0.0.1:{box.port}?from=hub@example.jp&to=family@example.jp&mode=insecure"
        )
        result = await AppriseSender().send(url, TITLE, BODY, dedupe_key="alert-1-step-0")
        assert result.ok, result.error
        [message] = box.messages
    assert message["Subject"] == TITLE
    assert message[DEDUPE_HEADER] == "alert-1-step-0"
    assert "見守りの連絡が途絶えています" in message.get_body().get_content()  # type: ignore[union-attr]


async def test_a_failing_channel_says_why_and_then_recovers() -> None:
    async with webhook() as hook:
        hook.statuses = [500]
        failed = await AppriseSender().send(hook.url, TITLE, BODY, dedupe_key="k")
        assert not failed.ok and "500" in failed.error
        again = await AppriseSender().send(hook.url, TITLE, BODY, dedupe_key="k")
        assert again.ok and len(hook.requests) == 1


async def test_nobody_listening_and_a_refusing_mail_server_fail_cleanly() -> None:
    closed = await AppriseSender().send(
        f"json://127.0.0.1:{free_port()}/x", TITLE, BODY, dedupe_key="k"
    )
    assert not closed.ok and closed.error.startswith("json://127.0.0.1:")
    with smtp_server() as box:
        box.refuse = True
        url = f"mailto://127.0.0.1:{box.port}?from=hub@example.jp&to=a@example.jp&mode=insecure"
        refused = await AppriseSender().send(url, TITLE, BODY, dedupe_key="k")
    assert not refused.ok


async def test_a_malformed_url_fails_without_an_exception() -> None:
    result = await AppriseSender().send("nope://x", TITLE, BODY, dedupe_key="k")
    assert not result.ok and "unsupported or malformed" in result.error


async def test_secrets_in_channel_urls_never_reach_errors_or_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    port = free_port()
    url = (
        f"mailto://hub:S3cretPassw0rd@127.0.0.1:{port}"
        "?from=hub@example.jp&to=a@example.jp&mode=insecure"
    )
    result = await AppriseSender(timeout_s=5).send(url, TITLE, BODY, dedupe_key="k")
    assert not result.ok
    assert "S3cretPassw0rd" not in result.error
    assert "S3cretPassw0rd" not in caplog.text
    assert redact("line://AbCdEfToKeN123/U1234") == "line://…"
    assert redact(url) == f"mailto://127.0.0.1:{port}"
