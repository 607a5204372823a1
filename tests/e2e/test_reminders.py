"""The person is asked first, end to end: a missed check-in at level 0 makes the hub tell
the home gateway, which tells its button to beep; a press stops it and closes the
check-in, and where nobody presses, level 1 reaches the family as before.

The real commands in separate processes: two homes, each ``mimamori sim button`` on a
pty and ``mimamori edge``; one hub; one broker. At the first home somebody answers the
beep after a second (``--answer-after-s``); at the second nobody does. Real time: the
check-in is due at the next whole minute (the schedule's unit), level 0 at once, level
1 eighteen seconds later.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from mimamori.demo.mosquitto import PrivateBroker
from tests.e2e.conftest import CONSENT, Processes, hub_file, poll_json, start_hub, write_yaml

pytestmark = pytest.mark.slow

HOMES = {"a": "gw-home-a", "b": "gw-home-b"}
LEVEL_1_AFTER_S = 18  # short for the test; the default ladder waits 23 h


def hub_yaml(root: Path, broker: PrivateBroker, http_port: int) -> Path:
    return hub_file(
        root,
        broker,
        http_port,
        gateways=[
            {"id": gw, "name": f"自宅 {h}", "lat": 26.28, "lon": 127.77, "site": "home"}
            for h, gw in HOMES.items()
        ],
        people=[{"id": f"p-{h}", "name": f"宮城 {h}", "consent": CONSENT} for h in HOMES],
        households=[
            {"id": f"hh-{h}", "name": f"宮城さん宅 {h}", "gateways": [gw], "people": [f"p-{h}"]}
            for h, gw in HOMES.items()
        ],
        families=[{"id": "f-1", "name": "宮城家", "households": [f"hh-{h}" for h in HOMES]}],
    )


def home_yaml(root: Path, broker: PrivateBroker, home: str, tty: Path, due: datetime) -> Path:
    gw = HOMES[home]
    return write_yaml(
        root / f"{gw}.yaml",
        {
            "gateway": {"id": gw, "name": "自宅", "site": "home", "lat": 26.28, "lon": 127.77},
            "broker": {"host": "127.0.0.1", "port": broker.port, "keepalive_s": 5},
            "household": {
                "id": f"hh-{home}",
                "schedule": {
                    "by": f"{due.astimezone(ZoneInfo('Asia/Tokyo')):%H:%M}",
                    "grace_min": 0,
                },
                "ladder": [
                    {"after_h": 0, "level": 0},
                    {"after_h": LEVEL_1_AFTER_S / 3600, "level": 1},
                ],
            },
            "buttons": [{"id": "door", "driver": "serial_button", "port": str(tty)}],
            "data_dir": f"data/{gw}",
            "status_interval_s": 1,
        },
    )


def next_minute() -> datetime:
    """The next whole minute at least 8 s away (the daemons start before it)."""
    now = datetime.now(UTC)
    due = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return due if due - now >= timedelta(seconds=8) else due + timedelta(minutes=1)


async def reminder_said(procs: Processes, name: str, state: str, within: float) -> str:
    """The ref of the reminder the simulated unit ``name`` printed ``state`` for."""
    async with asyncio.timeout(within):
        while not (found := re.search(rf"^reminder (\w+) {state}$", procs.log(name), re.M)):
            await asyncio.sleep(0.1)
    return found.group(1)


async def test_a_missed_check_in_beeps_the_button_a_press_stops_it_and_silence_tells_the_family(
    own_broker: PrivateBroker, procs: Processes, tmp_path: Path, http_port: int
) -> None:
    ttys = {h: tmp_path / f"tty-{h}" for h in HOMES}
    procs.start("button-a", "sim", "button", "--link", str(ttys["a"]), "--answer-after-s", "1")
    procs.start("button-b", "sim", "button", "--link", str(ttys["b"]))
    async with asyncio.timeout(10):
        while not all(t.exists() for t in ttys.values()):
            await asyncio.sleep(0.05)
    token = start_hub(procs, hub_yaml(tmp_path, own_broker, http_port), http_port)
    due = next_minute()
    for h, gw in HOMES.items():
        procs.start(gw, "edge", "--config", str(home_yaml(tmp_path, own_broker, h, ttys[h], due)))

    wait_s = (due - datetime.now(UTC)).total_seconds()
    beeped_a = await reminder_said(procs, "button-a", "on", wait_s + 20)
    beeped_b = await reminder_said(procs, "button-b", "on", 10)
    assert await reminder_said(procs, "button-a", "pressed", 10) == beeped_a

    base = f"http://127.0.0.1:{http_port}"
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}) as c:
        # Home a: the press answered the beep and closed the check-in, late.
        home_a = await poll_json(
            c, "/api/v1/households/hh-a", lambda b: b["last_checkin"] is not None, 15
        )
        assert home_a["last_checkin"]["late"] is True
        # Home b: nobody pressed; level 1 reaches the family as before.
        alerts = await poll_json(
            c,
            "/api/v1/alerts",
            lambda b: any(a["kind"] == "checkin_missed" for a in b),
            LEVEL_1_AFTER_S + 20,
        )
        [missed] = [a for a in alerts if a["kind"] == "checkin_missed"]
        assert (missed["household_id"], missed["detail"]["level"]) == ("hh-b", 1)
        assert "reminder" not in procs.log("button-b").replace(f"reminder {beeped_b} on", "")
        # The calendars say what was really done.
        for home in ("hh-a", "hh-b"):
            body = (await c.get(f"/api/v1/households/{home}")).json()
            assert body["history"][-1]["reminded"] == ["button"], home
        home_a = (await c.get("/api/v1/households/hh-a")).json()
        assert home_a["state"] == "ok"  # level 1 never came for her
    assert beeped_a != beeped_b  # each reminder names its own missed check-in
