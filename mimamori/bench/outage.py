"""``mimamori bench alerts --outage N``: N alerts escalating at once (a town-wide outage).

A town of N homes under one policy (the family at once, the 民生委員 after 2 h, the care
centre after 6 h); every home misses its check-in at the same moment, so N alerts open
together and each of their steps comes due together. The hub's alert engine runs its
real loop (``AlertEngine.run``: a pass every 2 s, or when woken) on a clock that follows
real time and jumps, when every step of one round is taken, to the moment the next
round comes due: hours pass in an instant, and what is measured is how late each step is
taken after it came due, on the hub's clock (p50/p99/max). SQLite in a temporary
directory; the notifications are queued, not sent (``bench alerts`` measures delivery).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mimamori.bench import hub_files
from mimamori.hub.alerts.engine import AlertEngine
from mimamori.hub.config import load_hub_config
from mimamori.hub.register.loading import load_registry
from mimamori.hub.store.opening import open_store
from mimamori.protocol import EventDraft, EventKind, format_ts, new_event_id

STEPS_MIN = (0, 120, 360)
START = datetime(2031, 5, 12, 3, 0, tzinfo=UTC)
POLL_S = 0.02  # how often the taken steps are looked for: the figures' resolution


class JumpClock:
    """Real time from ``START``, moved forward at once by ``jump_to``."""

    def __init__(self) -> None:
        self._at, self._mono = START, time.monotonic()

    def __call__(self) -> datetime:
        return self._at + timedelta(seconds=time.monotonic() - self._mono)

    def jump_to(self, at: datetime) -> None:
        self._at, self._mono = at, time.monotonic()


def _document(root: Path, homes: int) -> dict[str, Any]:
    channels = root / "channels"
    channels.write_text("json://127.0.0.1:9/nobody\n")
    names = ("r-family", "r-minsei", "r-center")
    return {
        "hub": {"database": {"path": str(root / "hub.sqlite3")}, "broker": {"host": "x"}},
        "gateways": [
            {"id": f"gw-{n}", "name": f"自宅 {n}", "lat": 26.28, "lon": 127.77, "site": "home"}
            for n in range(homes)
        ],
        "recipients": [{"id": r, "name": r, "channels_file": str(channels)} for r in names],
        "policies": [
            {
                "id": "default",
                "steps": [
                    {"after_min": m, "notify": [r]} for m, r in zip(STEPS_MIN, names, strict=True)
                ],
            }
        ],
        "households": [
            {"id": f"hh-{n}", "name": f"お宅 {n}", "gateways": [f"gw-{n}"]} for n in range(homes)
        ],
    }


def _percentile(values: list[float], q: float) -> float:
    return round(values[min(len(values) - 1, int(q * len(values)))], 1)


async def run(homes: int) -> dict[str, Any]:
    # A thousand "alert opened" lines are the engine's, not the figures.
    logging.getLogger("mimamori.hub.alerts.engine").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="mimamori-bench-") as tmp:
        root = Path(tmp)
        config = load_hub_config(hub_files(root / "hub.yaml", _document(root, homes)))
        store = await open_store(config.hub.database)
        clock = JumpClock()
        engine = AlertEngine(config, await load_registry(store), store, clock=clock)
        due = (START - timedelta(days=1)).isoformat()
        events = [
            (f"gw-{n}", EventDraft(EventKind.CHECKIN_MISSED, START, {"level": 1, "due": due}))
            for n in range(homes)
        ]
        await store.ingest([(gw, e.numbered(new_event_id(), 1)) for gw, e in events], [], clock())
        lateness: list[float] = []
        rounds: list[dict[str, Any]] = []
        watch = sqlite3.connect(root / "hub.sqlite3")
        task = asyncio.create_task(engine.run())
        try:
            seen: set[int] = set()
            for minutes in STEPS_MIN:
                came_due = START + timedelta(minutes=minutes)
                if minutes:
                    clock.jump_to(came_due)  # the engine is not woken: its loop finds them
                began, late = time.monotonic(), list[float]()
                while len(late) < homes and time.monotonic() - began < 120:
                    await asyncio.sleep(POLL_S)
                    now_ms = clock().timestamp() * 1000
                    for row_id, due_at in watch.execute(
                        "SELECT id, due_at FROM escalations WHERE state = 'done' AND round = 0"
                    ):
                        if row_id not in seen:
                            seen.add(row_id)
                            late.append((now_ms - due_at) / 1000)
                late.sort()
                lateness += late
                rounds.append(
                    {"after_min": minutes, "taken": len(late), "max_s": round(late[-1], 2)}
                    if late else {"after_min": minutes, "taken": 0}
                )  # fmt: skip
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            watch.close()
            await store.close()
    lateness.sort()
    return {
        "alerts": homes,
        "steps": len(lateness),
        "expected_steps": homes * len(STEPS_MIN),
        "late_p50_s": _percentile(lateness, 0.50) if lateness else None,
        "late_p99_s": _percentile(lateness, 0.99) if lateness else None,
        "late_max_s": round(lateness[-1], 1) if lateness else None,
        "rounds": rounds,
        "when": format_ts(datetime.now(UTC)),
    }


def main(homes: int, as_json: bool) -> int:
    result = asyncio.run(run(homes))
    if as_json:
        print(json.dumps(result))
    else:
        print(f"{homes} alerts escalating at once: how late each step is taken (hub's clock)")
        for key, value in result.items():
            print(f"  {key:>14}: {value}")
    return 0 if result["steps"] == result["expected_steps"] else 1
