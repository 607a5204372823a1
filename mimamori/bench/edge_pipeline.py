"""The edge pipeline's throughput: receiver lines -> presence rules -> outbox, on one core.

The gateway daemon itself (``EdgeDaemon``, its ``serial_line`` driver, its rules
task and its SQLite outbox with ``synchronous=FULL``) runs in a child process pinned
to one CPU, reading a pseudo-terminal exactly as it reads a receiver board. This
process plays a board that never stops talking: it writes pre-made advert lines
(site.py's mix) with blocking writes, so the pty's buffer paces it to whatever the
gateway takes. The broker is unreachable on purpose (an outage): the figure is
parse -> rules -> outbox, not the uplink.

Measured in the child, from the first advert decided to the last: adverts decided
per second of wall time, CPU used meanwhile (all threads, including SQLite's), and
adverts shed because the rules fell behind (the daemon counts them; none should be).
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import tty
from pathlib import Path
from typing import Any

from mimamori.bench.site import gateway_doc, site_lines

WRITE_CHUNK = 65536
STALL_S = 10.0  # no advert decided for this long: the run is over, whatever it reached


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _child(spec: dict[str, Any]) -> dict[str, Any]:
    from mimamori.edge.config import GatewayConfig
    from mimamori.edge.daemon import EdgeDaemon

    doc = gateway_doc("gw-bench", spec["broker_port"], spec["port"], Path(spec["data_dir"]))
    daemon = EdgeDaemon(GatewayConfig.model_validate(doc))
    counters = daemon.counters
    total = int(spec["adverts"])

    def handled() -> int:
        return counters["adverts"] + counters["adverts_shed"]

    task = asyncio.create_task(daemon.run(), name="daemon")
    await asyncio.wait_for(daemon.ready.wait(), 30)
    # Ready means the port is open, not only the daemon: opening a serial port
    # discards what is waiting in it (pyserial flushes its input), so lines written
    # before would be lost (under load, the open comes late enough for that).
    while any(d.status().state != "up" for d in daemon.drivers):
        await asyncio.sleep(0.005)
    print("ready", flush=True)
    while handled() == 0:
        await asyncio.sleep(0.001)
    start, cpu0, first = time.perf_counter(), _cpu_s(), handled()
    seen, progress_at = first, start
    while (now := handled()) < total and time.perf_counter() - progress_at < STALL_S:
        if now != seen:
            seen, progress_at = now, time.perf_counter()
        await asyncio.sleep(0.005)
    wall, cpu = time.perf_counter() - start, _cpu_s() - cpu0
    if handled() < total:  # some lines never became adverts: report what was, not hang
        wall = progress_at - start
    daemon.stop()
    await task
    outbox = daemon.outbox
    assert outbox is not None
    decided = counters["adverts"] - first
    return {
        "adverts": counters["adverts"],
        "adverts_per_s": round(decided / wall),
        "adverts_shed": counters["adverts_shed"],
        "seconds": round(wall, 2),
        "cpu_pct": round(100 * cpu / wall, 1),
        "events": counters["events"],
        "outbox_depth": outbox.depth,
    }


def child_main(spec_json: str) -> int:
    """Entry point of the pinned child (``python -m mimamori.bench.edge_pipeline SPEC``)."""
    import logging

    logging.basicConfig(level=logging.ERROR)
    spec = json.loads(spec_json)
    os.sched_setaffinity(0, {int(spec["cpu"])})  # before any thread starts: all inherit it
    print(json.dumps(asyncio.run(_child(spec))), flush=True)
    return 0


def _write_all(master: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(master, view[:WRITE_CHUNK])
        view = view[written:]


def run(adverts: int, tags: int) -> dict[str, Any]:
    """Run the pipeline over ``adverts`` lines from ``tags`` town tags; figures as a dict."""
    from mimamori.demo.mosquitto import free_port  # here: the child imports this module too

    data = site_lines(adverts, tags)
    cpu = max(os.sched_getaffinity(0))
    master, slave = os.openpty()
    tty.setraw(slave)
    with tempfile.TemporaryDirectory(prefix="mimamori-bench-") as tmp:
        spec = {
            "port": os.ttyname(slave),
            "broker_port": free_port(),  # nothing listens there: the uplink waits
            "data_dir": str(Path(tmp) / "gw"),
            "adverts": adverts,
            "cpu": cpu,
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "mimamori.bench.edge_pipeline", json.dumps(spec)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None
            if proc.stdout.readline().strip() != "ready":
                raise RuntimeError("the gateway under test did not start")
            writer = threading.Thread(target=_write_all, args=(master, data), daemon=True)
            writer.start()
            line = proc.stdout.readline()
            proc.wait(30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            os.close(master)
            os.close(slave)
    if not line:
        raise RuntimeError("the gateway under test gave no figures")
    result: dict[str, Any] = json.loads(line)
    result.update(tags=tags, cpu=cpu)
    return result


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1]))
