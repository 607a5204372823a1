"""The hub killed with SIGKILL in the middle of an escalation, then started again:
no step is lost and none is sent twice (real processes, real broker, real webhook)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sqlite3
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.mqtt import LinkSettings, MqttLink
from mimamori.protocol import EventDraft, EventKind, encode_batch, format_ts, new_event_id
from tests.e2e.conftest import Processes, hub_file, wait_for_hub
from tests.hub.receivers import webhook

pytestmark = pytest.mark.slow


async def test_a_hub_killed_mid_escalation_neither_skips_nor_repeats_a_step(
    own_broker: PrivateBroker, procs: Processes, tmp_path: Path, http_port: int
) -> None:
    async with webhook() as hook:
        for who in ("family", "volunteer"):
            (tmp_path / f"{who}.channels").write_text(hook.url + "\n")
        config = hub_file(
            tmp_path,
            own_broker,
            http_port,
            gateways=[{"id": "gw-home", "name": "自宅", "lat": 26.2, "lon": 127.7, "site": "home"}],
            people=[],
            recipients=[
                {"id": "r-family", "name": "家族",
                 "channels_file": str(tmp_path / "family.channels")},
                {"id": "r-volunteer", "name": "民生委員",
                 "channels_file": str(tmp_path / "volunteer.channels")},
            ],
            # The volunteer is told 6 s after the family: the hub is dead by then.
            policies=[{"id": "default", "steps": [
                {"after_min": 0, "notify": ["r-family"]},
                {"after_min": 0.1, "notify": ["r-volunteer"]},
            ]}],
            households=[{"id": "hh-1", "name": "宮城さん宅", "gateways": ["gw-home"]}],
            families=[{"id": "f-1", "name": "宮城家", "households": ["hh-1"]}],
        )  # fmt: skip
        hub = procs.start("hub", "hub", "--config", str(config))
        await asyncio.to_thread(wait_for_hub, http_port)
        link = MqttLink(LinkSettings("127.0.0.1", own_broker.port, "e2e-gw-home"), name="gw")
        task = asyncio.create_task(link.run())
        await asyncio.wait_for(link.connected.wait(), 10)
        now = datetime.now(UTC)
        data = {"device": "door", "card": "sos", "next_due": format_ts(now)}
        event = EventDraft(EventKind.CHECKIN_SOS, now, data).numbered(new_event_id(), 1)
        await link.publish("mimamori/v1/gw/gw-home/events", encode_batch("gw-home", [event]))
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

        # Once the family's notification is sent and recorded (a kill between the two
        # sends it again, with the same dedupe key: at least once, by design).
        async with asyncio.timeout(15):
            while not (hook.requests and _recorded(tmp_path / "hub.sqlite3")):
                await asyncio.sleep(0.05)
        hub.send_signal(signal.SIGKILL)  # mid-escalation: the volunteer's step is pending
        hub.wait()
        procs.running.pop("hub")
        await asyncio.sleep(7)  # the volunteer's step falls due while the hub is dead
        assert len(hook.requests) == 1

        procs.start("hub", "hub", "--config", str(config))
        await asyncio.to_thread(wait_for_hub, http_port)
        async with asyncio.timeout(20):
            while len(hook.requests) < 2:
                await asyncio.sleep(0.05)
        await asyncio.sleep(3)  # anything sent twice would show by now
        keys = Counter(headers["x-mimamori-dedupe-key"] for headers, _ in hook.requests)
    assert keys == {
        "alert-1-step-0-round-0-r-family-0": 1,
        "alert-1-step-1-round-0-r-volunteer-0": 1,
    }
    assert "SOS" in hook.requests[1][1]["title"]


def _recorded(db: Path) -> bool:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        row = conn.execute("SELECT state FROM notifications WHERE id = 1").fetchone()
    return row is not None and row[0] == "sent"
