"""No secret ever leaves in a log, the status message or an error: the real edge and
hub run at debug level with per-gateway passwords and TLS keys against a real
Mosquitto, through a wrong password, a refused reload and ``mimamori check``; then
every word they said is searched for every secret."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from mimamori.demo.mosquitto import BrokerTls, PrivateBroker, free_port, wait_for_port
from mimamori.firmware_sim.frames import adv_for_tag
from mimamori.firmware_sim.receiver import SimReceiver
from mimamori.hub.broker.accounts import hub_accounts, set_account, write_acl
from mimamori.hub.broker.pki import make_ca, make_client, make_server
from mimamori.mqtt import LinkSettings, Message, MqttLink
from mimamori.settings import TlsSettings
from tests.deploy.helpers import TAG, Process, gateway_doc, person_with, write_hub, write_yaml
from tests.e2e.conftest import HUB_START_S

pytestmark = pytest.mark.slow


def mimamori(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mimamori", *args], capture_output=True, text=True, check=False
    )


def key_material(path: Path) -> list[str]:
    """The base64 lines of a PEM private key: any of them in the open is a leak."""
    return [line for line in path.read_text().splitlines() if not line.startswith("-----")]


def private(path: Path, text: str) -> Path:
    path.write_text(text + "\n")
    path.chmod(0o600)
    return path


async def test_no_secret_appears_in_logs_status_or_errors(tmp_path: Path) -> None:
    http_port = free_port()
    town = tmp_path / "pki"
    make_ca(town)
    server = make_server(town, ["127.0.0.1"])
    gw_cert, hub_cert = make_client(town, "gw-sec"), make_client(town, "mimamori-hub")
    tls = {"ca_file": str(town / "ca.crt")}
    hub_config = write_hub(
        tmp_path / "hub.yaml",
        {
            "hub": {
                "http": {"port": http_port},
                "database": {"path": "hub.sqlite3"},
                "broker": {
                    "host": "127.0.0.1",
                    "port": 1,  # set below, once the broker has its port
                    "keepalive_s": 5,
                    "username": "mimamori-hub",
                    "password_file": "hub.password",
                    "tls": tls | {"cert_file": str(hub_cert.cert), "key_file": str(hub_cert.key)},
                },
                "mosquitto": {"password_file": "mq/passwd", "acl_file": "mq/acl"},
            },
            "gateways": [{"id": "gw-sec", "name": "秘密 自販機", "lat": 26.28, "lon": 127.78}],
            "people": [person_with(TAG)],
        },
    )
    added = mimamori("hub", "gateway", "add", "--config", str(hub_config), "gw-sec")
    assert added.returncode == 0, added.stderr
    gw_password = next(line for line in added.stdout.splitlines() if not line.startswith("#"))
    hub_password = (tmp_path / "hub.password").read_text().strip()
    # The test listens with an account of its own, with the hub's rights: the broker
    # binds each account to one client id, so sharing the hub's would throw it out.
    listener_password = set_account(tmp_path / "mq/passwd", "secrets-listener")
    write_acl(tmp_path / "mq/acl", *hub_accounts(tmp_path / "mq/acl"), "secrets-listener")
    secrets = [gw_password, hub_password, listener_password]
    for key in (gw_cert.key, hub_cert.key, server.key):
        secrets += key_material(key)
    assert len(gw_password) >= 24 and len(secrets) >= 5

    said: dict[str, str] = {}  # where -> what was said there
    broker = PrivateBroker(
        tmp_path / "mq-run",
        auth=(tmp_path / "mq/passwd", tmp_path / "mq/acl"),
        tls=BrokerTls(town / "ca.crt", server.cert, server.key),
    )
    with broker, SimReceiver(tmp_path / "tty") as receiver:
        text = hub_config.read_text().replace("port: 1\n", f"port: {broker.port}\n")
        hub_config.write_text(text)
        gw_tls = tls | {"cert_file": str(gw_cert.cert), "key_file": str(gw_cert.key)}
        private(tmp_path / "gw.password", gw_password)
        gw_broker = {
            "host": "127.0.0.1",
            "port": broker.port,
            "keepalive_s": 5,
            "username": "gw-sec",
            "password_file": "gw.password",
            "tls": gw_tls,
        }
        gw_doc = gateway_doc("gw-sec", broker.port, tmp_path / "tty", broker=gw_broker)
        gw_config = write_yaml(tmp_path / "gateway.yaml", gw_doc)
        # the same gateway with a password that is wrong by one character
        private(
            tmp_path / "wrong.password", gw_password[:-1] + ("x" if gw_password[-1] != "x" else "y")
        )
        wrong = write_yaml(
            tmp_path / "wrong.yaml",
            gateway_doc(
                "gw-sec",
                broker.port,
                tmp_path / "tty-none",
                broker=gw_broker | {"password_file": "wrong.password"},
                data_dir="data/wrong",
            ),
        )
        statuses: list[Message] = []
        listener = MqttLink(
            LinkSettings(
                "127.0.0.1",
                broker.port,
                "secrets-listener",
                "secrets-listener",
                listener_password,
                tls=TlsSettings.model_validate(
                    tls | {"cert_file": str(hub_cert.cert), "key_file": str(hub_cert.key)}
                ),
                subscriptions=(("mimamori/v1/gw/+/status", 1),),
            ),
            on_message=statuses.append,
        )
        listening = asyncio.create_task(listener.run())
        debug = ("--log-level", "debug")
        hub = Process(tmp_path / "hub.log", *debug, "hub", "--config", str(hub_config))
        edge = Process(tmp_path / "edge.log", *debug, "edge", "--config", str(gw_config))
        stranger = Process(tmp_path / "wrong.log", *debug, "edge", "--config", str(wrong))
        try:
            await asyncio.to_thread(wait_for_port, "127.0.0.1", http_port, HUB_START_S)
            await asyncio.to_thread(edge.wait_for_log, "receiver vm up")
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http_port}") as client:
                async with asyncio.timeout(20):
                    while True:
                        receiver.advert("C0:FF:EE:00:00:02", -60, adv_for_tag(TAG))
                        health = (await client.get("/healthz")).json()
                        if health["ingest"].get("events_stored", 0) >= 1:
                            break
                        await asyncio.sleep(0.2)
                said["healthz"] = json.dumps(health)
            await asyncio.to_thread(stranger.wait_for_log, "refused the connection: Not authorized")

            # a technician pastes the password into the file itself: refused, not echoed
            gw_config.write_text(
                gw_config.read_text().replace(
                    "  username: gw-sec\n", f"  username: gw-sec\n  password: {gw_password}\n"
                )
            )
            edge.signal(signal.SIGHUP)
            await asyncio.to_thread(edge.wait_for_log, "config reload refused")
            for name, files in {
                "check-ok": [str(hub_config), str(wrong)],
                "check-bad": [str(gw_config)],
            }.items():
                checked = mimamori("check", *files)
                said[name] = checked.stdout + checked.stderr
            assert "broker.password: unknown key" in said["check-bad"]
            async with asyncio.timeout(10):
                while not any(m.topic.endswith("/gw-sec/status") for m in statuses):
                    await asyncio.sleep(0.05)
        finally:
            codes = [await asyncio.to_thread(p.stop) for p in (edge, stranger, hub)]
            listening.cancel()
            await asyncio.gather(listening, return_exceptions=True)
    assert codes == [0, 0, 0]
    said |= {"edge log": edge.log(), "hub log": hub.log(), "wrong-password log": stranger.log()}
    said["status"] = "\n".join(m.payload.decode() for m in statuses)
    said["broker log"] = (tmp_path / "mq-run" / "mosquitto.log").read_text()
    assert "DEBUG" in said["edge log"] and "DEBUG" in said["hub log"]
    assert '"state":"online"' in said["status"]
    for where, text in said.items():
        for secret in secrets:
            assert secret not in text, f"a secret appears in the {where}"
