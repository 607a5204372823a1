"""No message is poison: generated messages, within the wire models and far beyond them,
against the real ``mimamori hub`` process and a real Mosquitto (docs/faults.md).

Hypothesis writes what one gateway account could publish on its own topics: events
and statuses built from the models' fields, with numbers and times past every bound
(huge integers, 1e300, NaN, years 1 and 9999), text with control characters, deep
nesting, more events than a batch may hold, statuses sent retained (handed to the
hub again at every start). After each example a valid sighting must still be stored
and ``/healthz`` must answer 200 with the database and the broker up and no loop
failing; at the end the hub is restarted with the retained poison still on the
broker and must do the same. The tally says what was sent and what came of it.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from paho.mqtt.enums import CallbackAPIVersion

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.protocol import EventDraft, EventKind, encode_batch, new_event_id
from tests.e2e.conftest import TAG, Processes, hub_file, start_hub
from tests.faults.conftest import Report

GW = "gw-one"
TOPIC = f"mimamori/v1/gw/{GW}"
EXAMPLES = 40
# The broker cuts off a client that sends a packet over its max_packet_size (270,000,
# configs/mosquitto.conf); up to that, what arrives is the hub's to refuse.
MAX_SENT = 260_000

huge = st.sampled_from([10**30, 2**63, 2**64, -(2**63) - 1, -1, 0, 2**53 + 1])
floats = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([1e300, -1e300])
numbers = st.integers(-(2**70), 2**70) | huge | floats
texts = st.text(max_size=30) | st.sampled_from(["\x00", "a\nb", "\x1b[31m", "x" * 5000, ""])
times = st.datetimes(
    # hypothesis bounds are naive; the times drawn carry UTC.
    min_value=datetime(1, 1, 2),  # noqa: DTZ001
    max_value=datetime(9999, 12, 30),  # noqa: DTZ001
    timezones=st.just(UTC),
).map(lambda t: t.isoformat().replace("+00:00", "Z")) | st.sampled_from(
    ["9999-12-31T23:59:59.999Z", "0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z",
     "2100-01-01T00:00:00Z", "2026-02-30T00:00:00Z", "now", ""]
)  # fmt: skip
anything = st.recursive(
    st.none() | st.booleans() | numbers | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)


def sometimes(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The model's own values mostly, past its bounds often, anything now and then."""
    return st.one_of(valid, valid, numbers, times, anything)


data_fields = {
    "tag": sometimes(st.just(TAG)),
    "receiver": sometimes(st.just("vm")),
    "rssi": sometimes(st.integers(-127, 20)),
    "adverts": sometimes(st.integers(0, 100)),
    "last_seen": sometimes(times),
    "search": sometimes(st.just("s-1")),
    "device": sometimes(st.just("door")),
    "card": sometimes(st.sampled_from(["genki", "soudan", "sos"])),
    "next_due": sometimes(times),
    "level": sometimes(st.integers(0, 9)),
    "due": sometimes(times),
    "battery_pct": sometimes(st.integers(0, 100)),
    "silent_s": sometimes(st.integers(0, 10**6)),
    "reason": sometimes(texts),
}
events = st.fixed_dictionaries(
    {
        "id": st.builds(new_event_id) | texts,
        "seq": sometimes(st.integers(1, 2**63 - 1)),
        "ts": sometimes(times),
        "kind": sometimes(st.sampled_from([k.value for k in EventKind])),
        "data": st.dictionaries(
            st.sampled_from(sorted(data_fields)), st.none(), max_size=5
        ).flatmap(lambda keys: st.fixed_dictionaries({k: data_fields[k] for k in keys})),
    }
)
batches = st.fixed_dictionaries(
    {"v": sometimes(st.just(1)), "gw": sometimes(st.just(GW)),
     "events": st.lists(events, min_size=1, max_size=4)},
    optional={"sent": sometimes(times)},
).map(lambda doc: (f"{TOPIC}/events", json.dumps(doc).encode(), False))  # fmt: skip
drivers = st.dictionaries(
    texts,
    st.fixed_dictionaries(
        {"driver": sometimes(texts), "state": sometimes(st.just("up"))},
        optional={"detail": texts, "last_frame": sometimes(times),
                  "counters": st.dictionaries(texts, numbers, max_size=3),
                  "heard": st.fixed_dictionaries({}, optional={
                      "last_min": numbers, "per_min": st.lists(numbers, max_size=17),
                      "until": sometimes(times), "last_advert": sometimes(times)})},
    ),
    max_size=2,
)  # fmt: skip
statuses = st.tuples(
    st.fixed_dictionaries(
        {"v": sometimes(st.just(1)), "gw": sometimes(st.just(GW)),
         "state": sometimes(st.sampled_from(["online", "offline"]))},
        optional={"ts": sometimes(times), "interval_s": sometimes(floats),
                  "counters": st.dictionaries(texts, numbers, max_size=4), "drivers": drivers,
                  "outbox": st.fixed_dictionaries({"depth": numbers}),
                  "household": st.fixed_dictionaries({"id": texts, "state": texts,
                                                      "next_due": times, "level": numbers})},
    ),
    st.booleans(),
).map(lambda s: (f"{TOPIC}/status", json.dumps(s[0]).encode(), s[1]))  # fmt: skip
deep = st.tuples(
    st.sampled_from(["events", "status"]),
    st.integers(50, 200_000),
    st.sampled_from(["[", '{"a":']),
    st.booleans(),
).map(lambda d: (f"{TOPIC}/{d[0]}", (d[2] * d[1]).encode()[:MAX_SENT], d[3]))


def _too_many() -> tuple[str, bytes, bool]:
    """A batch of 1,001 valid events: one more than a batch may hold."""
    draft = EventDraft(EventKind.TAG_SEEN, datetime.now(UTC), {"tag": TAG, "receiver": "vm"})
    one = json.loads(encode_batch(GW, [draft.numbered(new_event_id(), 1)]))["events"][0]
    doc = {"v": 1, "gw": GW, "events": [one | {"id": new_event_id(), "seq": n}
                                        for n in range(1, 1002)]}  # fmt: skip
    return f"{TOPIC}/events", json.dumps(doc).encode(), False


too_many = st.builds(_too_many)
messages = st.lists(st.one_of(batches, statuses, deep, too_many), min_size=1, max_size=3)


@dataclass
class PoisonTally:
    examples: int = 0
    messages: int = 0
    retained: int = 0
    sentinels_stored: int = 0
    healthz_ok: int = 0
    restarts: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        checks = self.examples + self.restarts
        return (
            f"{self.examples} examples, {self.messages} messages ({self.retained} retained); "
            f"a valid sighting after each stored {self.sentinels_stored}/{checks}, "
            f"/healthz 200 with db and broker up and no loop failing {self.healthz_ok}/"
            f"{checks}; hub restarts {self.restarts}; "
            f"set aside {self.quarantined}"
        )


class Harness:
    """A paho client publishing as the gateway, the hub's database and its /healthz."""

    def __init__(self, broker: PrivateBroker, db: Path, url: str) -> None:
        self.db, self.url = db, url
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id="poison-gw", protocol=mqtt.MQTTv5
        )
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()
        self.seq = 0

    def publish(self, topic: str, payload: bytes, retain: bool) -> None:
        deadline = time.monotonic() + 10
        while not self.client.is_connected() and time.monotonic() < deadline:
            time.sleep(0.02)
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(10)

    def sentinel(self) -> str:
        self.seq += 1
        event = EventDraft(EventKind.TAG_SEEN, datetime.now(UTC), {"tag": TAG, "receiver": "vm"})
        numbered = event.numbered(new_event_id(), self.seq)
        self.publish(f"{TOPIC}/events", encode_batch(GW, [numbered]), False)
        return numbered.id

    def stored(self, event_id: str, within: float = 15.0) -> bool:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            try:
                with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as db:
                    if db.execute("SELECT 1 FROM events WHERE id = ?", (event_id,)).fetchone():
                        return True
            except sqlite3.OperationalError:
                pass  # not created yet, or a writer holds it for a moment
            time.sleep(0.02)
        return False

    def healthy(self) -> bool:
        response = httpx.get(f"{self.url}/healthz", timeout=10)
        body = response.json()
        return (
            response.status_code == 200
            and body["db"] == "ok"
            and body["broker"] == "connected"
            and body["loops"]["failing"] == []
        )

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def test_no_generated_message_stops_the_hub_nor_a_valid_event_after_it(
    own_broker: PrivateBroker,
    procs: Processes,
    http_port: int,
    tmp_path: Path,
    report: Report,
) -> None:
    config = hub_file(tmp_path, own_broker, http_port)
    start_hub(procs, config, http_port)
    url = f"http://127.0.0.1:{http_port}"
    harness = Harness(own_broker, tmp_path / "hub.sqlite3", url)
    tally = PoisonTally()
    try:
        admin = token(config, "--admin")
        started = httpx.post(f"{url}/api/v1/searches", json={"person_id": "p-1"},
                             headers={"Authorization": f"Bearer {admin}"}, timeout=10)  # fmt: skip
        assert started.status_code == 201, started.text  # sightings of p-1 now notify

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=os.environ.get("MIMAMORI_FUZZ_RANDOM") != "1",
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                   HealthCheck.data_too_large],
        )  # fmt: skip
        @given(batch=messages)
        def one_example(batch: list[tuple[str, bytes, bool]]) -> None:
            tally.examples += 1
            for topic, payload, retain in batch:
                harness.publish(topic, payload, retain)
                tally.messages += 1
                tally.retained += retain
            assert harness.stored(harness.sentinel()), procs.log("hub")[-3000:]
            tally.sentinels_stored += 1
            assert harness.healthy(), httpx.get(f"{url}/healthz").text
            tally.healthz_ok += 1

        one_example()
        # Once more from the start: retained poison is handed to the hub again.
        procs.stop("hub")
        start_hub(procs, config, http_port)
        tally.restarts += 1
        assert harness.stored(harness.sentinel()), procs.log("hub")[-3000:]
        tally.sentinels_stored += 1
        assert asyncio.run(_eventually(harness.healthy))
        tally.healthz_ok += 1
        auth = {"Authorization": f"Bearer {admin}"}
        kept = httpx.get(
            f"{url}/api/v1/quarantine", params={"limit": 1000}, headers=auth, timeout=10
        ).json()
        for entry in kept:
            key = f"{'failed' if entry['failure'] else 'refused'} {entry['reason']}"
            tally.quarantined[key] = tally.quarantined.get(key, 0) + 1
        assert not any(e["failure"] for e in kept), kept  # refused, never failed
        assert "Traceback" not in procs.log("hub")
    finally:
        harness.close()
        report.add(tally, "generated poison on the gateway's topics, then a hub restart")


def token(config: Path, *who: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "mimamori", "hub", "token", "create", "--config", str(config),
         *who, "--name", "poison"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout.strip()


async def _eventually(check: Any, within: float = 20.0) -> bool:
    """The hub reconnects to the broker after its start: wait for it to say so."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if await asyncio.to_thread(check):
                return True
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.2)
    return False
