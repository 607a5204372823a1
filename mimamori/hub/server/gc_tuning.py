"""Settings of the hub's process as a whole, made once by ``mimamori hub`` as it starts."""

from __future__ import annotations

import gc

# CPython collects its youngest generation after every 700 allocations, and every
# tenth of those also the next. Ingest allocates several objects per event (decoded
# JSON, the validated event and its data, the row), so at 20,000 events a second the
# collector ran thousands of times a second, walking the bunch of up to 50,000 events
# still alive in a commit. With 10,000 it runs 14 times less often: `mimamori bench hub`
# measured 23,800 -> 28,700 events/s (docs/performance.md). Only cyclic garbage waits
# longer; everything else is freed at once by reference counting, as before.
GC_THRESHOLD = (10_000, 10, 10)


def tune_gc() -> None:
    """Collect cyclic garbage less often (see GC_THRESHOLD for why)."""
    gc.set_threshold(*GC_THRESHOLD)
