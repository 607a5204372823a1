"""A safety roll-call of a street of 50 homes, end to end (issue 19's "done when"):
40 press their home button, 5 answer in LINE, 5 stay silent; the staff's list shows
the 5 silent first; a volunteer visits them and records it; the report's counts match.

Real parts: the hub as a process (``mimamori hub``), a private Mosquitto, the local LINE
(tests/line_server.py: LINE's Messaging API for the hub's real SDK, and webhooks signed
with the channel secret), the register, accounts, tokens and LINE codes made by the
real commands, and 45 home gateways running the real daemon, each with its own
serial button (``firmware_sim.SimButton``) on a pty. How it is bounded: 4 gateways are
``mimamori edge`` processes; the other 41 run the same daemon class together in one
process (``gateway_pack.py``: their own drivers, outbox, rules and MQTT connection;
one interpreter), and the 45 simulated buttons live in the test's own event loop.
Each press goes the whole real way: the hub tells the gateway (MQTT v5, QoS 1), the
daemon tells its button ($R), the button beeps and is pressed ($P), the household's
rule makes a check-in event, the outbox sends it, the hub stores it and the roll-call
reads it. The 5 LINE homes' gateways are down (never started): no beep for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.firmware_sim.button import Reminder, SimButton
from mimamori.hub.line.codes import read_code
from tests.e2e.conftest import (
    CONSENT,
    Processes,
    hub_file,
    poll_json,
    wait_for_hub,
    with_line_account,
    write_yaml,
)
from tests.line_server import LocalLine, local_line, user_id

pytestmark = pytest.mark.slow

PRESS = [f"{n:02d}" for n in range(40)]  # a gateway and a button, pressed when it beeps
LINE = [f"{n:02d}" for n in range(40, 45)]  # a contact on LINE; the gateway is down
SILENT = [f"{n:02d}" for n in range(45, 50)]  # a gateway and a button nobody presses
REAL = PRESS[:4]  # these gateways are ``mimamori edge`` processes, the rest one pack
SUPPORT = {"00", "40", "47", "49"}  # 避難行動要支援者
PASSWORD = "e2e-password-rollcall"
MESSAGE = "震度6強の地震がありました。ご無事ですか。"


def register(root: Path, broker: PrivateBroker, http_port: int, line: LocalLine) -> Path:
    homes = PRESS + LINE + SILENT
    (root / "line.channels").write_text("")  # LINE is the contacts' only channel
    config = hub_file(
        root, broker, http_port,
        areas=[{"id": "town", "name": "町"}],
        gateways=[{"id": f"gw-{h}", "name": f"自宅 {h}", "lat": 26.28, "lon": 127.77,
                   "site": "home", "area": "town"} for h in homes],
        recipients=[{"id": f"r-{h}", "name": f"家族 {h}", "channels_file": "line.channels"}
                    for h in LINE],
        households=[{"id": f"hh-{h}", "name": f"お宅 {h}", "gateways": [f"gw-{h}"],
                     "people": [f"p-{h}"], "area": "town", "evacuation_support": h in SUPPORT}
                    for h in homes],
        people=[{"id": f"p-{h}", "name": f"住民 {h}", "consent": CONSENT, "area": "town",
                 "contacts": [f"r-{h}"] if h in LINE else []} for h in homes],
        families=[{"id": "f-1", "name": "家族", "households": ["hh-00"]}],
    )  # fmt: skip
    with_line_account(config, line)
    return config


def gateway_yaml(root: Path, broker: PrivateBroker, home: str, tty: Path) -> Path:
    # The daily check-in is due half a day away: no ladder step runs during the test.
    due = datetime.now(UTC).astimezone(ZoneInfo("Asia/Tokyo")) + timedelta(hours=12)
    return write_yaml(
        root / f"gw-{home}.yaml",
        {
            "gateway": {"id": f"gw-{home}", "name": "自宅", "site": "home", "lat": 26.28,
                        "lon": 127.77},
            "broker": {"host": "127.0.0.1", "port": broker.port, "keepalive_s": 5,
                       "reconnect_max_s": 3},
            "household": {"id": f"hh-{home}", "schedule": {"by": f"{due:%H:%M}"}},
            "buttons": [{"id": "door", "driver": "serial_button", "port": str(tty)}],
            "data_dir": f"data/gw-{home}",
            "status_interval_s": 2,
        },
    )  # fmt: skip


async def command(*args: str) -> str:
    """``mimamori ARGS`` as a process; what it printed."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mimamori", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def accounts(config: Path, root: Path) -> tuple[str, str, dict[str, str]]:
    """Staff's and the volunteer's bearer tokens, and each LINE contact's linking code,
    made by the real commands (side by side)."""
    (root / "password").write_text(PASSWORD)
    c, pw = ("--config", str(config)), ("--password-file", str(root / "password"))
    await asyncio.gather(
        command("hub", "user", "add", *c, "--id", "kita", "--name", "北の職員", "--role",
                "staff", "--area", "town", *pw),
        command("hub", "user", "add", *c, "--id", "yamashiro", "--name", "山城 (民生委員)",
                "--role", "volunteer", "--households", ",".join(f"hh-{h}" for h in SILENT), *pw),
    )  # fmt: skip
    made = await asyncio.gather(
        command("hub", "token", "create", *c, "--user", "kita", "--name", "e2e"),
        command("hub", "token", "create", *c, "--user", "yamashiro", "--name", "e2e"),
        *(command("hub", "line", "link", f"r-{h}", *c) for h in LINE),
    )
    codes = {}
    for home, out in zip(LINE, made[2:], strict=True):
        code = read_code(out.splitlines()[0].split("番号: ")[1].split("（")[0])
        assert code is not None, out
        codes[home] = code
    return made[0].strip(), made[1].strip(), codes


def buttons_known(db: Path) -> int:
    """Gateways the hub has as online with a serial button (their last status)."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        rows = conn.execute("SELECT status FROM gateways WHERE online = 1").fetchall()
    return sum(1 for (status,) in rows if status and "serial_button" in status)


async def until(check: Any, within: float, what: str) -> None:
    try:
        async with asyncio.timeout(within):
            while not await asyncio.to_thread(check):
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise AssertionError(f"never: {what}") from None


@pytest.mark.timeout(240)
async def test_fifty_homes_asked_forty_press_five_answer_in_line_five_are_visited(
    own_broker: PrivateBroker, procs: Processes, tmp_path: Path, http_port: int
) -> None:
    sims = {h: SimButton(tmp_path / f"tty-{h}", heartbeat_s=600) for h in PRESS + SILENT}
    told: dict[str, list[str]] = {h: [] for h in sims}

    def reminded(home: str, sim: SimButton) -> Any:
        def said(reminder: Reminder, state: str) -> None:
            told[home].append(state)
            if state == "on" and home in PRESS:  # somebody is home, and presses
                asyncio.get_running_loop().call_later(0.5, sim.press, "genki")

        return said

    line: LocalLine
    async with local_line() as line:
        for home, sim in sims.items():
            sim.on_reminder = reminded(home, sim)
            sim.plug()
        listening = [asyncio.create_task(sim.listen()) for sim in sims.values()]
        try:
            await street(procs, tmp_path, own_broker, http_port, line, told=told)
        finally:
            for task in listening:
                task.cancel()
            await asyncio.gather(*listening, return_exceptions=True)
            for sim in sims.values():
                sim.unplug()


async def street(
    procs: Processes, root: Path, broker: PrivateBroker, http_port: int, line: LocalLine,
    *, told: dict[str, list[str]],
) -> None:  # fmt: skip
    config = register(root, broker, http_port, line)
    procs.start("hub", "hub", "--config", str(config))
    await asyncio.to_thread(wait_for_hub, http_port)
    for home in REAL:
        procs.start(f"gw-{home}", "edge", "--config",
                    str(gateway_yaml(root, broker, home, root / f"tty-{home}")))  # fmt: skip
    packed = [str(gateway_yaml(root, broker, h, root / f"tty-{h}")) for h in PRESS[4:] + SILENT]
    with (procs.logs / "pack.log").open("ab") as out:
        procs.running["pack"] = subprocess.Popen(
            [sys.executable, "-m", "tests.e2e.gateway_pack", *packed],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    staff, volunteer, codes = await accounts(config, root)

    # The LINE contacts bind their LINE with the code the desk gave them.
    base = f"http://127.0.0.1:{http_port}"
    webhook = f"{base}/api/v1/line/webhook"
    users = {h: user_id() for h in LINE}
    for home in LINE:
        assert (await line.webhook(webhook, line.text(users[home], codes[home]))).is_success
    await until(lambda: all(line.replies_to(u) for u in users.values()), 30, "LINE bound")
    await until(lambda: buttons_known(root / "hub.sqlite3") == 45, 60, "45 gateways online")

    as_staff = httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {staff}"})
    as_volunteer = httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {volunteer}"}
    )
    async with as_staff, as_volunteer:
        started = await as_staff.post("/api/v1/rollcalls", json={"area": "town",
                                                                 "message": MESSAGE})  # fmt: skip
        assert started.status_code == 201, started.text
        assert {k: v for k, v in started.json().items() if k != "id"} == {
            "households": 50, "notices": 5, "buttons": 50,  # each home has a gateway listed
        }  # fmt: skip
        rollcall = f"/api/v1/rollcalls/{started.json()['id']}"

        # Five answer 元気です in LINE.
        await until(lambda: len(line.pushes) >= 5, 30, "five LINE messages")
        by_user = {p.to: p for p in line.pushes}
        assert set(by_user) == set(users.values())
        for home in LINE:
            fine = next(b for b in by_user[users[home]].buttons() if b["label"] == "元気です")
            postback = line.postback(users[home], fine["data"])
            assert (await line.webhook(webhook, postback)).is_success

        listed = await poll_json(as_staff, rollcall, lambda b: b["counts"]["safe"] == 45, 60)
        assert listed["counts"] == {"unanswered": 5, "seen": 0, "help": 0, "safe": 45}
        order = [h["household_id"] for h in listed["households"]]
        assert order[:5] == ["hh-47", "hh-49", "hh-45", "hh-46", "hh-48"]  # support first
        how = {h["household_id"]: h["how"] for h in listed["households"]}
        assert {how[f"hh-{h}"] for h in PRESS} == {"button"}
        assert {how[f"hh-{h}"] for h in LINE} == {"link"}
        button = {h["household_id"]: h["button"] for h in listed["households"]}
        assert {button[f"hh-{h}"] for h in PRESS + SILENT} == {"sent"}
        assert {button[f"hh-{h}"] for h in LINE} == {"not_possible"}  # their gateways are down
        assert all(told[h][:2] == ["on", "pressed"] for h in PRESS), told
        assert all(told[h] == ["on"] for h in SILENT), told  # beeping still

        # The volunteer sees the five silent homes only, and visits them.
        mine = (await as_volunteer.get(rollcall)).json()
        assert [h["household_id"] for h in mine["households"]] == order[:5]
        visits = dict(zip(order[:5], ["safe", "safe", "safe", "help", "not_home"], strict=True))
        for household, visit in visits.items():
            done = await as_volunteer.post(
                f"{rollcall}/visits", json={"household_id": household, "visit": visit}
            )
            assert done.status_code == 200, done.text

        ended = await as_staff.post(f"{rollcall}/end")
        assert ended.status_code == 200, ended.text
        report = ended.json()
        assert report["asked"] == 50
        assert report["counts"] == {
            "safe_button": 40, "safe_link": 5, "safe_visit": 3, "help": 1, "seen_only": 0,
            "not_home": 1, "none": 0,
        }  # fmt: skip
        assert report["never_reached"] == [order[4]]
        assert (await as_staff.get(f"{rollcall}/report")).json() == report
    # Every process stops cleanly on SIGTERM, the gateways before their buttons go.
    running = dict.fromkeys(procs.running, 0)
    assert await asyncio.to_thread(procs.stop_all) == running
