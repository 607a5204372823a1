"""``mimamori demo``: the whole path on one machine, with real processes.

A private Mosquitto on a free loopback port, the hub, three gateways (real
``mimamori edge`` daemons, each reading a simulated receiver on a pty) standing
around Ginowan, Okinawa, and one simulated person walking past them (a new
gateway about every 30 s); and a home gateway with a simulated check-in button,
whose last month (one missed day among them) is decided by its own rules first.
It prints ``Map: <url>``, a family sign-in link for the demo family (the walking
person and the home), and ``Desk: <url>``, a staff sign-in link to the care centre's
desk, where a few more people and homes are registered (``desk.py``); Ctrl-C stops
everything it started. The demo's register (its
people, home, family and watch points) is written as YAML and moved into the hub's
database by ``mimamori hub import``, as a town does.
"""

from __future__ import annotations

import argparse
import logging
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from mimamori.demo.desk import staff_link
from mimamori.demo.history import fill_history
from mimamori.demo.mosquitto import PrivateBroker, free_port, wait_for_port
from mimamori.edge.config import load_gateway_config
from mimamori.errors import MimamoriError

log = logging.getLogger(__name__)

TOWN_UUID = "fda50693-a4e2-4fb1-afcf-c6eb07647825"
DEMO_TAG = f"ibeacon:{TOWN_UUID}:1:1"


@dataclass(frozen=True)
class DemoGateway:
    id: str
    name: str
    lat: float
    lon: float


# Three vending machines ~370 m apart on a street near Ginowan city hall. A walker
# at the demo's 12 m/s passes one about every 30 s.
GATEWAYS = (
    DemoGateway("gw-demo-1", "大山 自販機", 26.2790, 127.7760),
    DemoGateway("gw-demo-2", "市役所前 自販機", 26.2815, 127.7785),
    DemoGateway("gw-demo-3", "野嵩 商店", 26.2840, 127.7810),
)
DEMO_SPEED_MPS = 12.0
# A home with a check-in button, a few streets away; its gateway has no receiver.
HOME = DemoGateway("gw-demo-home", "自宅ゲートウェイ（宮城さん宅）", 26.2805, 127.7795)
HOUSEHOLD = "hh-demo"
BUTTON = "door"
BUTTON_EVERY_S = 60  # the simulated person presses 元気だよ every minute


def _dump(path: Path, doc: dict[str, Any], header: str) -> Path:
    path.write_text(f"# {header}\n" + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    return path


def write_files(root: Path, broker_port: int, http_port: int) -> dict[str, Path]:
    """Write the hub, gateway and scenario files of the demo into ``root``."""
    files: dict[str, Path] = {}
    files["hub"] = _dump(
        root / "hub.yaml",
        {
            "hub": {
                "http": {
                    "host": "127.0.0.1",
                    "port": http_port,
                    "public_url": f"http://127.0.0.1:{http_port}",
                },
                "database": {"path": "hub/hub.sqlite3"},
                "broker": {"host": "127.0.0.1", "port": broker_port},
            },
        },
        "mimamori demo hub (written by mimamori demo)",
    )
    files["register"] = _dump(
        root / "register.yaml",
        {
            "areas": [{"id": "ginowan-1", "name": "宜野湾市 第1地域包括支援センター"}],
            "gateways": [
                *({"id": g.id, "name": g.name, "lat": g.lat, "lon": g.lon} for g in GATEWAYS),
                {
                    "id": HOME.id,
                    "name": HOME.name,
                    "lat": HOME.lat,
                    "lon": HOME.lon,
                    "site": "home",
                },
            ],
            "people": [
                {
                    "id": "p-demo",
                    "name": "比嘉 ツル",
                    "reading": "ひが つる",
                    "description": "身長145cm、紺のカーディガン、杖",
                    "tags": [DEMO_TAG],
                    # the demo person's (imagined) signed form: without a consent on
                    # record the hub keeps none of her sightings (docs/privacy.md)
                    "consent": {
                        "by": "比嘉 太郎",
                        "relation": "family",
                        "at": "2026-01-05",
                        "purposes": ["location", "search"],
                    },
                },
                {"id": "p-demo-home", "name": "宮城 カマド", "reading": "みやぎ かまど"},
            ],
            "households": [
                {
                    "id": HOUSEHOLD,
                    "name": "宮城さん宅",
                    "gateways": [HOME.id],
                    "people": ["p-demo-home"],
                }
            ],
            # The demo family watches both, so one sign-in link shows the map and the home.
            "families": [
                {
                    "id": "f-demo",
                    "name": "比嘉家",
                    "people": ["p-demo"],
                    "households": [HOUSEHOLD],
                }
            ],
        },
        "mimamori demo register (written by mimamori demo; imported by mimamori hub import)",
    )
    for g in GATEWAYS:
        files[g.id] = _dump(
            root / f"{g.id}.yaml",
            {
                "gateway": {"id": g.id, "name": g.name, "lat": g.lat, "lon": g.lon},
                "broker": {"host": "127.0.0.1", "port": broker_port, "keepalive_s": 10},
                "receivers": [
                    {
                        "id": "vm",
                        "driver": "serial_line",
                        "port": str(root / "tty" / g.id),  # where the sim makes its link
                        "silent_after_s": 30,
                    }
                ],
                "tags": {"allow": [f"ibeacon:{TOWN_UUID}:*"]},
                # Demo speed: a short memory, so the map shows "left" between gateways.
                "presence": {
                    "enter_rssi": -88,
                    "exit_rssi": -95,
                    "leave_after_s": 10,
                    "report_interval_s": 5,
                },
                "data_dir": f"data/{g.id}",
                "status_interval_s": 15,
            },
            f"mimamori demo gateway {g.id} (written by mimamori demo)",
        )
    files[HOME.id] = _dump(
        root / f"{HOME.id}.yaml",
        {
            "gateway": {
                "id": HOME.id,
                "name": HOME.name,
                "site": "home",
                "lat": HOME.lat,
                "lon": HOME.lon,
            },
            "broker": {"host": "127.0.0.1", "port": broker_port, "keepalive_s": 10},
            "household": {
                "id": HOUSEHOLD,
                "schedule": {"by": "10:00", "grace_min": 60},
                # Demo ladder: others are told 6 h after the deadline, so a missed
                # day shows on the calendar the same day.
                "ladder": [
                    {"after_h": 0, "level": 0},
                    {"after_h": 6, "level": 1},
                    {"after_h": 72, "level": 2},
                ],
            },
            "buttons": [
                {"id": BUTTON, "driver": "serial_button", "port": str(root / "tty" / HOME.id)}
            ],
            "data_dir": f"data/{HOME.id}",
            "status_interval_s": 15,
        },
        f"mimamori demo home gateway {HOME.id} (written by mimamori demo)",
    )
    first, last = GATEWAYS[0], GATEWAYS[-1]
    files["scenario"] = _dump(
        root / "scenario.yaml",
        {
            "seed": 7,
            "radio": {"path_loss_exponent": 2.0, "noise_db": 2.0, "loss": 0.1},
            "receivers": [
                {"id": g.id, "lat": g.lat, "lon": g.lon, "link": f"tty/{g.id}"} for g in GATEWAYS
            ],
            "tags": [
                {
                    "tag": DEMO_TAG,
                    "interval_s": 0.5,
                    # Start a little before the first machine, end a little past the last.
                    "route": [
                        [first.lat - 0.0008, first.lon - 0.0008],
                        *[[g.lat, g.lon] for g in GATEWAYS],
                        [last.lat + 0.0008, last.lon + 0.0008],
                    ],
                    "speed_mps": DEMO_SPEED_MPS,
                    "back_and_forth": True,
                }
            ],
        },
        "mimamori demo: one person walking past three vending machines",
    )
    (root / "tty").mkdir(exist_ok=True)
    return files


class Processes:
    """The demo's child processes: started in order, stopped in reverse."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        out = (self.logs / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "mimamori", *args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us only; we stop them in order
        )
        out.close()
        self.children.append((name, proc))
        return proc

    def dead(self) -> list[str]:
        return [name for name, proc in self.children if proc.poll() is not None]

    def stop(self) -> None:
        for _name, proc in reversed(self.children):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for name, proc in reversed(self.children):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in time; killing it", name)
                proc.kill()
                proc.wait()


def _wait_for(predicate: Any, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise MimamoriError(f"timed out waiting for {what}")
        time.sleep(0.1)


def import_register(hub_config: Path, register: Path, log_file: Path) -> None:
    """``mimamori hub import``: the demo's register into the hub's database."""
    with log_file.open("ab") as out:
        subprocess.run(
            [sys.executable, "-m", "mimamori", "hub", "import", "--config", str(hub_config),
             "--register", str(register)],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, check=True,
        )  # fmt: skip


def signin_link(hub_config: Path) -> str:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "mimamori",
            "hub",
            "link",
            "--config",
            str(hub_config),
            "--family",
            "f-demo",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"https?://\S+", out)
    if match is None:
        raise MimamoriError(f"no sign-in link in {out!r}")
    return match.group(0)


def main(args: argparse.Namespace) -> int:
    root: Path = args.dir or Path(tempfile.mkdtemp(prefix="mimamori-demo-"))
    root = root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    logs = root / "logs"
    logs.mkdir(exist_ok=True)
    keep = args.dir is not None
    stopping = False

    def on_signal(_sig: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    broker = PrivateBroker(root / "broker")
    procs = Processes(logs)
    clean = False
    try:
        broker.start()
        http_port = args.http_port or free_port()
        files = write_files(root, broker.port, http_port)
        procs.start("sim", "sim", "walk", "--scenario", str(files["scenario"]))
        _wait_for(
            lambda: all((root / "tty" / g.id).exists() for g in GATEWAYS), "the simulated receivers"
        )
        button_link = root / "tty" / HOME.id
        procs.start(
            "button", "sim", "button", "--link", str(button_link), "--every-s", str(BUTTON_EVERY_S)
        )
        home_config = load_gateway_config(files[HOME.id])
        log.info("deciding a month of check-ins: %d events", fill_history(home_config, BUTTON))
        _wait_for(button_link.exists, "the simulated check-in button")
        import_register(files["hub"], files["register"], logs / "import.log")
        procs.start("hub", "hub", "--config", str(files["hub"]))
        wait_for_port("127.0.0.1", http_port, timeout=20)
        for g in (*GATEWAYS, HOME):
            procs.start(g.id, "edge", "--config", str(files[g.id]))
        print(f"Demo files and logs: {root}", flush=True)
        print(f"Map: {signin_link(files['hub'])}", flush=True)
        base = f"http://127.0.0.1:{http_port}"
        print(f"Desk: {staff_link(files['hub'], root, base)}", flush=True)
        print("Ctrl-C stops the demo.", flush=True)
        while not stopping:
            if dead := procs.dead():
                print(f"stopped unexpectedly: {', '.join(dead)} (see {logs})", file=sys.stderr)
                return 1
            time.sleep(0.2)
        clean = True
        return 0
    except (MimamoriError, subprocess.CalledProcessError, OSError, httpx.HTTPError) as exc:
        print(f"demo failed: {exc} (logs in {logs})", file=sys.stderr)
        return 1
    finally:
        procs.stop()
        broker.stop()
        print("Demo stopped.", flush=True)
        if clean and not keep:  # a failed demo keeps its logs to read
            shutil.rmtree(root, ignore_errors=True)
