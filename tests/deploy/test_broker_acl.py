"""Per-gateway broker accounts against a real Mosquitto: a gateway writes only its own
topics and reads only its commands and the searches; strangers cannot connect."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.errors import BrokerError
from mimamori.link import LinkSettings, Message, MqttLink


def add_gateway(config: Path, gw: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "mimamori", "hub", "gateway", "add", "--config", str(config), gw],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    lines = [line for line in out.stdout.splitlines() if line and not line.startswith("#")]
    assert f"  username: {gw}" in lines
    return lines[0]  # the password, printed once


@pytest.fixture
def secured(tmp_path: Path) -> tuple[Path, Path]:
    config = tmp_path / "hub.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "hub": {
                    "database": {"path": "hub.sqlite3"},
                    "broker": {"host": "127.0.0.1", "username": "mimamori-hub",
                               "password_file": "hub.password"},
                    "mosquitto": {"password_file": "broker/passwd", "acl_file": "broker/acl"},
                }
            }
        )
    )  # fmt: skip
    return config, tmp_path


@asynccontextmanager
async def connected(port: int, user: str, password: str, *subs: str) -> AsyncIterator[Any]:
    inbox: list[Message] = []
    link = MqttLink(
        LinkSettings("127.0.0.1", port, f"c-{user}", user, password,
                     subscriptions=tuple((s, 1) for s in subs)),
        on_message=inbox.append,
        name=user,
    )  # fmt: skip
    task = asyncio.create_task(link.run())
    try:
        await asyncio.wait_for(link.connected.wait(), 10)
        yield link, inbox
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_each_gateway_writes_only_its_own_topics(secured: tuple[Path, Path]) -> None:
    config, root = secured
    a, b = add_gateway(config, "gw-a"), add_gateway(config, "gw-b")
    hub_password = (root / "hub.password").read_text().strip()
    assert (root / "broker" / "passwd").stat().st_mode & 0o077 == 0  # owner only
    broker = PrivateBroker(root / "mq", auth=(root / "broker/passwd", root / "broker/acl"))
    with broker:
        port = broker.port
        async with (
            connected(port, "mimamori-hub", hub_password, "mimamori/v1/gw/+/events") as (_, hub),
            connected(port, "gw-a", a, "mimamori/v1/gw/gw-b/events") as (gw_a, spy),
            connected(port, "gw-b", b) as (gw_b, _b),
        ):
            await gw_a.publish("mimamori/v1/gw/gw-a/events", b'{"own": true}')
            with pytest.raises(BrokerError, match=r"[Nn]ot authori[sz]ed"):
                await gw_a.publish("mimamori/v1/gw/gw-b/events", b'{"forged": true}')
            await gw_b.publish("mimamori/v1/gw/gw-b/events", b'{"secret": "b"}')
            async with asyncio.timeout(5):
                while len(hub) < 2:
                    await asyncio.sleep(0.02)
            await asyncio.sleep(0.5)  # time for anything that leaks to arrive
    assert sorted(m.payload for m in hub) == [b'{"own": true}', b'{"secret": "b"}']
    assert spy == []  # gw-a never sees gw-b's events


async def test_strangers_and_wrong_passwords_cannot_connect(secured: tuple[Path, Path]) -> None:
    config, root = secured
    add_gateway(config, "gw-a")
    broker = PrivateBroker(root / "mq", auth=(root / "broker/passwd", root / "broker/acl"))
    with broker:
        for user, password in (("gw-a", "wrong"), ("nobody", "x"), (None, None)):
            link = MqttLink(
                LinkSettings("127.0.0.1", broker.port, "stranger", user, password),
                name="stranger",
            )
            task = asyncio.create_task(link.run())
            await asyncio.sleep(1.5)
            assert not link.connected.is_set(), user
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
