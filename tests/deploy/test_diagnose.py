"""``mimamori edge diagnose``: what support needs from a gateway, and nothing a
stranger in the support chat should see (secrets, tag ids, device addresses)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import yaml

from mimamori.demo.mosquitto import BrokerTls, PrivateBroker
from mimamori.edge.clock import SystemClock
from mimamori.edge.config import load_gateway_config
from mimamori.edge.daemon import EdgeDaemon
from mimamori.edge.outbox import Outbox
from mimamori.hub.broker.pki import make_ca, make_client, make_server
from tests.edge.helpers import TOWN, ScriptedReceiver, eventually, tag_id

BIND_KEY = "00112233445566778899aabbccddeeff"
BUTTON_MAC = "A4:C1:38:0D:1E:2F"


def diagnose(config: Path) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "mimamori", "edge", "diagnose", "--config", str(config)],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return out.stdout


def private(path: Path, text: str) -> Path:
    path.write_text(text + "\n")
    path.chmod(0o600)
    return path


async def test_the_dump_tells_support_what_it_needs_and_redacts_the_rest(tmp_path: Path) -> None:
    password = "correct-horse-battery-staple-42"
    private(tmp_path / "broker.password", password)
    private(tmp_path / "button.key", BIND_KEY.upper())
    pki = tmp_path / "pki"
    make_ca(pki)
    server, client = make_server(pki, ["127.0.0.1"]), make_client(pki, "gw-diag")
    broker = PrivateBroker(tmp_path / "mq", tls=BrokerTls(pki / "ca.crt", server.cert, server.key))
    doc = {
        "gateway": {"id": "gw-diag", "name": "診断 自販機", "lat": 26.28, "lon": 127.78},
        "broker": {
            "host": "127.0.0.1",
            "port": broker.port,  # nothing listens yet: events wait in the outbox
            "keepalive_s": 5,
            "username": "gw-diag",
            "password_file": "broker.password",
            "tls": {"ca_file": str(pki / "ca.crt"), "cert_file": str(client.cert),
                    "key_file": str(client.key)},
        },
        "receivers": [{"id": "r1", "driver": "serial_line", "port": "/dev/null"}],
        "tags": {"allow": [f"ibeacon:{TOWN}:*", tag_id(99)]},
        "household": {"id": "home-1"},
        "buttons": [{"id": "b1", "driver": "bthome", "address": BUTTON_MAC,
                     "bind_key_file": "button.key"}],
        "data_dir": "data",
        "status_interval_s": 1,
    }  # fmt: skip
    config = tmp_path / "gateway.yaml"
    config.write_text(yaml.safe_dump(doc, allow_unicode=True))
    receiver = ScriptedReceiver("r1", SystemClock())
    daemon = EdgeDaemon(load_gateway_config(config), drivers=[receiver])
    task = asyncio.create_task(daemon.run())
    await asyncio.wait_for(daemon.ready.wait(), 5)
    for n in (1, 2, 3):
        receiver.advert(tag_id(n), -60)
    await eventually(lambda: daemon.outbox is not None and daemon.outbox.depth >= 3)
    await eventually((tmp_path / "data" / "status.json").exists)
    daemon.stop()
    await asyncio.wait_for(task, 10)
    outbox = await Outbox.open(tmp_path / "data" / "outbox.sqlite3", 1000)
    depth, epoch = outbox.depth, outbox.epoch
    await outbox.close()

    with broker:
        dump = await asyncio.to_thread(diagnose, config)

    for section in ("config (secrets", "outbox", "serial ports", "bluetooth", "broker"):
        assert f"== {section}" in dump
    assert f"mimamori 0.1.0, Python {sys.version.split()[0]}" in dump
    assert "id: gw-diag" in dump and "port: /dev/null" in dump
    assert f"depth: {depth} event(s) waiting" in dump and depth >= 3
    assert f"epoch: {epoch}" in dump  # what the hub's acks name
    assert '{"tag.arrived": 3}' in dump
    assert "dropped (since install): none" in dump
    assert "r1: /dev/null -> /dev/null, read/write ok" in dump
    assert "bluetoothd:" in dump and "adapters:" in dump
    assert "broker.password: mode 0600, readable" in dump
    assert "reachable: yes (TLSv1." in dump and "certificate verified for 127.0.0.1" in dump
    assert '"state": "offline"' in dump  # the last status the daemon saved
    assert "ibeacon:<redacted>" in dump
    for secret in (password, BIND_KEY, BIND_KEY.upper(), BUTTON_MAC, TOWN, tag_id(1)[-20:]):
        assert secret not in dump, secret


def test_a_config_that_is_not_valid_is_still_diagnosed(tmp_path: Path) -> None:
    config = tmp_path / "gateway.yaml"
    config.write_text("gateway:\n  id: gw-1\nbroker:\n  host: 127.0.0.1\n  password: hunter22\n")
    dump = diagnose(config)
    assert "== mimamori edge diagnose ==" in dump
    assert f"NOT VALID: {config}:5:3: broker.password: unknown key" in dump
    assert "hunter22" not in dump
