"""A gateway account that connects with somebody else's MQTT client id.

MQTT lets a new connection with a client id already in use take that session over:
the broker throws the first client out, hands the newcomer its subscriptions and
queue, and publishes the first client's last will. Issue 12 found that one gateway
account could so take the hub's session (the two then threw each other out every
second, and events of other gateways delivered to the session meanwhile never reached
the hub's store) or a home gateway's (the broker published its last will: a false
``home_offline`` alert).

The town's broker binds each account to its client id (``use_username_as_clientid``,
configs/mosquitto.conf). Here a real Mosquitto is set up that way, with accounts and
ACL from ``mimamori hub gateway add``, the real ``mimamori hub`` ingests, and gateway
``gw-pub-1`` connects again and again with the hub's client id and with the home
gateway's, while gateway ``gw-two`` publishes 40 events: all 40 must be stored, and
the home gateway must stay online with no alert.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.mqtt import LinkSettings, MqttLink, Will
from mimamori.protocol import EventDraft, EventKind, encode_batch, new_event_id
from mimamori.protocol.codec import encode_status
from mimamori.protocol.status import GatewayStatus
from mimamori.protocol.topics import events_topic, status_topic
from tests.e2e.conftest import TAG, Processes, hub_file
from tests.faults.conftest import Report
from tests.faults.site import wait_until
from tests.faults.tally import Outboxed, check, hub_events

pytestmark = pytest.mark.slow

HUB_CLIENT_ID = "mimamori-hub"  # hub.broker.client_id's default, as configs/hub.yaml has it
HOME = "gw-home"
HOME_CLIENT_ID = f"mimamori-gw-{HOME}"  # what `mimamori edge` connects with
EVENTS = 40  # as in the finding: 12 of 40 were lost
HOLD_S = 0.3  # how long each stolen connection is kept before the next attempt


def add_gateway(config: Path, gw: str) -> str:
    """``mimamori hub gateway add``: the gateway's password, printed once."""
    out = subprocess.run(
        [sys.executable, "-m", "mimamori", "hub", "gateway", "add", "--config", str(config), gw],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return next(line for line in out.stdout.splitlines() if line and not line.startswith("#"))


@contextlib.asynccontextmanager
async def connected(
    port: int, client_id: str, user: str, password: str, will: Will | None = None
) -> AsyncIterator[MqttLink]:
    settings = LinkSettings("127.0.0.1", port, client_id, user, password, will=will)
    link = MqttLink(settings, name=user)
    task = asyncio.create_task(link.run())
    try:
        await asyncio.wait_for(link.connected.wait(), 10)
        yield link
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


class Thief:
    """Gateway ``gw-pub-1``, connecting again and again with other clients' ids."""

    def __init__(self, port: int, password: str) -> None:
        self.port = port
        self.password = password
        self.connects = {HUB_CLIENT_ID: 0, HOME_CLIENT_ID: 0}

    async def run(self) -> None:
        while True:
            for client_id in self.connects:
                # As the hub connects: a persistent session, subscribed to every event.
                settings = LinkSettings(
                    "127.0.0.1", self.port, client_id, "gw-pub-1", self.password,
                    clean_start=False, session_expiry_s=3600, backoff_max_s=1,
                    subscriptions=(("mimamori/v1/gw/+/events", 1),),
                )  # fmt: skip
                link = MqttLink(settings, name="thief")
                task = asyncio.create_task(link.run())
                try:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(link.connected.wait(), 2)
                        self.connects[client_id] += 1
                        await asyncio.sleep(HOLD_S)
                finally:  # the thief's own cancellation leaves no connection behind
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)


def rows(db: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
        return list(conn.execute(sql, args).fetchall())


def home_online(db: Path) -> bool:
    sql = "SELECT 1 FROM gateways WHERE id = ? AND online = 1"
    try:
        return rows(db, sql, HOME) != []
    except sqlite3.OperationalError:  # the hub has not made its tables yet
        return False


async def test_a_gateway_using_another_clients_id_takes_over_no_session_and_no_will(
    tmp_path: Path, procs: Processes, http_port: int, report: Report
) -> None:
    broker = PrivateBroker(tmp_path / "mq", auth=(tmp_path / "mq.passwd", tmp_path / "mq.acl"))
    config = hub_file(
        tmp_path, broker, http_port,
        gateways=[
            {"id": "gw-two", "name": "市役所前 自販機", "lat": 26.2815, "lon": 127.7785},
            {"id": "gw-pub-1", "name": "大山 自販機", "lat": 26.2790, "lon": 127.7760},
            {"id": HOME, "name": "自宅", "lat": 26.2800, "lon": 127.7770, "site": "home"},
        ],
        households=[{"id": "hh-1", "name": "宮城さん宅", "gateways": [HOME]}],
    )  # fmt: skip
    doc = yaml.safe_load(config.read_text(encoding="utf-8"))
    doc["hub"]["broker"] |= {
        "client_id": HUB_CLIENT_ID,
        "username": "mimamori-hub",
        "password_file": "hub.password",
    }
    doc["hub"]["mosquitto"] = {"password_file": "mq.passwd", "acl_file": "mq.acl"}
    config.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    passwords = {gw: add_gateway(config, gw) for gw in ("gw-two", HOME, "gw-pub-1")}
    db = tmp_path / "hub.sqlite3"

    with broker:
        procs.start("hub", "hub", "--config", str(config))
        # The home gateway, as `mimamori edge` connects: its last will says offline.
        will = Will(status_topic(HOME), encode_status(GatewayStatus(gw=HOME, state="offline")))
        online = GatewayStatus(gw=HOME, state="online", ts=datetime.now(UTC), interval_s=600)
        async with (
            connected(broker.port, HOME_CLIENT_ID, HOME, passwords[HOME], will=will) as home,
            connected(broker.port, "mimamori-gw-gw-two", "gw-two", passwords["gw-two"]) as gw,
        ):
            await home.publish(status_topic(HOME), encode_status(online), retain=True)
            await wait_until(lambda: home_online(db), 30, "the hub to see the home online")

            thief = Thief(broker.port, passwords["gw-pub-1"])
            stealing = asyncio.create_task(thief.run())
            try:
                await asyncio.sleep(1.0)  # the thief is at work before the first event
                for seq in range(1, EVENTS + 1):  # one a tenth of a second, each acknowledged
                    data = {"tag": TAG, "receiver": "vm", "rssi": -60, "adverts": 1}
                    draft = EventDraft(EventKind.TAG_SEEN, datetime.now(UTC), data)
                    event = draft.numbered(new_event_id(), seq)
                    async with asyncio.timeout(10):  # a lost PUBACK fails here, not at 300 s
                        await gw.publish(events_topic("gw-two"), encode_batch("gw-two", [event]))
                    await asyncio.sleep(0.1)
                await asyncio.sleep(1.0)
            finally:
                stealing.cancel()
                await asyncio.gather(stealing, return_exceptions=True)

            # Everything the broker acknowledged to gw-two must reach the store. Without
            # the binding the hub's session lost some: wait a while, then count.
            with contextlib.suppress(AssertionError):
                await wait_until(lambda: len(hub_events(db, "gw-two")) >= EVENTS, 15, "events")
        tally = check(Outboxed(EVENTS, (), {}, "ok"), hub_events(db, "gw-two"), "gw-two")
        offline = rows(
            db, "SELECT data FROM events WHERE gateway_id = ? AND kind = 'gateway.offline'", HOME
        )
        alerts = rows(db, "SELECT kind, subject FROM alerts")
        assert procs.stop("hub") == 0, procs.log("hub")
    report.add(
        tally,
        f"gw-pub-1 connected {thief.connects[HUB_CLIENT_ID]} times with the hub's client id "
        f"and {thief.connects[HOME_CLIENT_ID]} times with {HOME}'s; "
        f"{HOME} offline events {len(offline)}, alerts {alerts}",
    )
    assert min(thief.connects.values()) >= 3, thief.connects  # the theft was tried
    tally.assert_exactly_once()
    assert offline == [], f"the broker published {HOME}'s last will: {offline}"
    assert alerts == []
