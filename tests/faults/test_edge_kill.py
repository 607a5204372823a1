"""The gateway killed with SIGKILL dozens of times, at random moments, under load.

A power cut or a crash can come at any moment: while the rules commit to the
outbox, while a batch is on the wire, between the hub's ack and the delete.
Half the kills come at a random moment; the other half are aimed: after a random
delay, the first time a thread of the daemon is seen writing or syncing a file
(the outbox is the only file it writes), it is killed there and then. The gateway
reaches its broker over a slow line (the fault proxy, up to 80 ms a packet, as a
shop's mobile router), so batches spend time on the wire.
After every kill the outbox files are checked (``PRAGMA integrity_check`` on a copy,
so the next start finds them as the kill left them) and the events they hold are
witnessed; at the end every event the gateway ever accepted must be at the hub
exactly once, under the id it was witnessed with.
"""

from __future__ import annotations

import asyncio
import platform
import random
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from mimamori.demo.mosquitto import PrivateBroker
from tests.faults.conftest import Report
from tests.faults.proxy import FaultProxy
from tests.faults.site import Site
from tests.faults.tally import Witness, hub_events, read_outbox

pytestmark = pytest.mark.slow

KILLS = 36
BUDGET_S = 60.0  # the kills stop here even if fewer were done
# Syscalls of SQLite writing or syncing its files (pwrite64, fsync, fdatasync).
_WRITING = {"x86_64": {18, 74, 75}, "aarch64": {68, 82, 83}}.get(platform.machine(), set())


def writing_to_disk(pid: int) -> bool:
    """Whether a thread of ``pid`` is in a write or sync syscall (a moment's sample)."""
    for syscall in Path(f"/proc/{pid}/task").glob("*/syscall"):
        try:
            first = syscall.read_text().split(maxsplit=1)[0]
        except (OSError, IndexError):
            continue
        if first.isdigit() and int(first) in _WRITING:
            return True
    return False


def kill_when_writing(proc: subprocess.Popen[bytes], within: float) -> bool:
    """Kill ``proc`` the moment it is seen writing; at the end of ``within`` anyway."""
    end = time.monotonic() + within
    while time.monotonic() < end:
        if writing_to_disk(proc.pid):
            proc.kill()
            return True
    proc.kill()
    return False


async def test_a_gateway_killed_dozens_of_times_delivers_every_accepted_event_once(
    own_broker: PrivateBroker, site: Site, report: Report, seed: int
) -> None:
    rng = random.Random(seed)
    await site.start_hub(site.hub_yaml(own_broker))
    await site.start_sources()
    async with FaultProxy(own_broker.port, seed=seed) as line:
        line.delay_s = 0.08
        config = site.gateway_yaml(line.port)
        witness, seen, kills = await _kill_repeatedly(site, config, rng)
        assert len(kills) >= 30, f"only {len(kills)} kills in {BUDGET_S} s"

        line.delay_s = 0.0
        site.start_edge(config)
        tally = await site.settle(witness)
        duplicates = site.hub_counters()["events_duplicate"]
    # A held event the hub stored within 250 ms of the kill went out before it (the
    # next daemon needs longer than that to start): killed with a batch on the wire,
    # between its PUBLISH and the delete that follows the hub's ack.
    stored_at = {s.seq: s.received_ms for s in hub_events(site.hub_db, "gw-one")}
    for killed_ms, held in kills:
        if held:
            seen["with accepted events not yet deleted"] += 1
        if any(stored_at.get(seq, killed_ms + 10**6) < killed_ms + 250 for seq in held):
            seen["with a batch on the wire"] += 1
    report.add(
        tally,
        f"{len(kills)} SIGKILLs (seed {seed}), {dict(seen)}; "
        f"{len(witness.seen)} events witnessed in the outbox after a kill; "
        f"re-sent copies ignored by the hub: {duplicates}",
    )
    tally.assert_exactly_once()
    assert len(witness.seen) > 0


async def _kill_repeatedly(
    site: Site, config: Path, rng: random.Random
) -> tuple[Witness, Counter[str], list[tuple[int, frozenset[int]]]]:
    witness = Witness()
    seen = Counter[str]()
    kills: list[tuple[int, frozenset[int]]] = []  # (when, ms; seqs the outbox held after)
    deadline = time.monotonic() + BUDGET_S
    while len(kills) < KILLS and time.monotonic() < deadline:
        site.start_edge(config)
        proc = site.procs.running.pop("edge")
        await asyncio.sleep(rng.uniform(0.2, 1.6) if len(kills) % 2 else rng.uniform(0.3, 1.0))
        killed_ms = time.time_ns() // 1_000_000
        if len(kills) % 2:
            if writing_to_disk(proc.pid):
                seen["random, while writing or syncing"] += 1
            proc.kill()
        elif await asyncio.to_thread(kill_when_writing, proc, 0.6):
            seen["aimed, while writing or syncing"] += 1
        proc.wait()
        if not site.outbox.exists():
            kills.append((killed_ms, frozenset()))
            continue
        after = read_outbox(site.outbox)
        assert after.integrity == "ok", f"kill {len(kills) + 1}: {after.integrity}"
        witness.record(after)
        kills.append((killed_ms, frozenset(h.seq for h in after.held)))
    return witness, seen, kills
