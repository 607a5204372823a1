"""End-to-end acknowledgement at the hub (docs/protocol.md, "Delivery guarantees").

After ingest has committed a bunch of batches it hands their claims to ``confirm``;
``run`` (a task of its own, so ingest never waits for it) joins them to each
gateway's chain in the store (``ack_chain.py``), in a transaction of its own: a hub
that dies in between only makes an ack late, the gateway sends again, and the copies
are ignored by id. Claims that pile up meanwhile are joined together, one
transaction for all. Then it publishes each moved ack, retained, on
``mimamori/v1/gw/{id}/ack`` (QoS 1), the latest per gateway.

The hub also says it is there: each worker keeps a retained presence
``mimamori/v1/hub/{client id}/status``, "online" on every connect and "offline" as
its last will, which the broker publishes however the worker leaves (the link
leaves *with* its will even on a clean stop). Gateways re-send only while some
worker is online, so a hub that is away is not flooded with copies of what the
broker keeps for it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from mimamori.errors import BrokerError, StoreError
from mimamori.hub.model.clock import Clock
from mimamori.hub.store.port_acks import AckStore
from mimamori.mqtt import MqttLink, Will
from mimamori.protocol.acks import Ack, HubPresence, encode_ack, encode_presence
from mimamori.protocol.codec import Claim
from mimamori.protocol.topics import ack_topic, hub_status_topic

log = logging.getLogger(__name__)

_LOG_EVERY_S = 60.0
# Claims waiting for the store (a few per commit; the store is seldom behind). Past
# this the oldest are forgotten: their acks come late, when the gateways send again.
MAX_WAITING_CLAIMS = 100_000


def presence_will(client_id: str) -> Will:
    """The last will of a hub worker's MQTT session: its presence goes offline."""
    return Will(
        hub_status_topic(client_id), encode_presence(HubPresence(state="offline")), retain=True
    )


class Acks:
    def __init__(self, store: AckStore, link: MqttLink, *, now: Clock) -> None:
        self.store = store
        self.link = link
        self._now = now
        # Leaving with the will says "offline" on a clean stop too (see above).
        link.leave_with_will = True
        self._claims: list[tuple[str, Claim]] = []  # committed, not yet joined
        self._due: dict[str, Ack] = {}  # the latest ack to publish, per gateway
        self._ready = asyncio.Event()
        self._last_logged: dict[str, float] = {}
        self.counters = {"acks_published": 0, "acks_failed": 0}

    async def announce(self) -> None:
        """On every connect: this worker is online (retained); then the acks that
        waited for the connection."""
        online = encode_presence(HubPresence(state="online"))
        try:
            await self.link.publish(
                hub_status_topic(self.link.settings.client_id), online, qos=1, retain=True
            )
        except BrokerError as exc:  # the next connect says it again
            log.debug("could not announce the hub: %s", exc)
        self._ready.set()

    def confirm(self, claims: Sequence[tuple[str, Claim]]) -> None:
        """The events of these batches are committed: their acks may advance."""
        if not claims:
            return
        self._claims.extend(claims)
        if len(self._claims) > MAX_WAITING_CLAIMS:
            del self._claims[: len(self._claims) - MAX_WAITING_CLAIMS]
        self._ready.set()

    async def run(self) -> None:
        """Join the claims to the chains and publish the acks, until cancelled."""
        while True:
            await self._ready.wait()
            self._ready.clear()
            claims, self._claims = self._claims, []
            if claims:
                await self._advance(claims)
            if self._due and self.link.connected.is_set():
                await self._publish_due()

    async def _advance(self, claims: list[tuple[str, Claim]]) -> None:
        try:
            updates = await self.store.advance_acks(claims, self._now())
        except Exception as exc:  # acks must never take ingest down
            # The events are stored; only their ack is late. The gateways send again
            # when it does not move, and their copies bring the claims back.
            self.counters["acks_failed"] += 1
            if not isinstance(exc, StoreError):
                log.exception("acknowledging %d batch(es) failed", len(claims))
            self._log_once("store", "could not record acknowledgements: %s", exc)
            return
        for update in updates:
            self._due[update.gateway_id] = Ack(epoch=update.epoch, seq=update.confirmed)

    async def _publish_due(self) -> None:
        due, self._due = self._due, {}
        results = await asyncio.gather(
            *(self._publish(gateway_id, ack) for gateway_id, ack in due.items()),
            return_exceptions=True,
        )
        for (gateway_id, ack), result in zip(due.items(), results, strict=True):
            if isinstance(result, BrokerError):
                if self.link.connected.is_set():
                    # Refused (an ACL without the hub's ack line): asking again would
                    # spin. The gateway sends again, and we answer again.
                    self.counters["acks_failed"] += 1
                    self._log_once("publish", "ack for %s refused: %s", gateway_id, result)
                else:  # the next connect publishes it (``announce``), unless a newer came
                    self._due.setdefault(gateway_id, ack)
            elif isinstance(result, BaseException):
                raise result

    async def _publish(self, gateway_id: str, ack: Ack) -> None:
        await self.link.publish(ack_topic(gateway_id), encode_ack(ack), qos=1, retain=True)
        self.counters["acks_published"] += 1

    def _log_once(self, key: str, message: str, *args: object) -> None:
        now = time.monotonic()
        if now - self._last_logged.get(key, -_LOG_EVERY_S) >= _LOG_EVERY_S:
            self._last_logged[key] = now
            log.warning(message, *args)
