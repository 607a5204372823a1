"""A busy site, for real: CPU and memory of ``mimamori edge`` tracking many tags.

The real gateway process (``python -m mimamori edge``, which loads only what
``mimamori[edge]`` installs) reads a simulated receiver board on a pseudo-terminal
and publishes to a private Mosquitto. This process plays the board: ``rate`` advert
lines a second, going round ``tags`` tags, so each tag is heard every
``tags / rate`` seconds and all of them stay present. A subscriber counts the
``tag.arrived`` / ``tag.left`` events, which tells how many tags the gateway tracks.

Once every tag has arrived, the gateway's CPU time (user + system, all threads, from
``/proc/PID/stat``) is read over ``seconds`` of wall time: the share of one core a
site at that rate costs. Its resident memory (``VmRSS``, and the peak ``VmHWM``) is
read at the end, while it tracks all the tags.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from mimamori.bench import mimamori_command
from mimamori.bench.site import gateway_doc, town_tag
from mimamori.demo.mosquitto import PrivateBroker
from mimamori.firmware_sim.frames import adv_for_tag
from mimamori.firmware_sim.receiver import SimReceiver
from mimamori.mqtt import LinkSettings, Message, MqttLink
from mimamori.protocol.topics import events_topic

GW = "gw-site"
TICK_S = 0.05  # the board writes its lines in bursts this far apart
_CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (all its threads)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()  # after "(comm)": field 3 (state) is index 0
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def memory_mb(pid: int) -> dict[str, float]:
    """``VmRSS`` (resident now) and ``VmHWM`` (resident at its peak), in MiB."""
    found: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = round(int(value.split()[0]) / 1024, 1)
    return found


class _Tracked:
    """Tags the gateway reported as arrived and not yet left."""

    def __init__(self) -> None:
        self.present: set[str] = set()
        self.events = 0
        self.changed = asyncio.Event()

    def got(self, message: Message) -> None:
        for event in json.loads(message.payload)["events"]:
            self.events += 1
            tag = event["data"].get("tag")
            if event["kind"] == "tag.arrived":
                self.present.add(tag)
            elif event["kind"] == "tag.left":
                self.present.discard(tag)
        self.changed.set()


async def _board(receiver: SimReceiver, rate: int, tags: int) -> None:
    advs = [adv_for_tag(town_tag(n)) for n in range(tags)]
    addrs = [f"C0:00:00:00:{n // 256:02X}:{n % 256:02X}" for n in range(tags)]
    sent = 0
    start = time.monotonic()
    while True:
        due = int((time.monotonic() - start) * rate)
        while sent < due:
            n = sent % tags
            receiver.advert(addrs[n], -65, advs[n])
            sent += 1
        await asyncio.sleep(TICK_S)


async def run(rate: int, tags: int, seconds: float) -> dict[str, Any]:
    tracked = _Tracked()
    with tempfile.TemporaryDirectory(prefix="mimamori-bench-") as tmp:
        root = Path(tmp)
        with PrivateBroker(root / "broker") as broker, SimReceiver(root / "tty-vm") as receiver:
            listener = MqttLink(
                LinkSettings(
                    "127.0.0.1", broker.port, "bench-site", subscriptions=((events_topic(GW), 1),)
                ),
                on_message=tracked.got,
                name="bench listener",
            )
            config = root / "gw.yaml"
            doc = gateway_doc(GW, broker.port, str(receiver.link), root / "gw")
            config.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
            tasks = [asyncio.create_task(listener.run()), asyncio.create_task(receiver.run())]
            await asyncio.wait_for(listener.connected.wait(), 10)
            proc = subprocess.Popen(
                mimamori_command("edge", "--config", str(config)),
                stderr=subprocess.DEVNULL,
            )
            tasks.append(asyncio.create_task(_board(receiver, rate, tags)))
            try:
                # Warm-up: every tag heard once (tags / rate seconds) and reported.
                async with asyncio.timeout(30 + 2 * tags / rate):
                    while len(tracked.present) < tags:
                        tracked.changed.clear()
                        await tracked.changed.wait()
                wall0, cpu0 = time.monotonic(), cpu_seconds(proc.pid)
                await asyncio.sleep(seconds)
                wall, cpu = time.monotonic() - wall0, cpu_seconds(proc.pid) - cpu0
                memory = memory_mb(proc.pid)
            finally:
                proc.terminate()
                await asyncio.to_thread(proc.wait, 15)
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "rate_per_s": rate,
        "tags_tracked": len(tracked.present),
        "seconds": round(wall, 1),
        "cpu_pct": round(100 * cpu / wall, 2),
        "rss_mb": memory["VmRSS"],
        "rss_peak_mb": memory["VmHWM"],
        "events": tracked.events,
    }
