"""LINE's webhook on a real hub: only requests signed with the channel secret are
acted on, a replayed event is handled once, bad bodies are refused without harm, and
an event that cannot be handled is set aside while the next one is handled."""

from __future__ import annotations

import json
from pathlib import Path

from tests.hub.helpers import RunningHub, query, until
from tests.line_server import LocalLine, sign, user_id

WEBHOOK = "/api/v1/line/webhook"


async def kept_events(tmp_path: Path) -> int:
    return int((await query(tmp_path, "SELECT count(*) FROM line_events"))[0][0])


async def test_a_signed_follow_is_answered_with_how_to_link(
    line_hub: RunningHub, line: LocalLine
) -> None:
    user = user_id()
    answer = await line.webhook(line_hub.url + WEBHOOK, line.follow(user))
    assert answer.status_code == 200
    assert answer.json() == {"kept": 1, "replayed": 0}
    [welcome] = await until(lambda: _replies(line, user))
    assert "8けたの番号" in welcome


async def _replies(line: LocalLine, user: str) -> list[str]:
    return line.replies_to(user)


async def test_an_unsigned_or_wrongly_signed_webhook_is_refused_and_changes_nothing(
    line_hub: RunningHub, line: LocalLine, tmp_path: Path
) -> None:
    user = user_id()
    url = line_hub.url + WEBHOOK
    unsigned = await line.webhook(url, line.text(user, "12345678"), signature="")
    assert unsigned.status_code == 401
    other_secret = await line.webhook(url, line.follow(user), secret="f" * 32)
    assert other_secret.status_code == 401
    garbage = await line.webhook(url, line.follow(user), signature="bm90IGEgc2lnbmF0dXJl")
    assert garbage.status_code == 401
    assert await kept_events(tmp_path) == 0
    assert line.replies == []
    assert line_hub.state.line is not None and line_hub.state.line.refused == 3
    # ... and a signed one right after is still handled.
    assert (await line.webhook(url, line.follow(user))).status_code == 200
    await until(lambda: _replies(line, user))


async def test_a_replayed_event_is_kept_once_and_handled_once(
    line_hub: RunningHub, line: LocalLine, tmp_path: Path
) -> None:
    user = user_id()
    event = line.follow(user)
    url = line_hub.url + WEBHOOK
    assert (await line.webhook(url, event)).json() == {"kept": 1, "replayed": 0}
    await until(lambda: _replies(line, user))
    again = await line.webhook(url, event)  # LINE's redelivery, or someone's replay
    assert (again.status_code, again.json()) == (200, {"kept": 0, "replayed": 1})
    assert await kept_events(tmp_path) == 1
    # Another event after it is handled: the replay held nothing up.
    second = user_id()
    await line.webhook(url, line.follow(second))
    await until(lambda: _replies(line, second))
    assert len(line.replies_to(user)) == 1


async def test_an_oversized_or_malformed_body_is_refused_and_the_hub_goes_on(
    line_hub: RunningHub, line: LocalLine, tmp_path: Path
) -> None:
    url = line_hub.url + WEBHOOK
    async with line_hub.client() as client:
        big = b'{"events": [' + b'{"x": "' + b"a" * 300_000 + b'"}]}'
        answer = await client.post(WEBHOOK, content=big, headers={"x-line-signature": sign(big)})
        assert answer.status_code == 413
        for body in (b"not json at all", b'{"events": 5}', b"[1, 2]", b"\xff\xfe{}"):
            answer = await client.post(WEBHOOK, content=body,
                                       headers={"x-line-signature": sign(body)})  # fmt: skip
            assert answer.status_code == 400, body
        assert (await client.get("/healthz")).status_code == 200
    assert await kept_events(tmp_path) == 0
    user = user_id()
    assert (await line.webhook(url, line.follow(user))).status_code == 200
    await until(lambda: _replies(line, user))


async def test_an_event_that_cannot_be_handled_is_set_aside_and_the_next_is_handled(
    line_hub: RunningHub, line: LocalLine
) -> None:
    broken, fine = user_id(), user_id()
    bad = line.text(broken, "hello")
    del bad["message"]  # a message event without its message: LINE's SDK refuses it
    answer = await line.webhook(line_hub.url + WEBHOOK, bad, line.follow(fine))
    assert answer.json() == {"kept": 2, "replayed": 0}
    await until(lambda: _replies(line, fine))

    async def set_aside() -> list[object]:
        found = await line_hub.state.store.quarantined(10, failures_only=True)
        return [e for e in found if e.item.source == "line"]

    [entry] = await until(set_aside)
    assert bad["webhookEventId"] in entry.item.detail
    assert json.loads(entry.item.payload or b"")["webhookEventId"] == bad["webhookEventId"]
    assert line.replies_to(broken) == []
    async with line_hub.client() as client:
        health = (await client.get("/healthz")).json()
    assert health["line"]["events_set_aside"] == 1


async def test_without_a_line_account_the_webhook_does_not_exist(hub: RunningHub) -> None:
    async with hub.client() as client:
        body = b'{"events": []}'
        answer = await client.post(WEBHOOK, content=body, headers={"x-line-signature": sign(body)})
        assert answer.status_code == 404
        assert (await client.get("/healthz")).json()["line"] == {}
