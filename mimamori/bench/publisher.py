"""Gateways publishing as fast as the broker takes it: the load of ``mimamori bench hub``.

Runs as its own process (``python -m mimamori.bench.publisher SPEC``) so that
publishing does not share a core, or a GIL, with what is measured. It prepares
every message first: ``events`` presence events of ``gateways`` gateways, ``batch``
to a message on each gateway's events topic, encoded as the gateway's uplink
encodes them (numbered by an outbox, JSON as stored; each gateway's outbox epoch and
the seq before the batch, so the hub acknowledges end to end; ``sent`` is the time the
message was made, seconds before it is published). It says ``ready``, waits for a
line on stdin, then publishes them all at QoS 1 over ``connections`` MQTT links,
each with at most ``window`` messages unacknowledged (the gateway uplink's window),
and prints a JSON line with its own time when the last PUBACK came back.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from mimamori.bench.site import town_tag
from mimamori.edge.uplink import WINDOW
from mimamori.mqtt import LinkSettings, MqttLink
from mimamori.protocol.codec import encode_event_bodies
from mimamori.protocol.events import EventDraft, EventKind, new_epoch, new_event_id
from mimamori.protocol.topics import events_topic

TAGS = 5_000  # distinct tags the events name (each a registered person's, with consent)


def messages(events: int, gateways: int, batch: int, seed: int) -> list[tuple[str, bytes]]:
    """(topic, payload) of every message, gateways taking turns, seq rising per gateway."""
    start = datetime.now(UTC) - timedelta(hours=1)
    seqs = [0] * gateways
    epochs = [new_epoch() for _ in range(gateways)]
    out = []
    made = 0
    n = 0
    while made < events:
        gw_n = n % gateways
        gw = f"gw-{seed}-{gw_n:05d}"
        size = min(batch, events - made)
        after = seqs[gw_n]
        bodies = []
        for i in range(size):
            seqs[gw_n] += 1
            tag = town_tag((made + i) % TAGS)
            data = {"tag": tag, "receiver": "vm", "rssi": -70, "adverts": 57}
            ts = start + timedelta(milliseconds=made + i)
            draft = EventDraft(EventKind.TAG_SEEN, ts, data)
            bodies.append(draft.numbered(new_event_id(), seqs[gw_n]).model_dump_json())
        payload = encode_event_bodies(
            gw, bodies, sent=datetime.now(UTC), epoch=epochs[gw_n], after=after
        )
        out.append((events_topic(gw), payload))
        made += size
        n += 1
    return out


async def _publish(spec: dict[str, Any]) -> dict[str, Any]:
    todo = messages(spec["events"], spec["gateways"], spec["batch"], spec["seed"])
    links = [
        MqttLink(LinkSettings("127.0.0.1", spec["port"], f"bench-pub-{spec['seed']}-{i}"))
        for i in range(spec["connections"])
    ]
    tasks = [asyncio.create_task(link.run()) for link in links]
    for link in links:
        await asyncio.wait_for(link.connected.wait(), 10)
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    start = time.perf_counter()

    async def one_link(link: MqttLink, share: list[tuple[str, bytes]]) -> None:
        slots = asyncio.Semaphore(spec["window"])

        async def send(topic: str, payload: bytes) -> None:
            try:
                await link.publish(topic, payload, qos=1)
            finally:
                slots.release()

        async with asyncio.TaskGroup() as tg:
            for topic, payload in share:
                await slots.acquire()
                tg.create_task(send(topic, payload))

    async with asyncio.TaskGroup() as tg:
        for i, link in enumerate(links):
            tg.create_task(one_link(link, todo[i :: len(links)]))
    seconds = time.perf_counter() - start
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"messages": len(todo), "seconds": round(seconds, 3)}


def main(spec_json: str) -> int:
    spec = {"connections": 4, "window": WINDOW, "seed": 0, **json.loads(spec_json)}
    print(json.dumps(asyncio.run(_publish(spec))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
