"""A few real gateways in the town: ``mimamori edge`` processes reading simulated boards.

Each stands at one of the town's watch points. The town's radio writes what that
receiver hears as advert lines on a pseudo-terminal (``firmware_sim.SimReceiver``,
with its heartbeat), and the real daemon does the rest: the serial driver, advert
parsing and the allow list, the presence rule, the SQLite outbox (``synchronous=FULL``)
and the uplink, with the same presence settings as the in-process watch points.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import yaml

from mimamori.bench import mimamori_command
from mimamori.bench.edge_site import cpu_seconds, memory_mb
from mimamori.bench.site import gateway_doc
from mimamori.bench.town_layout import Place, to_lat_lon
from mimamori.firmware_sim.frames import adv_for_tag
from mimamori.firmware_sim.receiver import SimReceiver


class RealEdge:
    """One watch point run by the real daemon."""

    def __init__(
        self, place: Place, root: Path, broker_port: int, status_interval_s: float
    ) -> None:
        self.place = place
        self.receiver = SimReceiver(root / "tty" / place.id)
        self.config = root / f"{place.id}.yaml"
        doc = gateway_doc(place.id, broker_port, str(self.receiver.link), root / "data" / place.id)
        lat, lon = to_lat_lon(place.xy)
        doc["gateway"].update({"name": f"見守り点 {place.id}", "lat": lat, "lon": lon})
        doc["status_interval_s"] = status_interval_s
        self.config.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        self.log = root / f"{place.id}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._advs: dict[str, bytes] = {}
        self.lines = 0

    def start(self) -> None:
        self.receiver.plug()
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                mimamori_command("edge", "--config", str(self.config)),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def hear(self, tag: str, address: str, rssi: int) -> None:
        adv = self._advs.get(tag)
        if adv is None:
            adv = self._advs[tag] = adv_for_tag(tag)
        if self.receiver.advert(address, rssi, adv):
            self.lines += 1

    def cpu_s(self) -> float:
        return cpu_seconds(self.pid)

    def rss_mb(self) -> float:
        return memory_mb(self.pid)["VmRSS"]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.receiver.unplug()


async def heartbeats(edges: list[RealEdge]) -> None:
    """Every board's heartbeat line, until cancelled."""
    async with asyncio.TaskGroup() as tg:
        for edge in edges:
            tg.create_task(edge.receiver.run(), name=f"board {edge.place.id}")
