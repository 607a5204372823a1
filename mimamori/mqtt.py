"""An MQTT link for asyncio, on paho-mqtt 2.x; used by both gateways and the hub.

paho's network loop runs in its own thread (``loop_start``) and every callback is
handed to the event loop with ``call_soon_threadsafe``, so nothing here blocks the
loop: the blocking TCP/TLS connect runs in a worker thread.

Each connection gets a fresh paho client. paho would otherwise replay the previous
connection's unacknowledged publishes by itself, and the gateway's outbox already
does that; one owner for retransmission keeps duplicates to what MQTT requires.
For the same reason a message's acknowledgement is tied to the connection that
delivered it (``Message.generation``): after a reconnect the broker redelivers.

We speak MQTT v5 so a refused publish is visible: a v3.1.1 broker acknowledges a
publish its ACL drops, and the gateway would delete an event nobody received.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from mimamori.errors import BrokerError
from mimamori.settings import TlsSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Will:
    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = True


@dataclass(frozen=True)
class LinkSettings:
    host: str
    port: int
    client_id: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: TlsSettings | None = None
    keepalive_s: int = 30
    # A hub keeps its session (and the broker queues for it) across restarts.
    clean_start: bool = True
    session_expiry_s: int = 0
    will: Will | None = None
    manual_ack: bool = False
    subscriptions: tuple[tuple[str, int], ...] = ()
    # Reconnect delays grow from base to max with jitter, so a town's gateways do
    # not all knock at once when their broker comes back.
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes
    qos: int
    retain: bool
    mid: int
    generation: int


WITH_WILL = ReasonCode(PacketTypes.DISCONNECT, identifier=4)  # "Disconnect with Will Message"


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with 'equal jitter': half fixed, half random."""
    ceiling = min(cap, base * (2.0 ** min(attempt, 30)))
    jitter: float = (rng or random).uniform(0, ceiling / 2)
    return ceiling / 2 + jitter


def _settle(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


class MqttLink:
    def __init__(
        self,
        settings: LinkSettings,
        *,
        on_message: Callable[[Message], None] | None = None,
        on_connected: Callable[[], Awaitable[None]] | None = None,
        name: str = "mqtt",
    ) -> None:
        self.settings = settings
        self.name = name
        self._on_message = on_message
        self._on_connected = on_connected
        self._client: mqtt.Client | None = None
        self._generation = 0
        # Set when the last word could not be said in time: leaving then makes the
        # broker publish the last will instead of swallowing it.
        self.leave_with_will = False
        self._pending: dict[int, asyncio.Future[None]] = {}
        self.connected = asyncio.Event()
        self.disconnected = asyncio.Event()  # the inverse of ``connected``, to wait on
        self.disconnected.set()
        self.counters: dict[str, int] = {"connects": 0, "connect_failures": 0, "disconnects": 0}

    # -- running ---------------------------------------------------------------

    async def run(self) -> None:
        """Stay connected until cancelled, reconnecting with jittered backoff."""
        attempt = 0
        failing = False
        while True:
            try:
                await self._session()
                attempt = 0  # a session that got its CONNACK starts the backoff afresh
            except BrokerError as exc:
                self.counters["connect_failures"] += 1
                if not failing:
                    log.warning("%s: %s; retrying with backoff", self.name, exc)
                    failing = True
                else:
                    log.debug("%s: %s", self.name, exc)
            else:
                failing = False
            delay = backoff_delay(
                attempt, self.settings.backoff_base_s, self.settings.backoff_max_s
            )
            attempt += 1
            await asyncio.sleep(delay)

    def _make_client(self, generation: int, loop: asyncio.AbstractEventLoop) -> mqtt.Client:
        s = self.settings
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=s.client_id,
            protocol=MQTTProtocolVersion.MQTTv5,
            reconnect_on_failure=False,  # we reconnect ourselves, with jitter
            manual_ack=s.manual_ack,
        )
        if s.username is not None:
            client.username_pw_set(s.username, s.password)
        if s.tls is not None:
            try:
                client.tls_set(
                    ca_certs=str(s.tls.ca_file) if s.tls.ca_file else None,
                    certfile=str(s.tls.cert_file) if s.tls.cert_file else None,
                    keyfile=str(s.tls.key_file) if s.tls.key_file else None,
                    cert_reqs=ssl.CERT_REQUIRED,
                    tls_version=ssl.PROTOCOL_TLS_CLIENT,
                )
            except (OSError, ssl.SSLError, ValueError) as exc:
                raise BrokerError(f"TLS set-up failed: {exc}") from exc
        if s.will is not None:
            client.will_set(s.will.topic, s.will.payload, qos=s.will.qos, retain=s.will.retain)

        def call(fn: Callable[..., None], *args: Any) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is closing: nothing to tell
                loop.call_soon_threadsafe(fn, *args)

        client.on_connect = lambda _c, _u, _f, rc, _p: call(self._connack, generation, rc)
        client.on_disconnect = lambda _c, _u, _f, rc, _p: call(self._lost, generation, rc)
        client.on_publish = lambda _c, _u, mid, rc, _p: call(self._puback, generation, mid, rc)
        client.on_subscribe = lambda _c, _u, _mid, rcs, _p: call(self._suback, generation, rcs)
        if self._on_message is not None:
            client.on_message = lambda _c, _u, m: call(
                self._deliver,
                Message(m.topic, bytes(m.payload), m.qos, bool(m.retain), m.mid, generation),
            )
        return client

    def _connect_blocking(self, client: mqtt.Client) -> None:
        s = self.settings
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        if s.session_expiry_s:
            properties.SessionExpiryInterval = s.session_expiry_s
        client.connect(
            s.host,
            s.port,
            keepalive=s.keepalive_s,
            clean_start=s.clean_start,
            properties=properties,
        )

    async def _session(self) -> None:
        loop = asyncio.get_running_loop()
        self._generation += 1
        generation = self._generation
        self._connack_future: asyncio.Future[ReasonCode] = loop.create_future()
        self._lost_future: asyncio.Future[ReasonCode] = loop.create_future()
        self._suback_future: asyncio.Future[None] = loop.create_future()
        client = self._make_client(generation, loop)
        where = f"{self.settings.host}:{self.settings.port}"
        try:
            await asyncio.to_thread(self._connect_blocking, client)
        except (OSError, ssl.SSLError, ValueError) as exc:
            raise BrokerError(f"cannot connect to {where}: {exc}") from exc
        client.loop_start()
        try:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a
            # cancellation that meets the CONNACK, and run() then never ended.
            try:
                async with asyncio.timeout(self.settings.keepalive_s):
                    rc = await self._connack_future
            except TimeoutError as exc:
                raise BrokerError(f"no CONNACK from {where}") from exc
            if rc.is_failure:
                raise BrokerError(f"{where} refused the connection: {rc}")
            self._client = client
            self.counters["connects"] += 1
            if self.settings.subscriptions:
                # Ready only once the broker confirmed the subscriptions: a message
                # published before that would have no subscriber to go to.
                client.subscribe(list(self.settings.subscriptions))
                try:
                    async with asyncio.timeout(self.settings.keepalive_s):
                        await self._suback_future
                except TimeoutError as exc:
                    raise BrokerError(f"no SUBACK from {where}") from exc
            self.connected.set()
            self.disconnected.clear()
            log.info("%s: connected to %s", self.name, where)
            if self._on_connected is not None:
                await self._on_connected()
            reason = await self._lost_future
            self.counters["disconnects"] += 1
            log.warning("%s: connection to %s lost (%s)", self.name, where, reason)
        finally:
            self.connected.clear()
            self.disconnected.set()
            self._client = None
            self._fail_pending(BrokerError("connection lost before the broker acknowledged"))
            if client.is_connected():
                # Cancelled: leave cleanly, with no last will -- unless asked to leave
                # with it (MQTT v5 reason 0x04), so that the broker says it for us.
                client.disconnect(WITH_WILL if self.leave_with_will else None)
            await asyncio.to_thread(client.loop_stop)

    # -- callbacks, on the event loop ----------------------------------------------

    def _connack(self, generation: int, rc: ReasonCode) -> None:
        if generation == self._generation:
            _settle(self._connack_future, rc)

    def _lost(self, generation: int, rc: ReasonCode) -> None:
        if generation == self._generation:
            _settle(self._connack_future, rc)
            _settle(self._lost_future, rc)
            # Fail the waiters now, not in the session's clean-up: the session may
            # itself be waiting on one (``on_connected`` publishing its status), and
            # would then never get to its clean-up nor reconnect (the fault proxy
            # found a gateway that delivered nothing more until it was restarted).
            self._fail_pending(BrokerError("connection lost before the broker acknowledged"))

    def _puback(self, generation: int, mid: int, rc: ReasonCode) -> None:
        if generation != self._generation:
            return
        future = self._pending.pop(mid, None)
        if future is None or future.done():
            return
        if rc.is_failure:
            future.set_exception(BrokerError(f"the broker refused a publish: {rc}"))
        else:
            future.set_result(None)

    def _suback(self, generation: int, reason_codes: list[ReasonCode]) -> None:
        for rc in reason_codes:
            if rc.is_failure:
                log.error("%s: a subscription was refused: %s", self.name, rc)
        if generation == self._generation:
            _settle(self._suback_future, None)

    def _deliver(self, message: Message) -> None:
        if message.generation == self._generation and self._on_message is not None:
            self._on_message(message)

    def _fail_pending(self, exc: BrokerError) -> None:
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(exc)
                future.exception()  # retrieved here, so an abandoned waiter logs nothing

    # -- using the link ----------------------------------------------------------

    async def publish(
        self,
        topic: str,
        payload: bytes,
        *,
        qos: int = 1,
        retain: bool = False,
        expiry_s: int | None = None,
    ) -> None:
        """Publish; for QoS 1 return only once the broker acknowledged it.

        ``expiry_s``: the MQTT v5 message expiry; the broker drops the message rather
        than deliver it later than that (a command must not be acted on hours late).

        Raises BrokerError when not connected, when the connection is lost first, or
        when the broker refuses the message (MQTT v5 reason code).
        """
        client = self._client
        if client is None:
            raise BrokerError("not connected")
        properties = None
        if expiry_s is not None:
            properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            properties.MessageExpiryInterval = expiry_s
        info = client.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            raise BrokerError(f"publish failed: {mqtt.error_string(info.rc)}")
        if qos == 0:
            return
        # paho may see the PUBACK before publish() returns; the callback is queued on
        # this loop behind us, so registering the future now is never too late.
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending[info.mid] = future
        await future

    def ack(self, message: Message) -> None:
        """Acknowledge a message received with manual_ack (after it is safely stored)."""
        client = self._client
        if client is None or message.generation != self._generation or message.qos == 0:
            return  # a new session: the broker will deliver it again
        client.ack(message.mid, message.qos)

    def disconnect(self) -> None:
        """Leave cleanly now (the broker will not publish the last will)."""
        client = self._client
        if client is not None:
            client.disconnect()
