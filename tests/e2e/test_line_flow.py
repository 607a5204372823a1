"""Issue 17's "done when", end to end with the real commands: a family's contact and an
older person each link their LINE by the code ``mimamori hub line link`` prints (a
webhook message with the code); a tag carrier turns up outside her usual area (her
watch point's gateway publishes the sighting); the family's contact receives the
notice in the (local) LINE, taps 対応します (a signed postback webhook) and the alert's
timeline (API) shows it. Meanwhile the older person, who has no button, gets a LINE
check-in (set by ``mimamori hub import`` while the hub runs); she does not answer, and
the ladder runs as for a button: asked again (level 0), then the missed check-in alert
(level 1) reaches the family's LINE.

Real processes, real Mosquitto, the local LINE with the real SDK in the hub. Virtual
time cannot cross processes: the check-in is due seconds after it is set (the first
part runs meanwhile) and its ladder is seconds long.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.mqtt import LinkSettings, MqttLink
from mimamori.protocol import EventDraft, EventKind, encode_batch, new_event_id
from tests.e2e.conftest import (
    CONSENT,
    TAG,
    Processes,
    hub_file,
    import_register,
    link_code,
    poll_json,
    start_hub,
    with_line_account,
    write_yaml,
)
from tests.line_server import LocalLine, Sent, local_line, user_id

pytestmark = pytest.mark.slow
WEBHOOK = "/api/v1/line/webhook"
LEVEL_0_H, LEVEL_1_H = 0.001, 0.0025  # 3.6 s and 9 s after the due time (23 h by default)
# The check-in is due this long after the register names it: enough for the import
# (a process) and the hub's reload (about a second), or it would be due tomorrow.
DUE_AFTER = timedelta(seconds=15)


def register(tmp_path: Path) -> dict[str, Any]:
    for who in ("family", "self"):
        (tmp_path / f"{who}.channels").write_text("")  # LINE is their only channel
    family = {"id": "r-family", "name": "比嘉 太郎", "family": "f-1",
              "channels_file": str(tmp_path / "family.channels")}  # fmt: skip
    own = {"id": "r-self", "name": "宮城 カマ", "relation": "本人",
           "channels_file": str(tmp_path / "self.channels")}  # fmt: skip
    tsuru = {"id": "p-1", "name": "比嘉 ツル", "tags": [TAG], "consent": CONSENT,
             "usual_area": {"gateways": ["gw-one"]}}  # fmt: skip
    return {
        "recipients": [family, own],
        "policies": [{"id": "default", "steps": [{"after_min": 0, "notify": ["r-family"]}]}],
        "people": [tsuru, {"id": "p-2", "name": "宮城 カマ", "contacts": ["r-self"]}],
        "households": [{"id": "hh-2", "name": "宮城さん宅", "gateways": [], "people": ["p-2"]}],
        "families": [{"id": "f-1", "name": "比嘉家", "people": ["p-1"], "households": ["hh-2"]}],
    }


async def linked(line: LocalLine, base: str, config: Path, recipient: str) -> str:
    user = user_id()
    code = await asyncio.to_thread(link_code, config, recipient)
    assert (await line.webhook(base + WEBHOOK, line.text(user, code))).status_code == 200
    [reply] = await pushed_or_replied(lambda: line.replies_to(user), 1, 20)
    assert str(reply).startswith("登録しました"), reply
    return user


async def pushed_or_replied(found: Any, count: int, within: float) -> list[Any]:
    async with asyncio.timeout(within):
        while len(got := found()) < count:
            await asyncio.sleep(0.05)
    return list(got)


def pushes_to(line: LocalLine, user: str) -> list[Sent]:
    return [p for p in line.pushes if p.to == user]


def checkin_due_soon(tmp_path: Path) -> tuple[Path, datetime]:
    """The register again, with 宮城 カマ's LINE check-in due in ``DUE_AFTER`` (a
    schedule's time may name its seconds)."""
    due = (datetime.now(UTC) + DUE_AFTER).replace(microsecond=0)
    tokyo = due.astimezone(ZoneInfo("Asia/Tokyo"))
    doc = yaml.safe_load((tmp_path / "register.yaml").read_text(encoding="utf-8"))
    doc["people"][1]["line_checkin"] = {
        "schedule": {"by": f"{tokyo:%H:%M:%S}", "grace_min": 0},
        "ladder": [{"after_h": LEVEL_0_H, "level": 0}, {"after_h": LEVEL_1_H, "level": 1}],
    }
    return write_yaml(tmp_path / "register-checkin.yaml", doc), due


async def tag_outside_the_usual_area(broker: PrivateBroker) -> None:
    """gw-two's sighting of the tag, as the edge daemon publishes it."""
    link = MqttLink(LinkSettings("127.0.0.1", broker.port, "e2e-gw-two"), name="gw-two")
    task = asyncio.create_task(link.run())
    await asyncio.wait_for(link.connected.wait(), 10)
    draft = EventDraft(EventKind.TAG_ARRIVED, datetime.now(UTC),
                       {"tag": TAG, "receiver": "vm", "rssi": -70})  # fmt: skip
    event = draft.numbered(new_event_id(), 1)
    await link.publish("mimamori/v1/gw/gw-two/events", encode_batch("gw-two", [event]))
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


@pytest.mark.timeout(240)
async def test_line_linking_a_notice_answered_in_line_and_a_missed_line_checkin(
    own_broker: PrivateBroker, procs: Processes, tmp_path: Path, http_port: int
) -> None:
    base = f"http://127.0.0.1:{http_port}"
    async with local_line() as line:
        config = hub_file(tmp_path, own_broker, http_port, **register(tmp_path))
        with_line_account(config, line)
        token = await asyncio.to_thread(start_hub, procs, config, http_port)
        kama = await linked(line, base, config, "r-self")
        checkin_register, due = checkin_due_soon(tmp_path)
        await asyncio.to_thread(import_register, config, checkin_register)
        family = await linked(line, base, config, "r-family")

        # A tag carrier turns up outside her usual area: the family hears it in LINE.
        await tag_outside_the_usual_area(own_broker)
        [notice] = await pushed_or_replied(lambda: pushes_to(line, family), 1, 30)
        assert "比嘉 ツル" in notice.text
        ack = next(b for b in notice.buttons() if b["label"] == "対応します")
        tapped = await line.webhook(base + WEBHOOK, line.postback(family, ack["data"]))
        assert tapped.status_code == 200
        replies = await pushed_or_replied(lambda: line.replies_to(family), 2, 20)
        assert replies[-1].startswith("「対応します」を受け付けました")

        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=10) as api:
            alerts = await poll_json(api, "/api/v1/alerts", lambda b: len(b) == 1, 10)
            assert (alerts[0]["kind"], alerts[0]["subject"]) == ("outside_area", "person:p-1")
            timeline = await poll_json(
                api, f"/api/v1/alerts/{alerts[0]['id']}/timeline",
                lambda b: any(e["what"] == "answer" for e in b), 10,
            )  # fmt: skip
            answer = next(e for e in timeline if e["what"] == "answer")
            assert answer["who"] == "比嘉 太郎" and answer["note"] == "LINE: 対応します"
            assert answer["detail"] == "handling", answer
            held = await poll_json(api, "/api/v1/alerts", lambda b: b[0]["state"] != "open", 10)
            assert held[0]["state"] == "acknowledged"

            # 宮城 カマ is asked at the due time, again at level 0, and her silence
            # opens the missed check-in alert for her household at level 1.
            wait_s = (due - datetime.now(UTC)).total_seconds() + LEVEL_1_H * 3600 + 20
            asked = await pushed_or_replied(lambda: pushes_to(line, kama), 2, wait_s)
            assert asked[0].text.startswith("元気ですか？") and "もう一度" in asked[1].text
            assert [b["label"] for b in asked[1].buttons()] == ["元気だよ", "相談したい"]
            missed = await poll_json(
                api, "/api/v1/alerts",
                lambda b: any(a["kind"] == "checkin_missed" for a in b), 30,
            )  # fmt: skip
            alert = next(a for a in missed if a["kind"] == "checkin_missed")
            assert alert["subject"] == "household:hh-2"
            home = (await api.get("/api/v1/households/hh-2")).json()
            assert home["state"] == "missed"
        told = await pushed_or_replied(lambda: pushes_to(line, family), 2, 20)
        assert "宮城さん宅" in told[1].text or "宮城 カマ" in told[1].text
        assert next(b["label"] for b in told[1].buttons()) == "対応します"

        exits = procs.stop_all()
    assert exits == {"hub": 0}, exits
    assert "Traceback" not in procs.log("hub")
