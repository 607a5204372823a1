"""A busy watch point for the fault tests, as the real commands in separate processes.

One gateway (``mimamori edge``) stands beside a vending machine whose receiver
(``mimamori sim walk``) hears a dozen tags standing close by, and has check-in
buttons (``mimamori sim button``) pressed several times a second. With the short
presence timings below it accepts some 15 events a second, of every kind the cap
policy treats differently: ``tag.seen`` (dropped first), ``tag.arrived``/``tag.left``
(dropped next) and check-ins (never dropped).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from mimamori.demo.mosquitto import PrivateBroker, wait_for_port
from tests.e2e.conftest import CONSENT, GATEWAYS, HUB_START_S, TOWN, Processes, hub_file, write_yaml
from tests.faults.tally import (
    Outboxed,
    Tally,
    Witness,
    check,
    hub_events,
    hub_status,
    peek_outbox,
    read_outbox,
)

GW = "gw-one"
TAGS = [f"ibeacon:{TOWN}:7:{n}" for n in range(1, 13)]
LEAVE_AFTER_S = 2.0
SOURCES = ("sim-tags", "sim-genki", "sim-sos")


class Site:
    """Where the processes of one test keep their files."""

    def __init__(self, root: Path, procs: Processes, http_port: int) -> None:
        self.root = root
        self.procs = procs
        self.http_port = http_port
        self.hub_db = root / "hub.sqlite3"
        self.outbox = root / "data" / GW / "outbox.sqlite3"
        self.receiver_tty = root / "tty-vm"
        self.button_ttys = {"genki": root / "tty-genki", "sos": root / "tty-sos"}

    def gateway_yaml(
        self,
        broker_port: int,
        *,
        max_events: int = 100_000,
        batch_size: int = 100,
        resend_after_s: float = 30.0,
    ) -> Path:
        name, lat, lon = GATEWAYS[GW]
        # Due two hours from now: presses close the period and no reminder fires.
        due = (datetime.now(UTC) + timedelta(hours=2)).astimezone(ZoneInfo("Asia/Tokyo"))
        return write_yaml(
            self.root / f"{GW}.yaml",
            {
                "gateway": {"id": GW, "name": name, "lat": lat, "lon": lon},
                "broker": {
                    "host": "127.0.0.1",
                    "port": broker_port,
                    "keepalive_s": 5,
                    "reconnect_max_s": 3,
                },
                "receivers": [
                    {
                        "id": "vm",
                        "driver": "serial_line",
                        "port": str(self.receiver_tty),
                        "silent_after_s": 30,
                        "reopen_max_s": 0.2,
                    }
                ],
                "tags": {"allow": [f"ibeacon:{TOWN}:*"]},
                "presence": {
                    "enter_rssi": -88,
                    "exit_rssi": -95,
                    "leave_after_s": LEAVE_AFTER_S,
                    "report_interval_s": 1,
                },
                "household": {"id": "hh-1", "schedule": {"by": f"{due:%H:%M}"}},
                "buttons": [
                    {
                        "id": card,
                        "driver": "serial_button",
                        "port": str(tty),
                        "silent_after_s": 3600,
                        "reopen_max_s": 0.2,
                    }
                    for card, tty in self.button_ttys.items()
                ],
                "outbox": {
                    "max_events": max_events,
                    "batch_size": batch_size,
                    "resend_after_s": resend_after_s,
                },
                "data_dir": f"data/{GW}",
                "status_interval_s": 1,
            },
        )

    def hub_yaml(self, broker: PrivateBroker) -> Path:
        # Every tag is held by someone with a consent on record: the hub keeps no
        # sighting of anyone else, and here every accepted event must be kept.
        people = [{"id": "p-1", "name": "比嘉 ツル", "tags": TAGS, "consent": CONSENT}]
        return hub_file(self.root, broker, self.http_port, people=people)

    # -- processes --------------------------------------------------------------------

    async def start_sources(self) -> None:
        _, lat, lon = GATEWAYS[GW]
        scenario = write_yaml(
            self.root / "scenario.yaml",
            {
                "seed": 6,
                "radio": {"path_loss_exponent": 2.0, "noise_db": 1.0, "loss": 0.05},
                "receivers": [{"id": "vm", "lat": lat, "lon": lon, "link": str(self.receiver_tty)}],
                # Standing a few metres from the machine: heard loud and clear.
                "tags": [{"tag": t, "interval_s": 0.2, "route": [[lat, lon]]} for t in TAGS],
            },
        )
        self.procs.start("sim-tags", "sim", "walk", "--scenario", str(scenario))
        for card, every in (("genki", "0.25"), ("sos", "1.5")):
            self.procs.start(
                f"sim-{card}", "sim", "button", "--link", str(self.button_ttys[card]),
                "--every-s", every, "--card", card,
            )  # fmt: skip
        ttys = [self.receiver_tty, *self.button_ttys.values()]
        await wait_until(lambda: all(t.exists() for t in ttys), 10, "the simulated boards")

    def stop_sources(self) -> None:
        for name in SOURCES:
            self.procs.stop(name)

    def start_edge(self, config: Path) -> None:
        self.procs.start("edge", "edge", "--config", str(config))

    async def start_hub(self, config: Path) -> None:
        self.procs.start("hub", "hub", "--config", str(config))
        await asyncio.to_thread(wait_for_port, "127.0.0.1", self.http_port, HUB_START_S)
        await wait_until(self.hub_connected, 20, "the hub's broker session")

    def hub_connected(self) -> bool:
        try:
            body = httpx.get(f"http://127.0.0.1:{self.http_port}/healthz", timeout=2).json()
        except httpx.HTTPError:
            return False
        return bool(body.get("broker") == "connected")

    def hub_counters(self) -> dict[str, int]:
        """The running hub's ingest counters (they start again at each hub start)."""
        body = httpx.get(f"http://127.0.0.1:{self.http_port}/healthz", timeout=5).json()
        return dict(body["ingest"])

    def kill(self, name: str) -> None:
        proc = self.procs.running.pop(name)
        proc.kill()
        proc.wait()

    # -- reading ----------------------------------------------------------------------

    def stored(self) -> int:
        return len(hub_events(self.hub_db, GW)) if self.hub_db.exists() else 0

    async def wait_for_events(self, n: int, within: float = 20.0) -> None:
        """Until the hub has stored at least ``n`` of the gateway's events."""
        await wait_until(lambda: self.stored() >= n, within, f"{n} events at the hub")

    async def settle(self, witness: Witness | None = None) -> Tally:
        """Stop the sources, let the gateway drain, stop it; then tally.

        The tags leave ``LEAVE_AFTER_S`` after the last advert (their ``tag.left``
        events are accepted events too), so the gateway is stopped only once its
        counter has stood still, its outbox is empty, and the tags have left.
        """
        self.stop_sources()
        stopped_at = time.monotonic()
        last = (-1, time.monotonic())

        def quiet() -> bool:
            nonlocal last
            now = time.monotonic()
            outbox = peek_outbox(self.outbox)
            if outbox.last_seq != last[0]:
                last = (outbox.last_seq, now)
            return (
                not outbox.held and now - last[1] >= 1.0 and now - stopped_at >= LEAVE_AFTER_S + 1.5
            )

        await wait_until(quiet, 60, "the gateway to drain")  # its backoff: up to 30 s
        # In a thread: a fault proxy on this loop must keep relaying the last status.
        assert await asyncio.to_thread(self.procs.stop, "edge") == 0, self.procs.log("edge")
        final = read_outbox(self.outbox)
        # A gateway that stops says so in a last status, with its outbox as it leaves it.
        # It reaches the hub behind whatever backlog a test left in the hub's session
        # (the hub-kill test leaves thousands of messages), hence the generous wait.
        try:
            await wait_until(
                lambda: (hub_status(self.hub_db, GW) or {}).get("state") == "offline",
                60,
                "the gateway's last status",
            )
        except AssertionError as exc:
            counters = self.hub_counters() if self.hub_connected() else "not connected"
            hub_log, edge_log = self.procs.log("hub")[-4000:], self.procs.log("edge")[-4000:]
            raise AssertionError(
                f"{exc}; hub: {counters}\n{hub_log}\n-- the gateway's log:\n{edge_log}"
            ) from None
        return await self.tally(final, witness)

    async def tally(self, final: Outboxed, witness: Witness | None = None) -> Tally:
        """The tally once the hub has caught up (or has stopped changing)."""
        seen = (-1, time.monotonic())

        def caught_up() -> bool:
            nonlocal seen
            t = check(final, hub_events(self.hub_db, GW), GW, witness)
            if t.delivered != seen[0]:
                seen = (t.delivered, time.monotonic())
            # A hub still in its reconnect backoff (up to 30 s after a long outage)
            # has not caught up yet; one connected and idle for 5 s has.
            return t.lost <= 0 or (time.monotonic() - seen[1] > 5.0 and self.hub_connected())

        await wait_until(caught_up, 60, "the hub to catch up")
        status = hub_status(self.hub_db, GW) or {}
        return check(final, hub_events(self.hub_db, GW), GW, witness, status.get("outbox"))


async def wait_until(
    predicate: Callable[[], bool], within: float, what: str, every: float = 0.1
) -> None:
    try:
        async with asyncio.timeout(within):
            while not predicate():
                await asyncio.sleep(every)
    except TimeoutError:
        raise AssertionError(f"waited {within} s for {what}") from None
