"""A gateway's config from the desk over HTTP (issue 20), on both engines: a YAML with
problems comes back as typed with each problem at LINE:COL and nothing is kept or
sent; a good one is kept as the next version, audited, and sent on that gateway's
``cmd`` topic; the gateway's ``config.result`` shows in the history; staff see their
areas' gateways only, and the fleet page links to the editor."""

from __future__ import annotations

import asyncio
import html
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.protocol import EventKind
from mimamori.protocol.commands import ConfigCommand, decode_command
from mimamori.protocol.topics import command_topic
from tests.edge.helpers import Listener
from tests.hub.access.test_areas import NORTH, SOUTH, two_areas
from tests.hub.helpers import RunningHub, publishing_gateway, query, running_hub, until

ROUTE = "/desk/fleet/gw-a/config"


def gateway_yaml(gw: str = "gw-a", port: str = "/dev/mimamori-receiver") -> str:
    doc: dict[str, Any] = {
        "gateway": {"id": gw, "name": "普天間 自販機", "site": "vending", "lat": 26.28,
                    "lon": 127.78},
        "broker": {"host": "mqtt.example-town.jp", "username": gw,
                   "password_file": "broker.password"},
        "receivers": [{"id": "vm", "driver": "serial_line", "port": port}],
        "tags": {"allow": ["ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:*"]},
        "data_dir": "/var/lib/mimamori",
    }  # fmt: skip
    return "# gw-a\n" + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


@asynccontextmanager
async def commands_to(broker: PrivateBroker, gw: str) -> AsyncIterator[Listener]:
    """What the hub sends on the gateway's cmd topic, as the gateway would hear it."""
    listener = Listener(broker.port, command_topic(gw), f"listener-{gw}-cmd")
    task = asyncio.create_task(listener.link.run())
    try:
        await asyncio.wait_for(listener.link.connected.wait(), 10)
        yield listener
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def post(hub: RunningHub, token: str, text: str, route: str = ROUTE) -> httpx.Response:
    async with hub.client(token) as client:
        return await client.post(route, data={"yaml": text}, headers={"Origin": hub.url})


async def test_a_bad_config_is_refused_with_its_place_and_a_good_one_is_kept_and_sent(
    broker: PrivateBroker, tmp_path: Path
) -> None:
    async with (
        running_hub(broker, tmp_path, two_areas) as hub,
        commands_to(broker, "gw-a") as listener,
    ):
        admin = await hub.account("root", "admin")
        async with hub.client(admin) as client:
            empty = await client.get(ROUTE)
        assert empty.status_code == 200 and 'id="config-empty"' in empty.text

        # 1. a port out of range, with CRLF as a browser sends a text area
        bad = gateway_yaml().replace("username: gw-a", "username: gw-a\n  port: 99999")
        refused = await post(hub, admin, bad.replace("\n", "\r\n"))
        assert refused.status_code == 422
        problems = refused.text[refused.text.index('id="config-problems"') :]
        line = bad.splitlines().index("  port: 99999") + 1
        assert f"<code>{line}:3</code> broker.port:" in problems  # as `mimamori check` says
        assert html.escape("port: 99999", quote=False) in refused.text  # kept as typed
        # 2. another gateway's file
        theirs = await post(hub, admin, gateway_yaml("gw-b"))
        assert theirs.status_code == 422 and "gateway.id: this is the file of gw-a" in (theirs.text)
        # 3. not YAML at all
        broken = await post(hub, admin, "gateway: [\n")
        assert broken.status_code == 422 and "<code>2:1</code> (syntax)" in broken.text
        assert await query(tmp_path, "SELECT count(*) FROM gateway_configs") == [(0,)]
        assert listener.messages == []  # nothing was sent

        good = gateway_yaml()
        saved = await post(hub, admin, good)
        assert saved.status_code == 200 and 'data-sent="yes"' in saved.text
        await listener.wait_for(lambda: listener.messages)
        [message] = listener.messages
        command = decode_command(message.payload)
        assert isinstance(command, ConfigCommand)
        assert (command.version, command.yaml) == (1, good)
        rows = await query(tmp_path, "SELECT version, state FROM gateway_configs")
        assert rows == [(1, "sent")]
        audit = await query(
            tmp_path, "SELECT action, subject FROM audit WHERE action = 'gateway.config'"
        )
        assert audit == [("gateway.config", "gateway:gw-a")]

        # the gateway answers: the history says so
        async with publishing_gateway(broker, "gw-a") as gateway:
            await gateway.event(EventKind.CONFIG_RESULT, version=1, sha256=command.sha256,
                                    result="rolled_back", reason="vm: down (no such port)",
                                    config_hash="0123456789ab")  # fmt: skip

        async def answered() -> bool:
            rows = await query(tmp_path, "SELECT state FROM gateway_configs")
            return rows == [("rolled_back",)]

        await until(answered)
        async with hub.client(admin) as client:
            page = await client.get(ROUTE)
            fleet = await client.get("/desk/fleet")
        assert 'data-state="rolled_back"' in page.text
        assert "vm: down (no such port)" in page.text and "0123456789ab" in page.text
        assert good in html.unescape(page.text)  # the editor opens on the last version
        assert f'href="{ROUTE}"' in fleet.text


async def test_staff_edit_their_areas_gateways_only_and_families_not_at_all(
    broker: PrivateBroker, tmp_path: Path
) -> None:
    async with running_hub(broker, tmp_path, two_areas) as hub:
        north = await hub.account("kinjo", "staff", areas=(NORTH,))
        south = await hub.account("miyagi", "staff", areas=(SOUTH,))
        family = await hub.token("family", "f-miyagi")
        assert (await post(hub, south, gateway_yaml())).status_code == 404
        async with hub.client(south) as client:
            assert (await client.get(ROUTE)).status_code == 404
        assert (await post(hub, family, gateway_yaml())).status_code == 403
        assert await query(tmp_path, "SELECT count(*) FROM gateway_configs") == [(0,)]
        ok = await post(hub, north, gateway_yaml())
        assert ok.status_code == 200
        [(by,)] = await query(tmp_path, "SELECT created_by FROM gateway_configs")
        assert "kinjo" in by


async def test_a_config_saved_while_the_broker_is_away_is_kept_and_said_not_sent(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path) as hub:
        admin = await hub.account("root", "admin")
        assert hub.state.ingest is not None
        own_broker.stop()
        await asyncio.wait_for(hub.state.ingest.link.disconnected.wait(), 10)
        kept = await post(hub, admin, gateway_yaml())
        assert kept.status_code == 200 and 'data-sent="no"' in kept.text
        assert "送れませんでした" in kept.text
        assert await query(tmp_path, "SELECT version, state FROM gateway_configs") == [
            (1, "proposed")
        ]
        own_broker.start()  # back for the fixture, which stops it
