"""End-to-end harness: the real commands as separate processes, on loopback.

Every process is ``python -m mimamori ...`` (what a technician runs), logs to a
file under the test's tmp dir, and is stopped with SIGTERM at the end; a process
that does not stop cleanly fails the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from mimamori.demo.mosquitto import PrivateBroker, free_port, wait_for_port
from mimamori.hub.line.codes import read_code
from tests.line_server import SECRET, TOKEN, LocalLine

# How long a hub may take to listen before the test calls it broken: ~4 s on an idle
# machine (importing line-bot-sdk's models is half of it), several times that on a
# loaded one (20 s was passed at load 10). A bound for failing, not a timing.
HUB_START_S = 60


def wait_for_hub(http_port: int, timeout: float = HUB_START_S) -> None:
    """The hub listens and has subscribed at its broker (``/healthz`` says "connected"):
    an event a test publishes before that has nobody to go to on a broker that never
    saw the hub's session, and is lost, as MQTT says it should be."""
    wait_for_port("127.0.0.1", http_port, timeout=timeout)
    deadline = time.monotonic() + timeout
    broker = "?"
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            broker = httpx.get(f"http://127.0.0.1:{http_port}/healthz", timeout=5).json()["broker"]
            if broker in ("connected", "off"):
                return
        time.sleep(0.1)
    raise AssertionError(f"the hub on port {http_port} did not subscribe in {timeout} s: {broker}")


TOWN = "fda50693-a4e2-4fb1-afcf-c6eb07647825"
TAG = f"ibeacon:{TOWN}:7:7"
CONSENT = {"by": "比嘉 太郎", "relation": "family", "at": "2026-10-01", "purposes": ["location"]}

GATEWAYS = {
    "gw-one": ("大山 自販機", 26.2790, 127.7760),
    "gw-two": ("市役所前 自販機", 26.2815, 127.7785),
}


def write_yaml(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


class Processes:
    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        with (self.logs / f"{name}.log").open("ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "mimamori", *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.running[name] = proc
        return proc

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def stop(self, name: str, timeout: float = 15.0) -> int:
        proc = self.running.pop(name)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError(
                f"{name} did not stop within {timeout} s:\n{self.log(name)}"
            ) from None

    def stop_all(self) -> dict[str, int]:
        return {name: self.stop(name) for name in reversed(list(self.running))}


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[Processes]:
    logs = tmp_path / "logs"
    logs.mkdir()
    running = Processes(logs)
    yield running
    for name in list(running.running):
        with contextlib.suppress(AssertionError):  # the test failed already
            running.stop(name)


def hub_file(root: Path, broker: PrivateBroker, http_port: int, **registry: Any) -> Path:
    """The hub's YAML (its service settings) and its register, imported into its
    database by ``mimamori hub import`` as a process, as a town does once; ``registry``
    replaces the register's gateways, people, households, families..."""
    config = write_yaml(
        root / "hub.yaml",
        {
            "hub": {
                "http": {"port": http_port, "public_url": f"http://127.0.0.1:{http_port}"},
                "database": {"path": "hub.sqlite3"},
                "broker": {
                    "host": "127.0.0.1",
                    "port": broker.port,
                    "keepalive_s": 5,
                    "reconnect_max_s": 3,
                },
            },
        },
    )
    register = write_yaml(
        root / "register.yaml",
        {
            "gateways": [
                {"id": gid, "name": name, "lat": lat, "lon": lon}
                for gid, (name, lat, lon) in GATEWAYS.items()
            ],
            "people": [{"id": "p-1", "name": "比嘉 ツル", "tags": [TAG], "consent": CONSENT}],
            "families": [{"id": "f-1", "name": "比嘉家", "people": ["p-1"]}],
        }
        | registry,
    )
    import_register(config, register)
    return config


def import_register(config: Path, register: Path) -> str:
    """``mimamori hub import`` as a process; what it printed."""
    done = subprocess.run(
        [sys.executable, "-m", "mimamori", "hub", "import", "--config", str(config),
         "--register", str(register)],
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def gateway_file(root: Path, gid: str, broker: PrivateBroker, port: Path, **presence: Any) -> Path:
    name, lat, lon = GATEWAYS[gid]
    return write_yaml(
        root / f"{gid}.yaml",
        {
            "gateway": {"id": gid, "name": name, "lat": lat, "lon": lon},
            "broker": {
                "host": "127.0.0.1",
                "port": broker.port,
                "keepalive_s": 5,
                "reconnect_max_s": 3,
            },
            "receivers": [
                {
                    "id": "vm",
                    "driver": "serial_line",
                    "port": str(port),
                    "silent_after_s": 30,
                    "reopen_max_s": 1,
                }
            ],
            "tags": {"allow": [f"ibeacon:{TOWN}:*"]},
            "presence": {
                "enter_rssi": -88,
                "exit_rssi": -95,
                "leave_after_s": 4,
                "report_interval_s": 2,
                **presence,
            },
            "data_dir": f"data/{gid}",
            "status_interval_s": 2,
        },
    )


def start_hub(procs: Processes, config: Path, http_port: int) -> str:
    procs.start("hub", "hub", "--config", str(config))
    wait_for_hub(http_port)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "mimamori",
            "hub",
            "token",
            "create",
            "--config",
            str(config),
            "--family",
            "f-1",
            "--name",
            "e2e",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def admin_token(config: Path) -> str:
    made = subprocess.run(
        [sys.executable, "-m", "mimamori", "hub", "token", "create", "--config", str(config),
         "--admin", "--name", "e2e-admin"],
        capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    return made.stdout.strip()


async def poll_json(client: httpx.AsyncClient, url: str, predicate: Any, within: float) -> Any:
    """GET ``url`` until ``predicate(body)`` holds; the last body is in the failure."""
    body: Any = None
    try:
        async with asyncio.timeout(within):
            while True:
                response = await client.get(url)
                response.raise_for_status()
                body = response.json()
                if predicate(body):
                    return body
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise AssertionError(f"{url} never matched; last: {body}") from None


@pytest.fixture
def http_port() -> int:
    return free_port()


def walk_past_both(root: Path, *, seed: int, interval_s: float) -> tuple[Path, dict[str, Path]]:
    """A scenario: one tag waits out of range while the gateways start (a loaded
    machine may take seconds), walks past the first machine to the second and stays
    there. Returns the scenario file and each receiver's pty link."""
    ttys = {gid: root / f"tty-{gid}" for gid in GATEWAYS}
    one, two = (GATEWAYS[g] for g in GATEWAYS)
    scenario = write_yaml(
        root / "scenario.yaml",
        {
            "seed": seed,
            "radio": {"path_loss_exponent": 2.0, "noise_db": 1.0, "loss": 0.05},
            "receivers": [
                {"id": gid, "lat": lat, "lon": lon, "link": str(ttys[gid])}
                for gid, (_, lat, lon) in GATEWAYS.items()
            ],
            "tags": [
                {
                    "tag": TAG,
                    "interval_s": interval_s,
                    "route": [
                        [one[1] - 0.001, one[2] - 0.001],
                        [one[1], one[2]],
                        [two[1], two[2]],
                    ],
                    "speed_mps": 25.0,
                    "start_delay_s": 6.0,
                }
            ],
        },
    )
    return scenario, ttys


async def start_town(
    procs: Processes, root: Path, broker: PrivateBroker, scenario: Path, ttys: dict[str, Path]
) -> None:
    """``mimamori sim walk`` for the receivers, then one ``mimamori edge`` for each."""
    procs.start("sim", "sim", "walk", "--scenario", str(scenario))
    async with asyncio.timeout(10):
        while not all(t.exists() for t in ttys.values()):
            await asyncio.sleep(0.05)
    for gid in GATEWAYS:
        procs.start(gid, "edge", "--config", str(gateway_file(root, gid, broker, ttys[gid])))


def with_line_account(config: Path, line: LocalLine) -> None:
    """Give the hub's config the town's LINE account, its API the local LINE."""
    root = config.parent
    (root / "line.secret").write_text(SECRET)
    (root / "line.token").write_text(TOKEN)
    doc = yaml.safe_load(config.read_text(encoding="utf-8"))
    doc["hub"]["line"] = {"channel_secret_file": "line.secret",
                          "access_token_file": "line.token", "api_url": line.url}  # fmt: skip
    write_yaml(config, doc)


def link_code(config: Path, recipient: str) -> str:
    """The one-time LINE code ``mimamori hub line link`` prints for ``recipient``."""
    out = subprocess.run(
        [sys.executable, "-m", "mimamori", "hub", "line", "link", recipient,
         "--config", str(config)],
        capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL,
    ).stdout  # fmt: skip
    code = read_code(out.splitlines()[0].split("番号: ")[1].split("（")[0])
    assert code is not None, out
    return code
