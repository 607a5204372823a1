"""Alert notices through LINE, on a real hub, its durable queue and the local LINE:
a bound contact gets the push with the acknowledge link and a 対応します button; the
button acknowledges for that contact only; LINE's 429 and 5xx are retried; a refusal
for the month's allowance, or LINE staying down, sends the notice to the contact's
other channels; nothing is dropped."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.line.linking import issue_code, redeem
from mimamori.hub.model.alerts import LINE_CHANNEL
from tests.hub.helpers import (
    Gateway,
    RunningHub,
    open_alert,
    query,
    running_hub,
    set_channels,
    until,
)
from tests.hub.line.conftest import with_line
from tests.hub.receivers import Hook, webhook
from tests.line_server import LocalLine, Sent, user_id

WEBHOOK = "/api/v1/line/webhook"


async def bind(hub: RunningHub, recipient: str = "r-miyagi") -> str:
    """A LINE user bound to ``recipient`` (as sending the desk's code does)."""
    user = user_id()
    code = await issue_code(hub.state.store, recipient, hub.clock(), timedelta(hours=1))
    assert (await redeem(hub.state.store, code.code, user, hub.clock())).outcome == "bound"
    return user


async def pushed(line: LocalLine, count: int = 1) -> list[Sent]:
    async def enough() -> list[Sent]:
        return line.pushes if len(line.pushes) >= count else []

    return list(await until(enough))


async def notifications(hub: RunningHub) -> list[dict[str, object]]:
    return await hub.state.store.notification_log()


async def test_a_bound_contact_gets_the_alert_in_line_and_its_button_acknowledges(
    line_hub: RunningHub, line: LocalLine, home_gateway: Gateway
) -> None:
    user = await bind(line_hub)
    alert_id = await open_alert(line_hub, home_gateway)
    [push] = await pushed(line)
    assert push.to == user
    assert "宮城さん宅" in push.text and "/ack?token=" in push.text
    button, _decline, _resolve = push.buttons()
    assert (button["type"], button["label"]) == ("postback", "対応します")
    assert button["data"].startswith("ack:")
    assert push.retry_key is not None  # a push retried after a lost answer is shown once
    [n] = await until(lambda: _sent(line_hub))
    assert n["channel"] == LINE_CHANNEL

    tapped = line.postback(user, button["data"])
    assert (await line.webhook(line_hub.url + WEBHOOK, tapped)).status_code == 200
    [reply] = await until(lambda: _replies(line, user))
    assert reply.startswith("「対応します」を受け付けました")
    alert = await line_hub.state.store.alert(alert_id)
    assert alert is not None
    assert (alert.state, alert.acked_by, alert.ack_note) == (
        "acknowledged",
        "宮城 花子",
        "LINE: 対応します",
    )
    audit = await line_hub.state.store.audit_log(line_hub.clock() - timedelta(hours=1), 10)
    assert any(e.action == "alert.ack" and e.role == "line" for e in audit)


async def test_line_offers_the_one_tap_pages_answers_and_cant_go_tells_the_next_step_at_once(
    line_hub: RunningHub, line: LocalLine, home_gateway: Gateway
) -> None:
    user = await bind(line_hub)
    alert_id = await open_alert(line_hub, home_gateway)
    [push] = await pushed(line)
    handling, decline, resolve = push.buttons()
    assert [b["label"] for b in (handling, decline, resolve)] == [
        "対応します",
        "行けない・次の人へ",
        "解決しました",
    ]
    assert decline["type"] == "postback" and decline["data"].startswith("decline:")
    # 解決しました needs what happened: it opens the one-tap page of this alert and contact.
    assert resolve["type"] == "uri" and "/ack?token=" in resolve["uri"]
    async with line_hub.client() as browser:
        page = await browser.get("/ack?" + resolve["uri"].split("?", 1)[1])
    assert page.status_code == 200 and "宮城さん宅" in page.text and 'value="resolve"' in page.text

    tapped = line.postback(user, decline["data"])
    assert (await line.webhook(line_hub.url + WEBHOOK, tapped)).status_code == 200
    [reply] = await until(lambda: _replies(line, user))
    assert reply.startswith("「行けない」を受け付けました")
    # The policy's only step is asked again at once (no step left after it), no clock moved.
    await pushed(line, 2)
    timeline = await line_hub.state.store.alert_timeline(alert_id)
    answers = [(e.who, e.detail, e.note) for e in timeline if e.what == "answer"]
    assert answers == [("宮城 花子", "decline", "LINE: 行けない・次の人へ")]
    alert = await line_hub.state.store.alert(alert_id)
    assert alert is not None and alert.state == "open"


async def test_lines_handling_pauses_for_the_alerts_policy_as_the_one_tap_page_does(
    own_broker: PrivateBroker, tmp_path: Path, line: LocalLine, home_gateway: Gateway
) -> None:
    """Not a fixed two hours: the policy's ``handling_timeout_min`` (45 min here)."""
    add_line = with_line(tmp_path, line)

    def edit(doc: dict[str, Any]) -> None:
        add_line(doc)
        doc["policies"][0]["handling_timeout_min"] = 45

    async with running_hub(own_broker, tmp_path, edit) as hub:
        user = await bind(hub)
        alert_id = await open_alert(hub, home_gateway)
        [push] = await pushed(line)
        tapped = line.postback(user, push.buttons()[0]["data"])
        assert (await line.webhook(hub.url + WEBHOOK, tapped)).status_code == 200
        await until(lambda: _replies(line, user))
        alert = await hub.state.store.alert(alert_id)
    assert alert is not None and alert.acked_at is not None
    assert alert.handling_until == alert.acked_at + timedelta(minutes=45)


async def _replies(line: LocalLine, user: str) -> list[str]:
    return line.replies_to(user)


async def test_the_same_button_from_another_line_user_does_nothing(
    line_hub: RunningHub, line: LocalLine, home_gateway: Gateway, tmp_path: Path
) -> None:
    await bind(line_hub)
    alert_id = await open_alert(line_hub, home_gateway)
    [push] = await pushed(line)
    button = push.buttons()[0]
    stranger = user_id()  # a forwarded screenshot, a replayed request: not the contact
    forged = line.postback(stranger, button["data"])
    assert (await line.webhook(line_hub.url + WEBHOOK, forged)).status_code == 200
    [reply] = await until(lambda: _replies(line, stranger))
    assert "通知を受け取った方だけ" in reply
    alert = await line_hub.state.store.alert(alert_id)
    assert alert is not None and alert.state == "open"
    # A postback that is none of ours, or a token altered by one letter, does nothing too.
    altered = button["data"][:-1] + ("A" if button["data"][-1] != "A" else "B")
    for data in ("richmenu:open", altered):
        await line.webhook(line_hub.url + WEBHOOK, line.postback(stranger, data))
    await until(lambda: _handled(tmp_path, 3))
    alert = await line_hub.state.store.alert(alert_id)
    assert alert is not None and alert.state == "open"


async def _handled(tmp_path: Path, count: int) -> bool:
    rows = await query(tmp_path, "SELECT count(*) FROM line_events WHERE state = 'done'")
    return int(rows[0][0]) >= count


async def test_a_rate_limited_push_is_retried_with_backoff_and_delivered_once(
    line_hub: RunningHub, line: LocalLine, home_gateway: Gateway
) -> None:
    await bind(line_hub)
    line.push_answers = [429]
    await open_alert(line_hub, home_gateway)

    async def refused_once() -> list[dict[str, object]]:
        found = await notifications(line_hub)
        return found if found and found[0]["attempts"] == 1 else []

    [n] = await until(refused_once)
    assert n["state"] == "pending" and "429" in str(n["last_error"])
    assert line.pushes == []
    line_hub.clock.advance(timedelta(seconds=31))  # the queue's first backoff is 30 s
    await pushed(line)
    [n] = await until(lambda: _sent(line_hub))
    assert (n["attempts"], line.refused_pushes, len(line.pushes)) == (2, 1, 1)


async def _sent(hub: RunningHub) -> list[dict[str, object]]:
    return [n for n in await notifications(hub) if n["state"] == "sent"]


async def test_a_refusal_for_the_months_allowance_goes_to_the_other_channels(
    line_hub: RunningHub, line: LocalLine, home_gateway: Gateway, tmp_path: Path
) -> None:
    async with webhook() as hook:
        await set_channels(line_hub.state.register, "r-miyagi", hook.url)
        await bind(line_hub)
        line.push_answers = ["quota"]
        await open_alert(line_hub, home_gateway)
        [(_, body)] = await until(lambda: _hooked(hook))
        assert "宮城さん宅" in body["title"] and "/ack?token=" in body["message"]
    [fallback] = await until(lambda: _sent(line_hub))
    assert fallback["channel"] == 0
    by_channel = {n["channel"]: n for n in await notifications(line_hub)}
    assert by_channel[LINE_CHANNEL]["state"] == "failed"  # no retry helps until next month
    assert "monthly limit" in str(by_channel[LINE_CHANNEL]["last_error"])
    assert line.pushes == []
    async with line_hub.client() as client:
        health = (await client.get("/healthz")).json()
    assert health["line"]["quota_refusals"] == 1


async def _hooked(hook: Hook) -> list[object]:
    return list(hook.requests)


async def test_line_staying_down_sends_the_notice_to_the_other_channels_too(
    line_hub: RunningHub, line: LocalLine, home_gateway: Gateway, tmp_path: Path
) -> None:
    async with webhook() as hook:
        await set_channels(line_hub.state.register, "r-miyagi", hook.url)
        await bind(line_hub)
        line.push_answers = [500, 503, 502]
        await open_alert(line_hub, home_gateway)
        for tries in (1, 2):  # the second and third tries, after 30 s and 1 min
            await until(lambda: _attempts(line_hub, tries))  # noqa: B023 (awaited at once)
            line_hub.clock.advance(timedelta(seconds=61))
        await until(lambda: _hooked(hook))  # after the third failure: the other channel
        assert line.refused_pushes == 3
        line_hub.clock.advance(timedelta(minutes=3))
        assert len(await pushed(line)) == 1  # ... and LINE, once it is back
        assert len(hook.requests) == 1


async def _attempts(hub: RunningHub, tries: int) -> bool:
    """The LINE notice has been tried ``tries`` times."""
    line_notices = [n for n in await notifications(hub) if n["channel"] == LINE_CHANNEL]
    return bool(line_notices) and line_notices[0]["attempts"] == tries


async def test_a_notice_for_a_contact_who_unfollowed_meanwhile_goes_to_the_other_channels(
    line_hub: RunningHub, line: LocalLine, home_gateway: Gateway, tmp_path: Path
) -> None:
    async with webhook() as hook:
        await set_channels(line_hub.state.register, "r-miyagi", hook.url)
        user = await bind(line_hub)
        line.push_answers = [429]  # the first try fails; the user leaves before the second
        await open_alert(line_hub, home_gateway)
        await until(lambda: _attempts(line_hub, 1))
        await line_hub.state.store.unbind_line_user(user, line_hub.clock())
        line_hub.clock.advance(timedelta(seconds=31))
        await until(lambda: _hooked(hook))
    assert line.pushes == []


async def test_an_unbound_contact_hears_on_the_channels_file_as_before(
    line_hub: RunningHub, line: LocalLine, home_gateway: Gateway, tmp_path: Path
) -> None:
    async with webhook() as hook:
        await set_channels(line_hub.state.register, "r-miyagi", hook.url)
        await open_alert(line_hub, home_gateway)
        await until(lambda: _hooked(hook))
    assert line.pushes == []
    assert [n["channel"] for n in await notifications(line_hub)] == [0]
