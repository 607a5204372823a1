"""LINE end to end with the real commands: a contact linked by the code that
``mimamori hub line link`` prints, an SOS whose LINE notice LINE refuses once (429), the
hub killed with SIGKILL while the notice waits for its retry, and started again: the
notice reaches the contact's LINE once (real processes, real broker, the local LINE)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.mqtt import LinkSettings, MqttLink
from mimamori.protocol import EventDraft, EventKind, encode_batch, format_ts, new_event_id
from tests.e2e.conftest import Processes, hub_file, link_code, wait_for_hub, with_line_account
from tests.line_server import LocalLine, local_line, user_id

pytestmark = pytest.mark.slow


async def _until(check: object, within: float) -> None:
    async with asyncio.timeout(within):
        while not check():  # type: ignore[operator]
            await asyncio.sleep(0.05)


async def _sos(broker: PrivateBroker) -> None:
    link = MqttLink(LinkSettings("127.0.0.1", broker.port, "e2e-gw-home"), name="gw")
    task = asyncio.create_task(link.run())
    await asyncio.wait_for(link.connected.wait(), 10)
    now = datetime.now(UTC)
    data = {"device": "door", "card": "sos", "next_due": format_ts(now)}
    event = EventDraft(EventKind.CHECKIN_SOS, now, data).numbered(new_event_id(), 1)
    await link.publish("mimamori/v1/gw/gw-home/events", encode_batch("gw-home", [event]))
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def _tried_once(db: Path) -> bool:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        row = conn.execute("SELECT state, attempts FROM notifications WHERE id = 1").fetchone()
    return row is not None and tuple(row) == ("pending", 1)


@pytest.mark.timeout(180)
async def test_a_line_notice_waiting_for_its_retry_survives_a_hub_kill(
    own_broker: PrivateBroker, procs: Processes, tmp_path: Path, http_port: int
) -> None:
    (tmp_path / "family.channels").write_text("")  # LINE is this contact's only channel
    line: LocalLine
    async with local_line() as line:
        config = hub_file(
            tmp_path,
            own_broker,
            http_port,
            gateways=[{"id": "gw-home", "name": "自宅", "lat": 26.2, "lon": 127.7, "site": "home"}],
            people=[],
            recipients=[{"id": "r-family", "name": "家族",
                         "channels_file": str(tmp_path / "family.channels")}],
            policies=[{"id": "default", "steps": [{"after_min": 0, "notify": ["r-family"]}]}],
            households=[{"id": "hh-1", "name": "宮城さん宅", "gateways": ["gw-home"]}],
            families=[{"id": "f-1", "name": "宮城家", "households": ["hh-1"]}],
        )  # fmt: skip
        with_line_account(config, line)
        hub = procs.start("hub", "hub", "--config", str(config))
        await asyncio.to_thread(wait_for_hub, http_port)

        user = user_id()
        webhook = f"http://127.0.0.1:{http_port}/api/v1/line/webhook"
        answer = await line.webhook(webhook, line.text(user, link_code(config, "r-family")))
        assert answer.status_code == 200, answer.text
        await _until(lambda: line.replies_to(user), 15)
        assert line.replies_to(user)[0].startswith("登録しました")

        line.push_answers = [429]  # LINE's rate limit: the notice waits 30 s for its retry
        await _sos(own_broker)
        # Once the refusal is recorded (a kill before that leaves the notice leased for
        # two minutes: sent then, still once).
        await _until(lambda: _tried_once(tmp_path / "hub.sqlite3"), 20)
        hub.send_signal(signal.SIGKILL)
        hub.wait()
        procs.running.pop("hub")
        assert line.pushes == []

        procs.start("hub", "hub", "--config", str(config))
        await _until(lambda: line.pushes, 60)  # the retry, 30 s after the refusal
        await asyncio.sleep(2)  # anything sent twice would show by now
        [push] = line.pushes
        assert push.to == user and "SOS" in push.text
        labels = [b["label"] for b in push.buttons()]
        assert labels == ["対応します", "行けない・次の人へ", "解決しました"]
