"""One hub ingest worker process for ``mimamori bench hub --store postgres --workers N``.

Run as ``python -m mimamori.bench.hub_worker SPEC`` (SPEC a JSON object: the broker's
port, the ``hub.database`` section, the worker's id). It plays what each ``mimamori
hub --config ...`` worker does at ingest, as the in-process bench does: the hub's
``Ingest`` (its own MQTT session, the events shared with the other workers), the
consent check, the store. Prints ``ready`` once subscribed; on a line on stdin (or
its end) it stops and prints its counters as one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from mimamori.bench.hub_ingest import _admission
from mimamori.hub.config import DatabaseSettings, HubBrokerSettings
from mimamori.hub.ingest.loop import Ingest
from mimamori.hub.model.clock import system_clock
from mimamori.hub.server.gc_tuning import tune_gc
from mimamori.hub.store.opening import open_store


async def run(spec: dict[str, Any]) -> dict[str, int]:
    tune_gc()
    settings = HubBrokerSettings(host="127.0.0.1", port=spec["port"])
    store = await open_store(DatabaseSettings.model_validate(spec["database"]))
    try:
        ingest = Ingest(
            settings, store, admission=_admission(), worker_id=spec["worker_id"], clock=system_clock
        )
        task = asyncio.create_task(ingest.run())
        try:
            await asyncio.wait_for(ingest.link.connected.wait(), 30)
            print("ready", flush=True)
            await asyncio.to_thread(sys.stdin.readline)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        return dict(ingest.counters)
    finally:
        await store.close()


def main() -> None:
    counters = asyncio.run(run(json.loads(sys.argv[1])))
    print(json.dumps(counters), flush=True)


if __name__ == "__main__":
    main()
