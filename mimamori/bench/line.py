"""``mimamori bench line``: a LINE fan-out across a hub SIGKILL (issue 17).

N notices are queued in the hub's durable notification queue (the store's own
``queue_notifications``, as the alert engine queues them) for 100 contacts bound to LINE
users; the real hub (``mimamori hub``, its own process, SQLite file, real Mosquitto)
pushes them through LINE's SDK to a local LINE (``line_local.py``) that holds it to a
rate limit with 429s: LINE's documented 2,000 pushes a second per channel (Messaging API
reference, "Rate limits") unless ``--limit`` says otherwise. The hub's own pace is 90 %
of the limit (``hub.line.push_per_s``, LINE asks for a margin). When ``--kill-at`` of
the notices are accepted the hub is SIGKILLed, then started again, and the bench waits
for the queue to drain.

Prints: notices queued, accepted by LINE, lost (never accepted: must be 0), duplicates
(a notice LINE accepted twice: the retry key prevents them; pushes repeated after the
kill are refused by LINE with 409 and counted as such), the peak per second against the
limit and the mean rate of each run of the hub, queue-to-accepted p50/p99, the time to
drain. Exit status 1 when a notice is lost or duplicated, or a 429 came back.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sqlite3
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from mimamori.bench import hub_files, mimamori_command
from mimamori.bench.line_local import NOTICE, BenchLine
from mimamori.bench.report import Row, latencies_ms, machine, show
from mimamori.demo.mosquitto import PrivateBroker, free_port, wait_for_port
from mimamori.hub.config import load_hub_config
from mimamori.hub.line.linking import issue_code, redeem
from mimamori.hub.model.alerts import LINE_CHANNEL, NotificationDraft
from mimamori.hub.store.opening import open_store

LINE_LIMIT = 2000  # pushes a second per channel (Messaging API reference, "Rate limits")
MARGIN = 0.9  # the hub's pace against the limit (hub/line/pace.py: LINE asks for a margin)
CONTACTS = 100  # family members bound to LINE; notice n goes to contact n % CONTACTS
CHUNK = 500  # notices queued per transaction
TOKEN = "bench-channel-access-token"
SECRET = "0123456789abcdef0123456789abcdef"
STALL_S = 180.0  # no notice accepted this long: the rest are lost (a 429's retry: 30 s+)


def _contact(n: int) -> str:
    return f"r-line-{n:03d}"


def _write_config(root: Path, broker_port: int, http_port: int, line: BenchLine) -> Path:
    (root / "line.secret").write_text(SECRET)
    (root / "line.token").write_text(TOKEN)
    none = root / "none.channels"
    none.write_text("")  # LINE is each contact's only channel
    doc = {
        "hub": {
            "database": {"path": str(root / "hub.sqlite3")},
            "http": {"host": "127.0.0.1", "port": http_port},
            "broker": {"host": "127.0.0.1", "port": broker_port, "keepalive_s": 30},
            "line": {
                "channel_secret_file": str(root / "line.secret"),
                "access_token_file": str(root / "line.token"),
                "api_url": line.url,
                "monthly_allowance": 10_000_000,  # a paid plan: the count is not measured
                "push_per_s": round(line.limit * MARGIN, 3),
            },
        },
        "recipients": [
            {"id": _contact(n), "name": f"家族 {n:03d}", "channels_file": str(none)}
            for n in range(CONTACTS)
        ],
    }
    return hub_files(root / "hub.yaml", doc)


async def _bind_and_queue(config: Path, notices: int) -> list[float]:
    """Bind each contact to a LINE user (the code a contact sends, redeemed), then queue
    the notices; returns each notice's queue time (wall clock, seconds)."""
    store = await open_store(load_hub_config(config).hub.database)
    queued: list[float] = []
    try:
        now = datetime.now(UTC)
        for n in range(CONTACTS):
            code = await issue_code(store, _contact(n), now, timedelta(hours=1))
            await redeem(store, code.code, f"U{n:032x}", now)
        for first in range(0, notices, CHUNK):
            at = time.time()
            drafts = [
                NotificationDraft(
                    None, _contact(n % CONTACTS), LINE_CHANNEL, f"bench-line-{n}",
                    NOTICE.format(n=n), "",
                )
                for n in range(first, min(notices, first + CHUNK))
            ]  # fmt: skip
            await store.queue_notifications(drafts, datetime.fromtimestamp(at, UTC))
            queued += [at] * len(drafts)
    finally:
        await store.close()
    return queued


class _Hub:
    def __init__(self, config: Path, http_port: int, log: Path) -> None:
        self.http_port = http_port
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                mimamori_command("hub", "--config", str(config)),
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip

    async def ready(self) -> None:
        await asyncio.to_thread(wait_for_port, "127.0.0.1", self.http_port, 60.0)

    async def paced(self) -> int:
        async with httpx.AsyncClient() as client:
            answer = await client.get(f"http://127.0.0.1:{self.http_port}/healthz", timeout=30)
        return int(answer.json().get("line", {}).get("pushes_paced", 0))

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


async def _until(line: BenchLine, count: int) -> None:
    """Until ``count`` notices are accepted, or none has been for ``STALL_S``."""
    seen, since = line.distinct(), time.monotonic()
    while line.distinct() < count and time.monotonic() - since < STALL_S:
        await asyncio.sleep(0.02)
        if line.distinct() != seen:
            seen, since = line.distinct(), time.monotonic()


def _states(db: Path) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        rows = conn.execute("SELECT state, COUNT(*) FROM notifications GROUP BY state")
        return {str(state): int(count) for state, count in rows}


def _rate(times: list[float]) -> float:
    return round(len(times) / (times[-1] - times[0]), 1) if len(times) > 1 else 0.0


async def _run(root: Path, notices: int, limit: int, kill_at: float) -> dict[str, Any]:
    began = machine()  # the load as the run begins, as every bench reports it
    with PrivateBroker(root / "broker") as broker:
        line = BenchLine(free_port(), TOKEN, limit)
        await line.start()
        http_port = free_port()
        config = _write_config(root, broker.port, http_port, line)
        hub = _Hub(config, http_port, root / "hub.log")
        try:
            await hub.ready()
            queued = await _bind_and_queue(config, notices)
            await _until(line, max(1, int(notices * kill_at)))
            hub.kill()
            killed_at, before_kill = time.time(), line.distinct()
            hub = _Hub(config, http_port, root / "hub.log")
            await hub.ready()
            back_at = time.time()
            await _until(line, notices)
            paced = await hub.paced()
        finally:
            hub.stop()
            await line.stop()
    first = {n: times[0] for n, times in line.accepted.items()}
    delays = sorted((first[n] - queued[n]) * 1000 for n in first if n < notices)
    accepted = sorted(first.values())
    spread = latencies_ms(delays) if delays else {}
    return {
        "notices": notices,
        "accepted": len(first),
        "lost": notices - len(first),
        "duplicates": sum(len(times) - 1 for times in line.accepted.values()),
        "repeated_409": line.again,
        "refused_429": line.limited,
        "limit_per_s": limit,
        "hub_pace_per_s": round(limit * MARGIN, 3),
        "peak_per_s": line.peak,
        "rate_before_kill_per_s": _rate([t for t in accepted if t <= killed_at]),
        "rate_after_restart_per_s": _rate([t for t in accepted if t > killed_at]),
        "accepted_before_kill": before_kill,
        "hub_down_s": round(back_at - killed_at, 2),
        "drain_s": round(accepted[-1] - queued[0], 2) if accepted else None,
        "restart_to_drained_s": round(accepted[-1] - back_at, 2) if accepted else None,
        "pushes_paced": paced,
        "queue_states": _states(root / "hub.sqlite3"),
        **{f"queue_to_accepted_{k}": v for k, v in spread.items()},
        "machine": began,
    }


def _rows(found: dict[str, Any]) -> list[Row]:
    limit = found["limit_per_s"]
    return [
        Row("notices queued", str(found["notices"])),
        Row("accepted by LINE", str(found["accepted"]), str(found["notices"]),
            found["accepted"] == found["notices"]),
        Row("lost", str(found["lost"]), "0", found["lost"] == 0),
        Row("duplicates (accepted twice)", str(found["duplicates"]), "0",
            found["duplicates"] == 0),
        Row("repeated after the kill (409)", str(found["repeated_409"])),
        Row("refused for the rate (429)", str(found["refused_429"]), "0",
            found["refused_429"] == 0),
        Row("peak requests in 1 s", str(found["peak_per_s"]), f"<= {limit}",
            found["peak_per_s"] <= limit),
        Row("rate before the kill", f"{found['rate_before_kill_per_s']}/s"),
        Row("rate after the restart", f"{found['rate_after_restart_per_s']}/s"),
        Row("pushes that waited their turn", str(found["pushes_paced"])),
        Row("queue -> accepted p50", f"{found.get('queue_to_accepted_p50_ms')} ms"),
        Row("queue -> accepted p99", f"{found.get('queue_to_accepted_p99_ms')} ms"),
        Row("hub down (kill -> listening)", f"{found['hub_down_s']} s"),
        Row("time to drain", f"{found['drain_s']} s"),
    ]  # fmt: skip


def main(notices: int, limit: int, kill_at: float, as_json: bool) -> int:
    if not 0 < kill_at < 1:
        raise SystemExit(f"--kill-at {kill_at}: a share of the notices, between 0 and 1")
    with tempfile.TemporaryDirectory(prefix="mimamori-bench-line-") as tmp:
        found = asyncio.run(_run(Path(tmp), notices, limit, kill_at))
    title = (
        f"bench line: {notices} notices through the hub's queue to a local LINE allowing "
        f"{limit}/s (the hub paced at {found['hub_pace_per_s']}/s), the hub SIGKILLed "
        f"after {found['accepted_before_kill']} were accepted"
    )
    show(title, _rows(found), found, as_json)
    good = found["lost"] == 0 and found["duplicates"] == 0 and found["refused_429"] == 0
    return 0 if good else 1
