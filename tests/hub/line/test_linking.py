"""Linking a contact's LINE by a one-time code, on a real hub and the local LINE: the
right code binds and is confirmed in Japanese; a wrong, expired or used one binds
nothing and says why; guessing stops after a few tries; unfollowing unbinds."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from mimamori.cli import main
from mimamori.hub.line.codes import read_code, shown
from mimamori.hub.line.linking import MAX_FAILURES, issue_code
from mimamori.hub.model.line import LineBinding
from tests.hub.helpers import RunningHub, until
from tests.line_server import LocalLine, user_id

WEBHOOK = "/api/v1/line/webhook"
DAY = timedelta(days=1)


async def new_code(hub: RunningHub, recipient: str = "r-miyagi") -> str:
    return (await issue_code(hub.state.store, recipient, hub.clock(), DAY)).code


async def say(hub: RunningHub, line: LocalLine, user: str, text: str) -> str:
    """Send ``text`` from ``user``; the account's reply."""
    before = len(line.replies_to(user))
    assert (await line.webhook(hub.url + WEBHOOK, line.text(user, text))).status_code == 200

    async def replied() -> list[str]:
        found = line.replies_to(user)
        return found[before:]

    [reply] = await until(replied)
    return reply


async def bindings(hub: RunningHub) -> dict[str, LineBinding]:
    return {b.recipient_id: b for b in await hub.state.store.line_bindings()}


def test_a_code_is_read_as_people_type_it() -> None:
    assert read_code("12345678") == "12345678"
    assert read_code("１２３４ ５６７８") == "12345678"  # full-width digits and a space
    assert read_code("1234-5678\n") == "12345678"
    assert read_code("1234567") is None
    assert read_code("こんにちは") is None
    assert read_code("1" * 100) is None
    assert shown("12345678") == "1234 5678"


async def test_the_right_code_binds_the_line_user_and_is_confirmed(
    line_hub: RunningHub, line: LocalLine
) -> None:
    user = user_id()
    code = await new_code(line_hub)
    reply = await say(line_hub, line, user, shown(code))
    assert reply.startswith("登録しました") and "宮城 花子" in reply
    bound = (await bindings(line_hub))["r-miyagi"]
    assert (bound.line_user_id, bound.state) == (user, "bound")
    assert await line_hub.state.store.line_user_of("r-miyagi") == user


async def test_a_wrong_code_binds_nothing_and_says_so(
    line_hub: RunningHub, line: LocalLine
) -> None:
    user = user_id()
    code = await new_code(line_hub)
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    assert (await say(line_hub, line, user, wrong)).startswith("番号が違います")
    assert (await say(line_hub, line, user, "1234")).startswith("番号が違います")  # digits only
    assert await bindings(line_hub) == {}
    # Chat that is not a code is answered with how to link, and binds nothing either.
    assert "8けたの番号" in await say(line_hub, line, user, "こんにちは")
    assert await bindings(line_hub) == {}


async def test_an_expired_code_binds_nothing(line_hub: RunningHub, line: LocalLine) -> None:
    code = await new_code(line_hub)
    line_hub.clock.advance(DAY + timedelta(seconds=1))
    assert "有効期限が切れています" in await say(line_hub, line, user_id(), code)
    assert await bindings(line_hub) == {}


async def test_a_used_code_binds_nobody_else(line_hub: RunningHub, line: LocalLine) -> None:
    first, second = user_id(), user_id()
    code = await new_code(line_hub)
    assert (await say(line_hub, line, first, code)).startswith("登録しました")
    assert "すでに使われています" in await say(line_hub, line, second, code)
    assert (await bindings(line_hub))["r-miyagi"].line_user_id == first


async def test_a_newer_code_ends_the_older_one(line_hub: RunningHub, line: LocalLine) -> None:
    older = await new_code(line_hub)
    newer = await new_code(line_hub)
    user = user_id()
    assert (await say(line_hub, line, user, older)).startswith("番号が違います")
    assert (await say(line_hub, line, user, newer)).startswith("登録しました")


async def test_guessing_stops_after_a_few_wrong_codes(
    line_hub: RunningHub, line: LocalLine
) -> None:
    guesser = user_id()
    code = await new_code(line_hub)
    wrong = f"{(int(code) + 7) % 10**8:08d}"
    for _ in range(MAX_FAILURES):
        assert (await say(line_hub, line, guesser, wrong)).startswith("番号が違います")
    # Even the right code is not looked at now, from this LINE user ...
    assert "しばらく受け付けられません" in await say(line_hub, line, guesser, code)
    assert await bindings(line_hub) == {}
    # ... while another user is not held up, and the guesser may try again a day later.
    line_hub.clock.advance(DAY + timedelta(minutes=1))
    fresh = await new_code(line_hub)
    assert (await say(line_hub, line, guesser, fresh)).startswith("登録しました")


async def test_unfollowing_ends_the_binding_for_the_desk_to_see(
    line_hub: RunningHub, line: LocalLine
) -> None:
    user = user_id()
    await say(line_hub, line, user, await new_code(line_hub))
    assert (await line.webhook(line_hub.url + WEBHOOK, line.unfollow(user))).status_code == 200

    async def ended() -> bool:
        return (await bindings(line_hub))["r-miyagi"].state == "unfollowed"

    await until(ended)
    assert await line_hub.state.store.line_user_of("r-miyagi") is None
    assert await line_hub.state.store.line_bound(["r-miyagi"]) == set()


@pytest.mark.sqlite_only
async def test_the_commands_issue_a_code_that_binds_and_list_the_binding(
    line_hub: RunningHub, line: LocalLine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "hub.yaml"
    doc = line_hub.state.config.model_dump(mode="json", exclude_none=True)
    doc["hub"]["line"]["basic_id"] = "@mimamori"
    config.write_text(yaml.safe_dump(doc, allow_unicode=True))

    def hub(*args: str) -> int:  # a command runs its own event loop: in a thread of its own
        return main(["hub", "line", *args, "--config", str(config)])

    assert await asyncio.to_thread(hub, "link", "r-miyagi") == 0
    out = capsys.readouterr().out
    code = read_code(out.splitlines()[0].split("番号: ")[1].split("（")[0])
    assert code is not None
    assert f"https://line.me/R/oaMessage/%40mimamori/?{code}" in out
    user = user_id()
    assert (await say(line_hub, line, user, code)).startswith("登録しました")
    assert await asyncio.to_thread(hub, "list") == 0
    listed = capsys.readouterr().out
    assert listed.startswith("r-miyagi\tbound\t") and user[:7] in listed and user not in listed
    assert await asyncio.to_thread(hub, "link", "r-nobody") == 1
    assert "連絡先 'r-nobody' は登録されていません" in capsys.readouterr().err
