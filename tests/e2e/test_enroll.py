"""A new gateway enrolled with a one-time code, end to end (issue 20's test).

The real commands as processes: Mosquitto with accounts (no anonymous client), the
hub with its own account, ``mimamori hub gateway enroll`` giving the code,
``mimamori edge enroll`` on the "Pi" trading it over HTTP (loopback) for its account,
YAML and files, then ``mimamori edge`` with only what enrollment wrote, reading a
``firmware_sim`` receiver on a pty. The hub tells the broker to read its password
file again (its ``reload_command``: here a copy to where this broker reads it and a
SIGHUP, what ``systemctl reload mosquitto`` does). The gateway comes online and its
sightings reach the hub; the code does not work twice.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from mimamori.demo.mosquitto import PrivateBroker
from tests.e2e.conftest import (
    CONSENT,
    GATEWAYS,
    TAG,
    TOWN,
    Processes,
    import_register,
    poll_json,
    start_hub,
    write_yaml,
)

pytestmark = pytest.mark.slow

# Copies the password file to where the broker reads it (as root the broker reads a
# private copy) and sends SIGHUP.
RELOAD = (
    "import os, shutil, signal, sys; src, dst, pid = sys.argv[1:]; "
    "src != dst and shutil.copyfile(src, dst); os.kill(int(pid), signal.SIGHUP)"
)


def mimamori(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mimamori", *args],
        capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL, timeout=60,
    )  # fmt: skip


async def test_a_gateway_enrolled_with_a_code_comes_online_and_reports_sightings(
    procs: Processes, tmp_path: Path, http_port: int
) -> None:
    passwd, acl, tty = tmp_path / "broker/passwd", tmp_path / "broker/acl", tmp_path / "tty"
    broker = PrivateBroker(tmp_path / "mq", auth=(passwd, acl))
    hub: dict[str, object] = {
        "http": {"port": http_port, "public_url": f"http://127.0.0.1:{http_port}"},
        "database": {"path": "hub.sqlite3"},
        "broker": {
            "host": "127.0.0.1",
            "port": broker.port,
            "username": "mimamori-hub",
            "password_file": "hub.password",
            "keepalive_s": 5,
            "reconnect_max_s": 2,
        },
        "mosquitto": {"password_file": str(passwd), "acl_file": str(acl)},
    }
    config = write_yaml(tmp_path / "hub.yaml", {"hub": hub})
    made = mimamori("hub", "broker-account", "--config", str(config))
    assert made.returncode == 0, made.stderr
    name, lat, lon = GATEWAYS["gw-one"]
    import_register(
        config,
        write_yaml(
            tmp_path / "register.yaml",
            {
                "gateways": [{"id": "gw-one", "name": name, "lat": lat, "lon": lon}],
                "people": [{"id": "p-1", "name": "比嘉 ツル", "tags": [TAG], "consent": CONSENT}],
                "families": [{"id": "f-1", "name": "比嘉家", "people": ["p-1"]}],
            },
        ),
    )
    template = write_yaml(
        tmp_path / "template.yaml",
        {
            "receivers": [{"id": "vm", "driver": "serial_line", "port": str(tty),
                           "reopen_max_s": 1}],
            "tags": {"allow": [f"ibeacon:{TOWN}:*"]},
            "presence": {"enter_rssi": -88, "exit_rssi": -95, "report_interval_s": 2},
            "data_dir": "data",
            "status_interval_s": 2,
        },
    )  # fmt: skip
    scenario = write_yaml(
        tmp_path / "scenario.yaml",
        {
            "seed": 5,
            "radio": {"path_loss_exponent": 2.0, "noise_db": 1.0, "loss": 0.05},
            "receivers": [{"id": "gw-one", "lat": lat, "lon": lon, "link": str(tty)}],
            "tags": [{"tag": TAG, "interval_s": 0.2, "route": [[lat, lon], [lat, lon]],
                      "speed_mps": 1.0}],
        },
    )  # fmt: skip
    with broker:
        reload = [sys.executable, "-c", RELOAD, str(passwd)]
        reload += [str(broker.config_path.parent / "passwd"), str(broker.pid)]
        hub["enrollment"] = {
            "broker_host": "127.0.0.1",
            "broker_port": broker.port,
            "template": str(template),
            "reload_command": reload,
        }
        write_yaml(config, {"hub": hub})
        token = start_hub(procs, config, http_port)
        issued = mimamori("hub", "gateway", "enroll", "--config", str(config), "gw-one")
        assert issued.returncode == 0, issued.stderr
        code = next(li for li in issued.stdout.splitlines() if not li.startswith("#"))
        pi = tmp_path / "pi"
        enroll = ["edge", "enroll", "--hub", f"http://127.0.0.1:{http_port}", "--code", code]
        enroll += ["--config-dir", str(pi), "--no-start"]
        enrolled = mimamori(*enroll)
        assert enrolled.returncode == 0, enrolled.stderr
        assert "enrolled as gw-one" in enrolled.stdout and "note:" not in enrolled.stdout
        assert (pi / "broker.password").stat().st_mode & 0o777 == 0o600
        assert (pi / "gateway.yaml").stat().st_mode & 0o777 == 0o640
        assert (pi / "broker.password").read_text().strip() not in issued.stdout

        procs.start("sim", "sim", "walk", "--scenario", str(scenario))
        async with asyncio.timeout(10):
            while not tty.exists():
                await asyncio.sleep(0.05)
        procs.start("gw-one", "edge", "--config", str(pi / "gateway.yaml"))
        base = f"http://127.0.0.1:{http_port}"
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=base, headers=headers) as client:
            seen = await poll_json(
                client, "/api/v1/people/p-1/location", lambda b: b["gateway_id"] == "gw-one", 30
            )
            gateways = (await client.get("/api/v1/gateways")).json()
        assert seen["gateway_name"] == name
        assert {g["id"]: g["online"] for g in gateways} == {"gw-one": True}

        twice = mimamori(*enroll)
        assert twice.returncode == 1
        assert "もう使われています" in twice.stderr and "used already" in twice.stderr
        exits = procs.stop_all()
    assert exits == {"gw-one": 0, "sim": 0, "hub": 0}, exits
    assert "Traceback" not in procs.log("gw-one")
