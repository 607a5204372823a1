"""``mimamori bench eid``: what resolving rotating ids costs as a town's tags grow.

For each number of tags: random identity keys (exponent 10: a new id every 1,024 s),
their clocks started at random, so their period boundaries are spread over time as in
a real town. Measured, on this machine, with the hub's own resolver:

* ``build``: the first table (every tag's window and history), and its size;
* ``per advert``: one resolution, for ids of our tags and for strangers' ids;
* ``refresh``: one whole rotation period of time passing, in one-minute steps as
  ingest would see it (every tag slides once), in total and per tag;
* ``late``: the first late event of a stretch of the past (its table is built);
* ``naive``: for comparison, resolving by computing every tag's window per advert
  (the loop over every key the table avoids), on fewer adverts.
"""

from __future__ import annotations

import json
import random
import time
import tracemalloc
from typing import Any

from mimamori.hub.eid.resolver import HISTORIC_SPAN_S, EidResolver, Outcome, TagClock
from mimamori.protocol.eid import compute_eid, eids_of_periods, period_at

EXPONENT = 10
PERIOD_S = 1 << EXPONENT
NOW = 1_790_000_000.0  # a fixed Unix time: the figures do not depend on the day
WINDOW, HISTORY = 2, 8  # the hub's defaults (hub.eid)


def _clocks(count: int, rng: random.Random) -> list[TagClock]:
    clocks = []
    for n in range(count):
        offset = rng.randrange(65_280, 1 << 30) - int(NOW)
        clocks.append(TagClock(f"eid:t{n}", rng.randbytes(16), EXPONENT, offset, offset))
    return clocks


def _per_advert_us(resolver: EidResolver, eids: list[bytes], at: float) -> tuple[float, int]:
    start = time.perf_counter()
    resolved = sum(resolver.resolve(eid, at).outcome == Outcome.RESOLVED for eid in eids)
    return (time.perf_counter() - start) / len(eids) * 1e6, resolved


def _naive_us(clocks: list[TagClock], eids: list[bytes], at: float) -> float:
    """Per advert: compute each tag's window, compare; what the table replaces."""
    start = time.perf_counter()
    for eid in eids:
        for c in clocks:
            centre = period_at(at, c.exponent, c.offset_lo)
            periods = range(centre - WINDOW, centre + WINDOW + 1)
            if eid in eids_of_periods(c.identity_key, c.exponent, periods):
                break
    return (time.perf_counter() - start) / len(eids) * 1e6


def measure(tags: int, lookups: int, naive_lookups: int, seed: int = 1) -> dict[str, Any]:
    rng = random.Random(seed)
    clocks = _clocks(tags, rng)

    start = time.perf_counter()
    resolver = EidResolver(clocks, now=NOW, window=WINDOW, history=HISTORY)
    build_s = time.perf_counter() - start

    ours = [rng.choice(clocks) for _ in range(lookups)]
    known = [compute_eid(c.identity_key, EXPONENT, int(NOW) + c.offset_lo) for c in ours]
    strangers = [rng.randbytes(8) for _ in range(lookups)]
    known_us, resolved = _per_advert_us(resolver, known, NOW)
    unknown_us, _ = _per_advert_us(resolver, strangers, NOW)

    computed = resolver.computed
    start = time.perf_counter()
    for step in range(1, PERIOD_S // 60 + 2):
        resolver.advance(NOW + 60 * step)
    refresh_s = time.perf_counter() - start
    slid = resolver.computed - computed

    start = time.perf_counter()
    resolver.resolve(rng.randbytes(8), NOW - 86_400)  # builds the table for that stretch
    late_s = time.perf_counter() - start

    naive_us = _naive_us(clocks, known[:naive_lookups], NOW) if naive_lookups else None
    return {
        "tags": tags,
        "table_entries": len(resolver),
        "build_s": round(build_s, 3),
        "per_advert_known_us": round(known_us, 2),
        "per_advert_unknown_us": round(unknown_us, 2),
        "resolved": f"{resolved}/{lookups}",
        "refresh_period_s": round(refresh_s, 3),
        "refresh_per_tag_us": round(refresh_s / max(slid, 1) * 1e6, 1),
        "eids_computed_per_period": slid,
        "late_table_s": round(late_s, 3),
        "late_table_span_s": HISTORIC_SPAN_S,
        "naive_per_advert_us": round(naive_us, 1) if naive_us is not None else None,
    }


def table_mb(tags: int) -> float:
    """Memory of the resolver's table for ``tags`` tags (tracemalloc, keys included)."""
    clocks = _clocks(tags, random.Random(2))
    tracemalloc.start()
    try:
        resolver = EidResolver(clocks, now=NOW, window=WINDOW, history=HISTORY)
        size, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del resolver
    return round(size / 1e6, 1)


def main(sizes: list[int], lookups: int, as_json: bool) -> int:
    rows = []
    for tags in sizes:
        naive = 2_000 if tags <= 100 else (200 if tags <= 1_000 else 20)
        row = measure(tags, lookups, naive)
        row["table_mb"] = table_mb(tags)
        rows.append(row)
    result = {
        "exponent": EXPONENT,
        "window_periods": WINDOW,
        "history_periods": HISTORY,
        "lookups": lookups,
        "results": rows,
    }
    if as_json:
        print(json.dumps(result))
        return 0
    print(
        f"Eddystone-EID resolution, exponent {EXPONENT} ({PERIOD_S} s), "
        f"window ±{WINDOW}, history {HISTORY}; {lookups} adverts each"
    )
    columns = [
        ("tags", "tags"),
        ("table_entries", "entries"),
        ("table_mb", "MB"),
        ("build_s", "build s"),
        ("per_advert_known_us", "ours µs"),
        ("per_advert_unknown_us", "stranger µs"),
        ("refresh_period_s", "refresh/period s"),
        ("refresh_per_tag_us", "per tag µs"),
        ("late_table_s", "late table s"),
        ("naive_per_advert_us", "naive µs"),
    ]
    print("  ".join(f"{title:>13}" for _, title in columns))
    for row in rows:
        print("  ".join(f"{row[key]!s:>13}" for key, _ in columns))
    return 0
