"""MQTT over TLS with the town's own CA (``mimamori hub pki``), against a real Mosquitto:
the edge and the hub connect and events flow; a broker certificate from another CA,
or for another name, is refused; a client without a certificate is not let in."""

from __future__ import annotations

import asyncio
import getpass
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from mimamori.demo.mosquitto import BrokerTls, PrivateBroker, free_port, wait_for_port
from mimamori.edge.clock import SystemClock
from mimamori.edge.daemon import EdgeDaemon
from mimamori.errors import BrokerError
from mimamori.hub.broker.accounts import set_account, write_acl
from mimamori.hub.broker.pki import PkiError, make_ca, make_client, make_server
from mimamori.mqtt import LinkSettings, Message, MqttLink
from mimamori.settings import TlsSettings
from tests.deploy.helpers import Process, person_with, write_hub
from tests.e2e.conftest import HUB_START_S
from tests.edge.helpers import ScriptedReceiver, eventually, gateway_config, tag_id


def pki(root: Path, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "mimamori", "hub", "pki", *args, "--dir", str(root)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The town's CA, with the broker's certificate for 127.0.0.1 and two clients."""
    root = tmp_path_factory.mktemp("pki") / "town"
    pki(root, "ca")
    pki(root, "server", "--host", "127.0.0.1", "--host", "localhost")
    snippet = pki(root, "client", "gw-tls")
    assert "cert_file: /etc/mimamori/tls/gw-tls.crt" in snippet
    pki(root, "client", "mimamori-hub")
    return root


def tls_for(town: Path, client: str | None, ca: Path | None = None) -> dict[str, str]:
    doc = {"ca_file": str(ca or town / "ca.crt")}
    if client is not None:
        doc |= {
            "cert_file": str(town / "clients" / f"{client}.crt"),
            "key_file": str(town / "clients" / f"{client}.key"),
        }
    return doc


def broker_with(root: Path, town: Path, server: tuple[Path, Path] | None = None) -> PrivateBroker:
    cert, key = server or (town / "server.crt", town / "server.key")
    return PrivateBroker(root, tls=BrokerTls(town / "ca.crt", cert, key))


@asynccontextmanager
async def edge(
    tmp_path: Path, port: int, tls: dict[str, str]
) -> AsyncIterator[tuple[EdgeDaemon, ScriptedReceiver]]:
    config = gateway_config(
        "gw-tls",
        port,
        tmp_path / "edge",
        broker={"host": "127.0.0.1", "port": port, "keepalive_s": 5, "tls": tls},
    )
    receiver = ScriptedReceiver("r1", SystemClock())
    daemon = EdgeDaemon(config, drivers=[receiver])
    task = asyncio.create_task(daemon.run())
    await asyncio.wait_for(daemon.ready.wait(), 5)
    try:
        yield daemon, receiver
    finally:
        daemon.stop()
        await asyncio.wait_for(task, 10)


@asynccontextmanager
async def subscriber(port: int, town: Path, topic: str) -> AsyncIterator[list[Message]]:
    inbox: list[Message] = []
    tls = TlsSettings.model_validate(tls_for(town, "mimamori-hub"))
    link = MqttLink(
        LinkSettings("127.0.0.1", port, "tls-listener", tls=tls, subscriptions=((topic, 1),)),
        on_message=inbox.append,
    )
    task = asyncio.create_task(link.run())
    try:
        await asyncio.wait_for(link.connected.wait(), 10)
        yield inbox
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_the_edge_connects_over_tls_and_its_events_arrive(tmp_path: Path, town: Path) -> None:
    with broker_with(tmp_path / "mq", town) as broker:
        async with (
            subscriber(broker.port, town, "mimamori/v1/gw/gw-tls/events") as inbox,
            edge(tmp_path, broker.port, tls_for(town, "gw-tls")) as (daemon, receiver),
        ):
            receiver.advert(tag_id(3), -60)
            await eventually(lambda: len(inbox) >= 1)
            assert daemon.link is not None and daemon.link.counters["connect_failures"] == 0
    assert b'"tag.arrived"' in inbox[0].payload


async def refused(tmp_path: Path, broker: PrivateBroker, tls: dict[str, str]) -> EdgeDaemon:
    async with edge(tmp_path, broker.port, tls) as (daemon, _):
        assert daemon.link is not None
        link = daemon.link
        await eventually(lambda: link.counters["connect_failures"] >= 1)
        assert not link.connected.is_set()
    return daemon


async def test_a_broker_certificate_from_another_ca_is_refused(
    tmp_path: Path, town: Path, caplog: pytest.LogCaptureFixture
) -> None:
    stranger = tmp_path / "stranger"
    make_ca(stranger, "someone else's CA")
    issued = make_server(stranger, ["127.0.0.1"])
    with broker_with(tmp_path / "mq", town, (issued.cert, issued.key)) as broker:
        await refused(tmp_path, broker, tls_for(town, "gw-tls"))
    assert "certificate verify failed: unable to get local issuer certificate" in caplog.text


async def test_a_broker_certificate_for_another_name_is_refused(
    tmp_path: Path, town: Path, caplog: pytest.LogCaptureFixture
) -> None:
    other = make_server(town, ["broker.invalid"], out_dir=tmp_path / "other-name")
    with broker_with(tmp_path / "mq", town, (other.cert, other.key)) as broker:
        await refused(tmp_path, broker, tls_for(town, "gw-tls"))
    assert "certificate verify failed: IP address mismatch" in caplog.text


async def test_a_client_without_a_certificate_of_the_town_is_not_let_in(
    tmp_path: Path, town: Path, caplog: pytest.LogCaptureFixture
) -> None:
    stranger = tmp_path / "stranger"
    make_ca(stranger)
    make_client(stranger, "gw-tls")
    with broker_with(tmp_path / "mq", town) as broker:
        await refused(tmp_path, broker, tls_for(town, None))  # no client certificate
        # a certificate of the right name, from the wrong CA
        await refused(tmp_path, broker, tls_for(stranger, "gw-tls", ca=town / "ca.crt"))
    said = (tmp_path / "mq" / "mosquitto.log").read_text()
    assert "peer did not return a certificate" in said
    assert "certificate verify failed" in said


def test_the_pki_never_overwrites_and_names_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(PkiError, match="no CA in"):
        make_server(tmp_path, ["127.0.0.1"])
    make_ca(tmp_path)
    with pytest.raises(PkiError, match="exists already"):
        make_ca(tmp_path)
    command = ["hub", "pki", "client", "--dir", str(tmp_path), "BAD ID"]
    out = subprocess.run(
        [sys.executable, "-m", "mimamori", *command], capture_output=True, text=True, check=False
    )
    assert out.returncode == 2 and "is not a gateway id" in out.stderr
    assert (tmp_path / "ca.key").stat().st_mode & 0o077 == 0


async def test_the_hub_ingests_over_tls(tmp_path: Path, town: Path) -> None:
    http_port = free_port()
    with broker_with(tmp_path / "mq", town) as broker:
        config = write_hub(
            tmp_path / "hub.yaml",
            {
                "hub": {
                    "http": {"port": http_port},
                    "database": {"path": "hub.sqlite3"},
                    "broker": {
                        "host": "127.0.0.1",
                        "port": broker.port,
                        "keepalive_s": 5,
                        "tls": tls_for(town, "mimamori-hub"),
                    },
                },
                "gateways": [{"id": "gw-tls", "name": "TLS 自販機", "lat": 26.28, "lon": 127.78}],
                "people": [person_with(tag_id(4))],
            },
        )
        hub = Process(tmp_path / "hub.log", "hub", "--config", str(config))
        try:
            await asyncio.to_thread(wait_for_port, "127.0.0.1", http_port, HUB_START_S)
            async with (
                httpx.AsyncClient(base_url=f"http://127.0.0.1:{http_port}") as client,
                edge(tmp_path, broker.port, tls_for(town, "gw-tls")) as (_, receiver),
            ):
                receiver.advert(tag_id(4), -60)
                async with asyncio.timeout(20):
                    while True:
                        health = (await client.get("/healthz")).json()
                        if health["ingest"].get("events_stored", 0) >= 1:
                            break
                        await asyncio.sleep(0.1)
            assert health["broker"] == "connected"
        finally:
            assert await asyncio.to_thread(hub.stop) == 0


async def test_the_example_broker_config_works_with_tls_and_gateway_accounts(
    tmp_path: Path, town: Path
) -> None:
    """configs/mosquitto.conf, with its /etc paths moved to a temporary directory."""
    etc = tmp_path / "etc"
    certs = etc / "certs"
    certs.mkdir(parents=True)
    for name in ("ca.crt", "server.crt", "server.key"):
        (certs / name).write_bytes((town / name).read_bytes())
    password = set_account(etc / "mimamori" / "passwd", "gw-tls")
    write_acl(etc / "mimamori" / "acl", "mimamori-hub")
    port = free_port()
    example = (Path(__file__).parents[2] / "configs" / "mosquitto.conf").read_text()
    conf = example.replace("/etc/mosquitto", str(etc)).replace(
        "listener 8883", f"listener {port} 127.0.0.1"
    )
    conf += f"user {getpass.getuser()}\npersistence_location {tmp_path}/\n"
    (tmp_path / "mosquitto.conf").write_text(conf)
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    proc = subprocess.Popen(
        [binary, "-c", str(tmp_path / "mosquitto.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        await asyncio.to_thread(wait_for_port, "127.0.0.1", port, 10)
        tls = TlsSettings.model_validate(tls_for(town, "gw-tls"))
        settings = LinkSettings("127.0.0.1", port, "gw-tls", "gw-tls", password, tls=tls)
        link = MqttLink(settings, name="gw-tls")
        task = asyncio.create_task(link.run())
        try:
            await asyncio.wait_for(link.connected.wait(), 10)
            await link.publish("mimamori/v1/gw/gw-tls/events", b"{}")  # its own topic: ok
            with pytest.raises(BrokerError, match=r"[Nn]ot authori[sz]ed"):
                await link.publish("mimamori/v1/gw/gw-other/events", b"{}")
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
