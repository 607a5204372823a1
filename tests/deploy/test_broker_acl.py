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
from mimamori.hub.broker.accounts import hub_accounts
from mimamori.hub.config import load_hub_config
from mimamori.hub.ingest.loop import link_settings
from mimamori.mqtt import LinkSettings, Message, MqttLink
from mimamori.protocol.topics import events_topic, status_topic


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


def hub(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mimamori", "hub", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def password_line(passwd: Path, user: str) -> str:
    return next(line for line in passwd.read_text().splitlines() if line.startswith(f"{user}:"))


async def test_gateway_add_refuses_an_existing_id_unless_asked_to_renew(
    secured: tuple[Path, Path],
) -> None:
    config, root = secured
    passwd = root / "broker" / "passwd"
    first = add_gateway(config, "gw-a")
    before = password_line(passwd, "gw-a")

    again = hub(["gateway", "add", "--config", str(config), "gw-a"])
    assert again.returncode != 0
    assert "すでにあります" in again.stderr and "--renew" in again.stderr
    assert "already has a broker account; its password is unchanged" in again.stderr
    assert again.stdout == ""  # no password printed
    assert password_line(passwd, "gw-a") == before

    renewed = hub(["gateway", "add", "--config", str(config), "--renew", "gw-a"])
    assert renewed.returncode == 0, renewed.stderr
    assert "NEW password" in renewed.stdout
    second = next(line for line in renewed.stdout.splitlines() if not line.startswith("#"))
    assert second != first and password_line(passwd, "gw-a") != before
    with PrivateBroker(root / "mq", auth=(passwd, root / "broker/acl")) as broker:
        async with connected(broker.port, "gw-a", second):
            pass  # the new password works
        link = MqttLink(LinkSettings("127.0.0.1", broker.port, "old", "gw-a", first), name="old")
        task = asyncio.create_task(link.run())
        await asyncio.sleep(1.5)
        assert not link.connected.is_set()  # the old one does not
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def worker_config(root: Path, worker: str, port: int) -> Path:
    config = root / f"hub-{worker}.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "hub": {
                    "worker_id": worker,
                    "database": {"postgres": {"host": "127.0.0.1", "dbname": "mimamori",
                                              "user": "mimamori"}},
                    "broker": {"host": "127.0.0.1", "port": port, "username": "mimamori-hub",
                               "password_file": f"{worker}.password"},
                    "mosquitto": {"password_file": "broker/passwd", "acl_file": "broker/acl"},
                }
            }
        )
    )  # fmt: skip
    return config


async def test_hub_workers_each_connect_with_an_account_of_their_own_and_share_the_events(
    tmp_path: Path,
) -> None:
    """The broker binds each account to its client id: two workers on one account would
    throw each other out, so each has its own (``<username>-<worker_id>``)."""
    acl = tmp_path / "broker" / "acl"
    broker = PrivateBroker(tmp_path / "mq", auth=(tmp_path / "broker" / "passwd", acl))
    configs = {w: worker_config(tmp_path, w, broker.port) for w in ("w1", "w2")}
    for worker, config in configs.items():
        made = hub(["broker-account", "--config", str(config)])
        assert made.returncode == 0, made.stderr
        assert f"'mimamori-hub-{worker}'" in made.stdout
    twice = hub(["broker-account", "--config", str(configs["w1"])])
    assert twice.returncode != 0 and "--renew" in twice.stderr
    gw_password = add_gateway(configs["w2"], "gw-a")
    # a gateway can never be given a hub worker's name (and with it the hub's rights)
    taken = hub(["gateway", "add", "--config", str(configs["w2"]), "mimamori-hub-w1"])
    assert taken.returncode != 0 and "hub's own accounts" in taken.stderr
    assert hub_accounts(acl) == ["mimamori-hub-w1", "mimamori-hub-w2"]

    inboxes: dict[str, list[Message]] = {"w1": [], "w2": []}
    links = {}
    for worker, config in configs.items():
        settings = link_settings(load_hub_config(config).hub.broker, worker)
        assert settings.username == f"mimamori-hub-{worker}"
        links[worker] = MqttLink(settings, on_message=inboxes[worker].append, name=worker)
    with broker:
        tasks = [asyncio.create_task(link.run()) for link in links.values()]
        try:
            async with asyncio.timeout(10):
                for link in links.values():
                    await link.connected.wait()
            async with connected(broker.port, "gw-a", gw_password) as (gw, _):
                await gw.publish(status_topic("gw-a"), b'{"state": "online"}', retain=True)
                for n in range(20):
                    await gw.publish(events_topic("gw-a"), b'{"n": %d}' % n)

            def events(worker: str) -> list[bytes]:
                return [m.payload for m in inboxes[worker] if m.topic.endswith("/events")]

            def statuses(worker: str) -> list[bytes]:
                return [m.payload for m in inboxes[worker] if m.topic.endswith("/status")]

            async with asyncio.timeout(10):
                while len(events("w1")) + len(events("w2")) < 20 or not all(
                    statuses(w) for w in links
                ):
                    await asyncio.sleep(0.02)
            await asyncio.sleep(0.5)  # time for anything delivered twice to arrive
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    # each event to one worker of the group, each status to both; nobody thrown out
    assert sorted(events("w1") + events("w2")) == sorted(b'{"n": %d}' % n for n in range(20))
    assert events("w1") and events("w2")
    assert all(statuses(w) == [b'{"state": "online"}'] for w in links)
    assert [link.counters["connects"] for link in links.values()] == [1, 1]
