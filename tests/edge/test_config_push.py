"""A config from the hub, applied by a running gateway: the daemon on a real broker,
its receiver a firmware_sim board on a pty, its files in a temporary tree. A config
whose port cannot open is rolled back by the gateway itself (the old receiver runs
again), a good one is applied and kept, one that changes the broker is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.edge.clock import SystemClock
from mimamori.edge.config_push import ConfigFiles
from mimamori.edge.daemon import EdgeDaemon
from mimamori.firmware_sim.frames import adv_for_tag
from mimamori.firmware_sim.receiver import SimReceiver
from mimamori.protocol.commands import ConfigCommand, encode_command, yaml_sha256
from mimamori.protocol.topics import command_topic
from tests.edge import helpers
from tests.edge.helpers import eventually, publish_once, tag_id
from tests.edge.test_daemon import listening, running


def gateway_doc(gw: str, port: int, data_dir: Path, receiver_port: str) -> dict[str, Any]:
    receiver = {"id": "vm", "driver": "serial_line", "port": receiver_port, "reopen_max_s": 0.2}
    return helpers.gateway_doc(gw, port, data_dir, receivers=[receiver])


def command(doc: dict[str, Any], version: int, trial_s: int = 2) -> bytes:
    text = "# from the hub\n" + yaml.safe_dump(doc, allow_unicode=True)
    return encode_command(
        ConfigCommand(version=version, yaml=text, sha256=yaml_sha256(text), trial_s=trial_s)
    )


def results(listener: Any) -> list[dict[str, Any]]:
    return [e["data"] for e in listener.events() if e["kind"] == "config.result"]


async def test_a_config_whose_port_cannot_open_is_rolled_back_and_reported(
    broker: PrivateBroker, tmp_path: Path, unique_id: str
) -> None:
    etc, data = tmp_path / "etc", tmp_path / "data"
    etc.mkdir()
    installed = etc / "gateway.yaml"
    with SimReceiver(tmp_path / "rx") as board, SimReceiver(tmp_path / "rx2") as other:
        doc = gateway_doc(unique_id, broker.port, data, str(board.link))
        installed.write_text(yaml.safe_dump(doc, allow_unicode=True))
        files = ConfigFiles(installed)
        running_file, config = files.in_use()
        assert running_file == installed
        daemon = EdgeDaemon(config, clock=SystemClock(), files=files, running=running_file)
        before = config.digest()
        async with listening(broker.port, unique_id) as listener, running(daemon):
            await eventually(lambda: daemon.drivers[0].status().state == "up")
            await eventually(lambda: daemon.link is not None and daemon.link.connected.is_set())
            cmd = command_topic(unique_id)

            # 1. passes every check, but its port is not there: rolled back.
            missing = gateway_doc(unique_id, broker.port, data, str(tmp_path / "no-such-tty"))
            await publish_once(broker.port, cmd, command(missing, 1), retain=False)
            await listener.wait_for(lambda: results(listener), within=15)
            [rolled] = results(listener)
            assert rolled["result"] == "rolled_back"
            assert rolled["version"] == 1
            assert "vm: down" in rolled["reason"] and "no-such-tty" in rolled["reason"]
            assert rolled["config_hash"] == before == daemon.config.digest()
            assert not (data / "gateway.yaml").exists()  # never committed
            assert "no-such-tty" in (data / "gateway.yaml.failed").read_text()
            # the old receiver is back on its own port, and hears
            await eventually(lambda: daemon.drivers[0].status().state == "up")
            board.advert("c0:ff:ee:00:00:01", -60, adv_for_tag(tag_id(3)))
            await listener.wait_for(
                lambda: any(e["kind"] == "tag.arrived" for e in listener.events()), within=10
            )
            assert daemon.counters["configs_rolled_back"] == 1

            # 2. a good one (another board, a new name): applied, kept, reported.
            good = gateway_doc(unique_id, broker.port, data, str(other.link))
            good["gateway"]["name"] = "新しい名前"
            await publish_once(broker.port, cmd, command(good, 2), retain=False)
            await listener.wait_for(lambda: len(results(listener)) == 2, within=15)
            applied = results(listener)[1]
            assert applied["result"] == "applied", applied
            assert applied["config_hash"] == daemon.config.digest() != before
            assert daemon.config.gateway.name == "新しい名前"
            assert "新しい名前" in (data / "gateway.yaml").read_text()
            assert (data / "gateway.yaml.prev").read_text() == installed.read_text()
            await listener.wait_for(
                lambda: any(
                    s.get("config_hash") == applied["config_hash"] for s in listener.statuses()
                )
            )
            other.advert("c0:ff:ee:00:00:02", -60, adv_for_tag(tag_id(4)))
            await listener.wait_for(
                lambda: any(e["data"].get("tag") == tag_id(4) for e in listener.events())
            )

            # 3. one that would move the broker: refused, nothing changes.
            moved = dict(good, broker=dict(good["broker"], port=1))
            await publish_once(broker.port, cmd, command(moved, 3), retain=False)
            await listener.wait_for(lambda: len(results(listener)) == 3, within=15)
            refused = results(listener)[2]
            assert refused["result"] == "refused"
            assert "broker" in refused["reason"]
            assert refused["config_hash"] == applied["config_hash"]
        # The next start runs the hub's file, not the installed one.
        again, config = files.in_use()
        assert again == data / "gateway.yaml"
        assert config.digest() == applied["config_hash"]


async def test_a_config_that_fails_its_check_on_the_gateway_is_refused_with_its_place(
    broker: PrivateBroker, tmp_path: Path, unique_id: str
) -> None:
    installed = tmp_path / "gateway.yaml"
    with SimReceiver(tmp_path / "rx") as board:
        doc = gateway_doc(unique_id, broker.port, tmp_path / "data", str(board.link))
        installed.write_text(yaml.safe_dump(doc))
        files = ConfigFiles(installed)
        daemon = EdgeDaemon(files.in_use()[1], clock=SystemClock(), files=files)
        async with listening(broker.port, unique_id) as listener, running(daemon):
            await eventually(lambda: daemon.link is not None and daemon.link.connected.is_set())
            bad = dict(doc, status_interval_s=0)
            await publish_once(broker.port, command_topic(unique_id), command(bad, 1), retain=False)
            await listener.wait_for(lambda: results(listener), within=10)
            [refused] = results(listener)
            assert refused["result"] == "refused"
            assert "status_interval_s" in refused["reason"]
            assert refused["reason"].split(":")[0].isdigit()  # LINE:COL first
            assert not (tmp_path / "data" / "gateway.yaml").exists()
            assert daemon.drivers[0].status().state == "up"  # never stopped


def test_a_hub_file_that_cannot_be_used_is_passed_over_for_the_installed_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    etc, data = tmp_path / "etc", tmp_path / "data"
    etc.mkdir()
    data.mkdir()
    installed = etc / "gateway.yaml"
    doc = gateway_doc("gw-1", 1883, data, "/dev/ttyUSB0")
    installed.write_text(yaml.safe_dump(doc))
    files = ConfigFiles(installed)
    pushed = data / "gateway.yaml"
    pushed.write_text("gateway: [\n")  # cut by a power loss, say
    assert files.in_use()[0] == installed
    pushed.write_text(yaml.safe_dump(dict(doc, gateway=dict(doc["gateway"], id="gw-2"))))
    assert files.in_use()[0] == installed  # another gateway's
    said = [r.getMessage() for r in caplog.records]
    assert any("cannot be used" in m for m in said) and any("another gateway" in m for m in said)
    relative = dict(doc, broker=dict(doc["broker"], username="gw-1", password_file="pw"))
    pushed.write_text(yaml.safe_dump(relative))
    running, config = files.in_use()
    assert running == pushed
    assert config.broker.password_file == etc / "pw"  # beside the installed file
