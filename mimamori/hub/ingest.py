"""Ingest: MQTT -> decode -> store (one commit) -> acknowledge -> live fan-out.

The hub keeps a persistent MQTT session (fixed client id, clean_start off; several
workers: one each, sharing the events through an MQTT v5 shared subscription) and
acknowledges each message only after the transaction holding its events has
committed. If the hub dies in between, the broker still holds the message and
delivers it again; the store ignores events it already has (by id). So nothing
the broker accepted is lost, and nothing is stored twice.

Invalid payloads are acknowledged too (they will never become valid), counted by
reason and logged with the gateway's id, at most once a minute per gateway and
reason so a misbehaving gateway cannot flood the log. Decoding is a pure function
(``decode_message``): whatever bytes arrive on whatever topic, it returns what is
valid and names the rest; it never raises. A payload over the protocol's size limit
(``MAX_PAYLOAD_BYTES``) is refused unread as ``too_large``; the broker refuses larger
packets still (``max_packet_size`` in configs/mosquitto.conf).

Events of tags with rotating ids are resolved before the commit (eid/service.py):
stored under the tag's registry id, or dropped (unknown: counted; replayed: counted
and logged like a rejection).

Sightings the hub may not keep (``admission``: no consent on record, a tag nobody
holds; the store: a forgotten person's tag) are dropped before the commit and
counted as ``sightings_dropped_<reason>`` (docs/privacy.md).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..errors import ProtocolError, StoreError
from ..link import LinkSettings, Message, MqttLink, backoff_delay
from ..protocol.codec import Claim, decode_batch, decode_status
from ..protocol.events import Event
from ..protocol.status import GatewayStatus
from ..protocol.topics import (
    EVENTS_SUBSCRIPTION,
    STATUS_SUBSCRIPTION,
    parse_gateway_topic,
    shared,
)
from .acks import Acks, presence_will
from .config import HubBrokerSettings
from .eid.service import EidService, drop_eids
from .privacy import Admission
from .store.base import Store, StoredEvent

log = logging.getLogger(__name__)

# Mosquitto 2.0 lets an MQTT v5 subscriber that names no Receive Maximum have up to
# 65,535 messages unacknowledged, so under load a commit does take this many: with
# 100 events a message, 50,000 events in one transaction, about 0.5 s on a 2-core
# machine. Fewer messages a commit cost more than they save (`mimamori bench hub`,
# 100 instead of 500: 16,000 -> 11,000 events/s at 10 events a message).
MAX_MESSAGES_PER_COMMIT = 500
SESSION_EXPIRY_S = 7 * 24 * 3600  # the broker keeps our queue through a week of hub outage
_LOG_EVERY_S = 60.0


@dataclass(frozen=True)
class Rejection:
    gateway: str  # "?" when the topic names none
    reason: str  # a counter name: "too_large", "not_json", "event", "topic"...
    message: str
    whole: bool  # the whole payload (else one event of a batch)


@dataclass
class Decoded:
    events: list[tuple[str, Event]] = field(default_factory=list)
    statuses: list[GatewayStatus] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    claims: list[tuple[str, Claim]] = field(default_factory=list)  # to acknowledge


def decode_message(topic: str, payload: bytes) -> Decoded:
    """One MQTT message -> the events and statuses in it, and what was refused."""
    out = Decoded()
    parsed = parse_gateway_topic(topic)
    if parsed is None:
        out.rejected.append(Rejection("?", "topic", f"unexpected topic {topic[:200]!r}", True))
        return out
    gateway, leaf = parsed
    try:
        if leaf == "events":
            batch = decode_batch(payload, topic_gateway=gateway)
            out.events.extend((gateway, event) for event in batch.events)
            if batch.claim is not None:
                out.claims.append((gateway, batch.claim))
            for error in batch.errors:
                message = f"event #{error.index}: {error.message}"
                out.rejected.append(Rejection(gateway, "event", message, False))
        elif leaf == "status":
            if payload:  # an empty retained message clears it: nothing to keep
                out.statuses.append(decode_status(payload, topic_gateway=gateway))
        else:
            message = f"unexpected topic {topic!r}"
            out.rejected.append(Rejection(gateway, "topic", message, True))
    except ProtocolError as exc:
        out.rejected.append(Rejection(gateway, exc.reason, str(exc), True))
    return out


def link_settings(settings: HubBrokerSettings, worker_id: str | None = None) -> LinkSettings:
    """The hub's MQTT session. A worker among several (``worker_id``) has a session of
    its own and shares the gateways' events with the others: each message goes to one
    of them. Statuses go to every worker: they are few, and a shared subscription
    would not hand over the retained ones a worker needs when it starts afresh."""
    events = EVENTS_SUBSCRIPTION
    client_id = settings.client_id
    if worker_id is not None:
        events = shared(settings.client_id, EVENTS_SUBSCRIPTION)
        client_id = f"{settings.client_id}-{worker_id}"
    return LinkSettings(
        host=settings.host,
        port=settings.port,
        client_id=client_id,
        username=settings.username,
        password=settings.read_password(),
        tls=settings.tls,
        keepalive_s=settings.keepalive_s,
        backoff_max_s=settings.reconnect_max_s,
        clean_start=False,
        session_expiry_s=SESSION_EXPIRY_S,
        manual_ack=True,
        subscriptions=((events, 1), (STATUS_SUBSCRIPTION, 1)),
        will=presence_will(client_id),
    )


class Ingest:
    def __init__(
        self,
        settings: HubBrokerSettings,
        store: Store,
        *,
        on_new_events: Callable[[list[StoredEvent]], None] | None = None,
        eid: EidService | None = None,
        relayed: set[str] | None = None,
        admission: Admission | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.store = store
        self.on_new_events = on_new_events
        self.eid = eid
        self.admission = admission
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
        self.acks = Acks(store, self.link)
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
        }
        self._last_logged: dict[tuple[str, str], float] = {}

    @property
    def connected(self) -> bool:
        return self.link.connected.is_set()

    async def run(self) -> None:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self.link.run(), name="ingest-link")
            tg.create_task(self._consume(), name="ingest-consume")
            tg.create_task(self.acks.run(), name="ingest-acks")

    def _reject(self, gateway: str, reason: str, message: str) -> None:
        self.counters[f"rejected_{reason}"] = self.counters.get(f"rejected_{reason}", 0) + 1
        now = time.monotonic()
        key = (gateway, reason)
        if now - self._last_logged.get(key, -_LOG_EVERY_S) >= _LOG_EVERY_S:
            self._last_logged[key] = now
            log.warning("rejected from gateway %s (%s): %s", gateway, reason, message)

    def _decode(
        self, message: Message, events: list[tuple[str, Event]], statuses: list[GatewayStatus]
    ) -> list[tuple[str, Claim]]:
        decoded = decode_message(message.topic, message.payload)
        events.extend(decoded.events)
        statuses.extend(decoded.statuses)
        for rejection in decoded.rejected:
            self.counters["payloads_rejected" if rejection.whole else "events_rejected"] += 1
            self._reject(rejection.gateway, rejection.reason, rejection.message)
        return decoded.claims

    async def _consume(self) -> None:
        while True:
            messages = [await self._queue.get()]
            while not self._queue.empty() and len(messages) < MAX_MESSAGES_PER_COMMIT:
                messages.append(self._queue.get_nowait())
            events: list[tuple[str, Event]] = []
            statuses: list[GatewayStatus] = []
            claims: list[tuple[str, Claim]] = []
            for message in messages:
                claims += self._decode(message, events, statuses)
            events = await self._resolve(self.eid, events)
            if self.admission is not None:
                events, dropped = await self.admission.admit(events)
                for reason, count in dropped.items():
                    key = f"sightings_dropped_{reason}"
                    self.counters[key] = self.counters.get(key, 0) + count
            new_events = await self._commit(events, statuses)
            for message in messages:
                self.link.ack(message)  # only now: the commit is on disk
            self.acks.confirm(claims)  # end to end: tell the gateways (acks.py)
            if self.eid is not None:
                await self._save_clocks(self.eid)
            self.counters["messages"] += len(messages)
            self.counters["statuses"] += len(statuses)
            if new_events and self.on_new_events is not None:
                try:
                    self.on_new_events(new_events)
                except Exception:  # the live view must never stop ingest
                    log.exception("live fan-out failed")

    async def _resolve(
        self, eid: EidService | None, events: list[tuple[str, Event]]
    ) -> list[tuple[str, Event]]:
        """Rotating ids resolved to registry tags; the unresolvable never reach the store
        (but for those a peer's search asked for)."""
        kept: list[tuple[str, Event]] = []
        if self.relayed:
            kept = [(g, e) for g, e in events if str(e.data.get("tag")) in self.relayed]
            events = [(g, e) for g, e in events if str(e.data.get("tag")) not in self.relayed]
        return kept + await self._resolve_own(eid, events)

    async def _resolve_own(
        self, eid: EidService | None, events: list[tuple[str, Event]]
    ) -> list[tuple[str, Event]]:
        if eid is None:
            events, dropped = drop_eids(events)
            self.counters["eid_unknown"] += dropped
            return events
        attempt = 0
        while True:
            try:
                found = await eid.resolve(events)
                break
            except StoreError as exc:
                # Reading a tag's last sighting failed: hold the batch as a failed
                # commit does (nothing acknowledged), and try again.
                self.counters["store_retries"] += 1
                if attempt == 0:
                    log.error("store read failed, holding %d event(s): %s", len(events), exc)
                await asyncio.sleep(backoff_delay(attempt, 0.2, 10.0))
                attempt += 1
        self.counters["eid_resolved"] += found.resolved
        self.counters["eid_unknown"] += found.unknown
        self.counters["eid_rotations_merged"] += found.merged
        for gateway, tag, why in found.replays:
            self._reject(gateway, "eid_replay", f"{tag}: {why}")
        return found.events

    async def _save_clocks(self, eid: EidService) -> None:
        try:
            await eid.save_learned()
        except StoreError as exc:  # learning is kept in memory meanwhile
            log.warning("could not save what was learned of tags' clocks: %s", exc)

    async def _commit(
        self, events: list[tuple[str, Event]], statuses: list[GatewayStatus]
    ) -> list[StoredEvent]:
        if not events and not statuses:
            return []
        attempt = 0
        while True:
            try:
                result = await self.store.ingest(events, statuses, datetime.now(UTC))
            except StoreError as exc:
                # Not acknowledged, so nothing is lost: keep trying until the store is back.
                self.counters["store_retries"] += 1
                if attempt == 0:
                    log.error("store write failed, holding %d event(s): %s", len(events), exc)
                await asyncio.sleep(backoff_delay(attempt, 0.2, 10.0))
                attempt += 1
                continue
            if attempt:
                log.info("store recovered after %d retries", attempt)
            self.counters["events_stored"] += len(result.new_events)
            self.counters["events_duplicate"] += result.duplicates
            self.counters["sightings_dropped_forgotten"] += result.forgotten
            return result.new_events
