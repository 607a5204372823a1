"""How a benchmark shows its figures: a table for people, one JSON object for tools."""

from __future__ import annotations

import json
import os
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class Row:
    """One figure: what, how much, the target it is held against (if any), and whether
    it meets it (None: no target)."""

    what: str
    value: str
    target: str = ""
    met: bool | None = None


def latencies_ms(sorted_ms: list[float]) -> dict[str, float]:
    """p50, p99 (nearest rank below) and max of latencies in ms, sorted ascending."""
    return {
        "p50_ms": round(statistics.median(sorted_ms), 1),
        "p99_ms": round(sorted_ms[int(0.99 * (len(sorted_ms) - 1))], 1),
        "max_ms": round(sorted_ms[-1], 1),
    }


def machine() -> dict[str, Any]:
    """Where and when the figures were taken: they mean little without it."""
    load1, load5, _ = os.getloadavg()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpus": os.cpu_count(),
        "load_1m": round(load1, 2),
        "load_5m": round(load5, 2),
    }


def show(title: str, rows: list[Row], result: dict[str, Any], as_json: bool) -> None:
    """Print ``result`` as one JSON object, or ``rows`` as a table under ``title``."""
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
        return
    print(title)
    width = max(len(r.what) for r in rows)
    value_width = max(len(r.value) for r in rows)
    for r in rows:
        verdict = "" if r.met is None else ("met" if r.met else "MISSED")
        target = f"target {r.target}" if r.target else ""
        line = f"  {r.what:<{width}}  {r.value:>{value_width}}  {target:<22} {verdict}"
        print(line.rstrip())
    m = result.get("machine") or machine()
    print(f"  ({m['cpus']} CPUs, load {m['load_1m']} / {m['load_5m']} at {m['date']})")
