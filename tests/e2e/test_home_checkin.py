"""A check-in button at home, end to end: sim button -> edge -> broker -> hub -> API.

The real commands in separate processes: ``mimamori sim button`` is the unit on a pty,
``mimamori edge`` the home gateway, ``mimamori hub`` the hub. Then the power is cut
(the gateway is killed with SIGKILL): the broker's last will reaches the hub, which
records ``gateway.offline`` for the household.
"""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from mimamori.demo.mosquitto import PrivateBroker
from tests.e2e.conftest import CONSENT, TAG, Processes, hub_file, poll_json, start_hub, write_yaml

pytestmark = pytest.mark.slow


def hub_yaml(root: Path, broker: PrivateBroker, http_port: int) -> Path:
    return hub_file(
        root,
        broker,
        http_port,
        gateways=[{"id": "gw-home", "name": "自宅", "lat": 26.28, "lon": 127.77, "site": "home"}],
        people=[{"id": "p-1", "name": "宮城 カマド", "tags": [TAG], "consent": CONSENT}],
        households=[
            {"id": "hh-1", "name": "宮城さん宅", "gateways": ["gw-home"], "people": ["p-1"]}
        ],
        families=[{"id": "f-1", "name": "宮城家", "households": ["hh-1"]}],
    )


def home_yaml(root: Path, broker: PrivateBroker, tty: Path) -> Path:
    # Due two hours from now, so the first press closes the open period on time.
    due = (datetime.now(UTC) + timedelta(hours=2)).astimezone(ZoneInfo("Asia/Tokyo"))
    return write_yaml(
        root / "home.yaml",
        {
            "gateway": {
                "id": "gw-home",
                "name": "自宅",
                "site": "home",
                "lat": 26.28,
                "lon": 127.77,
            },
            # The broker gives up on a silent client after 1.5 keepalives: ~8 s.
            "broker": {"host": "127.0.0.1", "port": broker.port, "keepalive_s": 5},
            "household": {"id": "hh-1", "schedule": {"by": f"{due:%H:%M}"}},
            "buttons": [{"id": "door", "driver": "serial_button", "port": str(tty)}],
            "data_dir": "data/gw-home",
            "status_interval_s": 1,
        },
    )


async def test_a_press_at_home_reaches_the_household_and_a_power_cut_is_seen(
    own_broker: PrivateBroker, procs: Processes, tmp_path: Path, http_port: int
) -> None:
    tty = tmp_path / "tty-button"
    procs.start(
        "button", "sim", "button", "--link", str(tty), "--every-s", "1", "--card", "soudan",
        "--heartbeat-s", "1",
    )  # fmt: skip
    async with asyncio.timeout(10):
        while not tty.exists():
            await asyncio.sleep(0.05)
    token = start_hub(procs, hub_yaml(tmp_path, own_broker, http_port), http_port)
    edge = procs.start("gw-home", "edge", "--config", str(home_yaml(tmp_path, own_broker, tty)))

    base = f"http://127.0.0.1:{http_port}"
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}) as c:
        home = await poll_json(
            c,
            "/api/v1/households/hh-1",
            lambda b: b["last_checkin"] is not None and b["devices"],
            30,
        )
        assert home["state"] == "ok"
        assert home["last_checkin"]["card"] == "soudan"
        assert home["last_checkin"]["kind"] == "checkin.consult"
        assert [d["id"] for d in home["devices"]] == ["door"]
        assert home["devices"][0]["silent"] is False
        assert home["gateways"] == [
            {"id": "gw-home", "online": True, "status_at": home["gateways"][0]["status_at"]}
        ]
        today = home["history"][-1]
        assert today["checkins"] and today["checkins"][0]["card"] == "soudan"

        edge.send_signal(signal.SIGKILL)  # the power is cut
        edge.wait()
        procs.running.pop("gw-home")
        home = await poll_json(
            c, "/api/v1/households/hh-1", lambda b: b["gateways"][0]["online"] is False, 30
        )
        assert "gateway.offline" in home["history"][-1]["problems"]
