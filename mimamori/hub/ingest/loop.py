"""Ingest: MQTT -> decode -> store (one commit) -> acknowledge -> after the commit.

The hub keeps a persistent MQTT session (``session.py``: fixed client id, clean_start
off; several workers: one each, sharing the events through an MQTT v5 shared
subscription) and acknowledges each message only after the transaction holding its
events has committed. If the hub dies in between, the broker still holds the message and
delivers it again; the store ignores events it already has (by id). So nothing
the broker accepted is lost, and nothing is stored twice.

Invalid payloads are acknowledged too (they will never become valid), counted by
reason, logged with the gateway's id and kept aside in the quarantine, at most once a
minute per gateway and reason so a misbehaving gateway cannot flood either
(``aside.py``). Decoding
is a pure function (``ingest_decode.decode_message``): whatever bytes arrive on
whatever topic, it returns what is valid and names the rest; it never raises. A
payload over the protocol's size limit (``MAX_PAYLOAD_BYTES``) is refused unread as
``too_large``; the broker refuses larger packets still (``max_packet_size``).

No message is poison (docs/faults.md). When storing a bunch of messages fails while
the database answers, the data is the trouble: the bunch is stored message by
message, and a message that fails alone event by event; what still fails is kept in
the quarantine with the reason, counted, logged once, and acknowledged, and the next
message is handled. When the database does not answer, nothing is acknowledged and
the bunch waits for it, as before.

Time is the hub's (``clock.py``): each event is placed on the hub's clock before it
is stored; the gateway's own time is kept as evidence, and a gateway whose clock is
wrong is recorded (``clock_watch.py``) and shown to the technicians.

Events of tags with rotating ids are resolved before the commit (eid/service.py):
stored under the tag's registry id, or dropped (unknown: counted; replayed: counted
and logged like a rejection).

Sightings the hub may not keep (``admission``: no consent on record, a tag nobody
holds; the store: a forgotten person's tag) are dropped before the commit and
counted as ``sightings_dropped_<reason>`` (docs/privacy.md).

What is new after the commit goes to the hub's one after-commit step (live pages, the
alert engine: ``live/after_commit.py``), as a peer's relayed sightings do.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from mimamori.hub.config import HubBrokerSettings
from mimamori.hub.eid.service import EidService, drop_eids
from mimamori.hub.ingest.acks import Acks
from mimamori.hub.ingest.aside import Aside
from mimamori.hub.ingest.clock_watch import ClockWatch
from mimamori.hub.ingest.decode import Decoded, Rejection, decode_message
from mimamori.hub.ingest.session import link_settings
from mimamori.hub.live.after_commit import AfterCommit
from mimamori.hub.model.clock import Clock, clock_offset, place
from mimamori.hub.model.events import StoredEvent
from mimamori.hub.privacy.admission import Admission
from mimamori.hub.store.port import Store
from mimamori.mqtt import Message, MqttLink, backoff_delay
from mimamori.protocol.codec import Claim
from mimamori.protocol.events import Event
from mimamori.protocol.status import GatewayStatus

__all__ = ["Decoded", "Ingest", "Rejection", "decode_message", "link_settings"]

log = logging.getLogger(__name__)

T = TypeVar("T")

# Mosquitto 2.0 lets an MQTT v5 subscriber that names no Receive Maximum have up to
# 65,535 messages unacknowledged, so under load a commit does take this many: with
# 100 events a message, 50,000 events in one transaction, about 0.5 s on a 2-core
# machine. Fewer messages a commit cost more than they save (`mimamori bench hub`,
# 100 instead of 500: 16,000 -> 11,000 events/s at 10 events a message).
MAX_MESSAGES_PER_COMMIT = 500
# Connected this long with no backlog, the hub receives messages as they are sent, so
# a gateway's clock found behind ours is the clock, not a wait in the broker.
LIVE_AFTER_S = 60.0
# A single event that fails alone is tried this often before it is set aside: a
# database that answers a ping may still refuse a write for a moment (a lock).
ATTEMPTS_ALONE = 3


class _DataFault(Exception):
    """Storing failed while the database answers: the data is the trouble."""


@dataclass
class _Unit:
    """What one MQTT message brought (or one event of it), on the hub's clock."""

    message: Message
    gateway: str
    events: list[tuple[str, Event]] = field(default_factory=list)
    statuses: list[GatewayStatus] = field(default_factory=list)
    device_times: dict[str, datetime] = field(default_factory=dict)
    claims: list[tuple[str, Claim]] = field(default_factory=list)  # to acknowledge

    def atoms(self) -> list[_Unit]:
        one = [
            _Unit(self.message, self.gateway, [e], [], _only(self.device_times, e[1].id))
            for e in self.events
        ]
        return one + [_Unit(self.message, self.gateway, [], [s]) for s in self.statuses]


def _only(times: dict[str, datetime], event_id: str) -> dict[str, datetime]:
    return {event_id: times[event_id]} if event_id in times else {}


class Ingest:
    def __init__(
        self,
        settings: HubBrokerSettings,
        store: Store,
        *,
        after_commit: AfterCommit | None = None,
        eid: EidService | None = None,
        relayed: set[str] | None = None,
        admission: Admission | None = None,
        worker_id: str | None = None,
        clock: Clock,
    ) -> None:
        self.store = store
        self.after_commit = after_commit
        self.eid = eid
        self.admission = admission
        self.clock = clock
        self.clocks = ClockWatch(store)
        # Rotating ids named by a neighbouring town's search: kept as they came (we hold
        # no key for them) so they can be sent back; the set is kept by SearchService.
        self.relayed = relayed if relayed is not None else set()
        self._queue: asyncio.Queue[Message] = asyncio.Queue()
        self.link = MqttLink(
            link_settings(settings, worker_id),
            on_message=self._queue.put_nowait,
            on_connected=lambda: self.acks.announce(),  # noqa: PLW0108 (made below)
            name="hub ingest",
        )
        self.acks = Acks(store, self.link, now=clock)
        self.counters: dict[str, int] = {
            "messages": 0,
            "events_stored": 0,
            "events_duplicate": 0,
            "events_rejected": 0,
            "payloads_rejected": 0,
            "statuses": 0,
            "store_retries": 0,
            "eid_resolved": 0,
            "eid_unknown": 0,  # dropped at once, never stored
            "eid_rotations_merged": 0,
            "sightings_dropped_forgotten": 0,
            "events_time_placed": 0,  # stored at the hub's time, not the gateway's
            "handling_failed": 0,  # events and statuses set aside after failing alone
            "quarantined": 0,
        }
        self.aside = Aside()
        self._generation = -1
        self._connected_at = 0.0

    @property
    def connected(self) -> bool:
        return self.link.connected.is_set()

    async def run(self) -> None:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self.link.run(), name="ingest-link")
            tg.create_task(self._consume(), name="ingest-consume")
            tg.create_task(self.acks.run(), name="ingest-acks")

    async def _consume(self) -> None:
        while True:
            messages = [await self._queue.get()]
            while not self._queue.empty() and len(messages) < MAX_MESSAGES_PER_COMMIT:
                messages.append(self._queue.get_nowait())
            await self.handle(messages)

    async def handle(self, messages: list[Message]) -> None:
        """Store a bunch of messages in one commit, then acknowledge them all."""
        received = self.clock()
        live = self._live(messages)
        units = [self._unit(message, received, live) for message in messages]
        new_events = await self._store_isolating(units, received)
        await self._set_aside(received)
        for message in messages:
            self.link.ack(message)  # only now: the commit is on disk
        # End to end (acks.py): what was stored, refused or set aside is decided for good.
        self.acks.confirm([claim for unit in units for claim in unit.claims])
        self.counters["messages"] += len(messages)
        self.counters["statuses"] += sum(len(u.statuses) for u in units)
        new_events += await self._learn(received)
        if self.after_commit is not None:
            self.after_commit(new_events)  # never raises

    # -- one message -> a unit on the hub's clock -------------------------------------

    def _live(self, messages: list[Message]) -> bool:
        newest = messages[-1].generation
        if newest != self._generation:
            self._generation, self._connected_at = newest, time.monotonic()
        quiet = time.monotonic() - self._connected_at >= LIVE_AFTER_S
        return quiet and len(messages) < MAX_MESSAGES_PER_COMMIT

    def _unit(self, message: Message, received: datetime, live: bool) -> _Unit:
        decoded = decode_message(message.topic, message.payload)
        for rejection in decoded.rejected:
            self._rejected(message, rejection)
        gateway = decoded.events[0][0] if decoded.events else "?"
        unit = _Unit(message, gateway, statuses=decoded.statuses, claims=decoded.claims)
        offset = clock_offset(decoded.sent, received, live=live)
        if offset is not None and decoded.events:
            self.clocks.observe(gateway, offset)
        for status in decoded.statuses:
            unit.gateway = status.gw
            if not message.retain and status.ts is not None:
                measured = clock_offset(status.ts, received, live=live)
                if measured is not None:
                    self.clocks.observe(status.gw, measured)
        for gateway_id, said in decoded.events:
            placed = place(said.ts, received, offset)
            event = said
            if placed.moved:
                unit.device_times[said.id] = said.ts
                event = said.model_copy(update={"ts": placed.ts})
                self.counters["events_time_placed"] += 1
            unit.events.append((gateway_id, event))
        return unit

    def _rejected(self, message: Message, rejection: Rejection) -> None:
        failure = rejection.reason == "decode_failed"
        self.counters["payloads_rejected" if rejection.whole else "events_rejected"] += 1
        key = f"rejected_{rejection.reason}"
        self.counters[key] = self.counters.get(key, 0) + 1
        if self.aside.once_a_minute(rejection.gateway, rejection.reason):
            log.warning(
                "rejected from gateway %s (%s): %s",
                rejection.gateway,
                rejection.reason,
                rejection.message,
            )
            self.aside.keep(message, rejection.gateway, rejection.reason, rejection.message,
                            failure=failure, payload=message.payload)  # fmt: skip

    # -- storing, isolating what fails -------------------------------------------------

    async def _store_isolating(self, units: list[_Unit], received: datetime) -> list[StoredEvent]:
        try:
            return await self._store(units, received)
        except _DataFault:
            pass
        new: list[StoredEvent] = []
        for unit in units:  # one message at a time...
            try:
                new += await self._store([unit], received)
                continue
            except _DataFault:
                pass
            for atom in unit.atoms():  # ... and one event at a time
                new += await self._store_alone(atom, received)
        return new

    async def _store_alone(self, atom: _Unit, received: datetime) -> list[StoredEvent]:
        fault: _DataFault | None = None
        for attempt in range(ATTEMPTS_ALONE):
            try:
                return await self._store([atom], received)
            except _DataFault as exc:
                fault = exc
                await asyncio.sleep(0.05 * (attempt + 1))
        cause = fault.__cause__ if fault is not None else None
        where = "status" if atom.statuses else "event"
        detail = f"storing failed: {type(cause).__name__}: {str(cause)[:300]}"
        body = (atom.statuses[0] if atom.statuses else atom.events[0][1]).model_dump_json()
        self.counters["handling_failed"] += 1
        if self.aside.once_a_minute(atom.gateway, f"store_{where}"):
            log.error("gateway %s: an %s could not be stored: %s", atom.gateway, where, detail)
        self.aside.keep(atom.message, atom.gateway, f"store_{where}", detail, failure=True,
                        payload=body.encode())  # fmt: skip
        return []

    async def _store(self, units: list[_Unit], received: datetime) -> list[StoredEvent]:
        events = [e for u in units for e in u.events]
        statuses = [s for u in units for s in u.statuses]
        if not events and not statuses:
            return []
        device_times = {k: v for u in units for k, v in u.device_times.items()}
        events = await self._guarded(lambda: self._resolve(events), len(units))
        if self.admission is not None:
            admission = self.admission
            events, dropped = await self._guarded(lambda: admission.admit(events), len(units))
            for reason, count in dropped.items():
                key = f"sightings_dropped_{reason}"
                self.counters[key] = self.counters.get(key, 0) + count
        result = await self._guarded(
            lambda: self.store.ingest(events, statuses, received, device_times=device_times),
            len(units),
        )
        self.counters["events_stored"] += len(result.new_events)
        self.counters["events_duplicate"] += result.duplicates
        self.counters["sightings_dropped_forgotten"] += result.forgotten
        return result.new_events

    async def _guarded(self, step: Callable[[], Awaitable[T]], messages: int) -> T:
        """Run a step of storing; while the database does not answer, hold (nothing is
        acknowledged) and try again; when it answers, the failure is the data's."""
        attempt = 0
        while True:
            try:
                result = await step()
            except Exception as exc:
                if await self._database_answers():
                    raise _DataFault(str(exc)) from exc
                self.counters["store_retries"] += 1
                if attempt == 0:
                    log.error("store failed, holding %d message(s): %s", messages, exc)
                await asyncio.sleep(backoff_delay(attempt, 0.2, 10.0))
                attempt += 1
                continue
            if attempt:
                log.info("store recovered after %d retries", attempt)
            return result

    async def _database_answers(self) -> bool:
        try:
            return await self.store.ping()
        except Exception:
            return False

    async def _resolve(self, events: list[tuple[str, Event]]) -> list[tuple[str, Event]]:
        """Rotating ids resolved to registry tags; the unresolvable never reach the store
        (but for those a peer's search asked for)."""
        kept: list[tuple[str, Event]] = []
        if self.relayed:
            kept = [(g, e) for g, e in events if e.tag in self.relayed]
            events = [(g, e) for g, e in events if e.tag not in self.relayed]
        if self.eid is None:
            events, dropped = drop_eids(events)
            self.counters["eid_unknown"] += dropped
            return kept + events
        found = await self.eid.resolve(events)
        self.counters["eid_resolved"] += found.resolved
        self.counters["eid_unknown"] += found.unknown
        self.counters["eid_rotations_merged"] += found.merged
        for gateway, tag, why in found.replays:
            key = "rejected_eid_replay"
            self.counters[key] = self.counters.get(key, 0) + 1
            if self.aside.once_a_minute(gateway, "eid_replay"):
                log.warning("rejected from gateway %s (eid_replay): %s: %s", gateway, tag, why)
        return kept + found.events

    # -- after the commit --------------------------------------------------------------

    async def _set_aside(self, at: datetime) -> None:
        aside = self.aside.take()
        if not aside:
            return
        try:
            await self._guarded(lambda: self.store.quarantine(aside, at), len(aside))
        except _DataFault as fault:
            log.error("could not keep %d message(s) aside: %s", len(aside), fault)
            return
        self.counters["quarantined"] += len(aside)

    async def _learn(self, received: datetime) -> list[StoredEvent]:
        """Learning that may lag without losing anything: gateways' clocks, tags' clocks."""
        new: list[StoredEvent] = []
        try:
            new = await self.clocks.flush(received)
        except Exception as exc:  # tried again with the next bunch
            log.warning("could not record gateways' clocks: %s", exc)
        if self.eid is not None:
            try:
                await self.eid.save_learned()
            except Exception as exc:  # learning is kept in memory meanwhile
                log.warning("could not save what was learned of tags' clocks: %s", exc)
        return new
