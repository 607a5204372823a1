"""Thousands of MQTT connections in one asyncio loop: the simulated town's gateways.

A real gateway has one connection, and ``MqttLink`` (mimamori/mqtt.py) gives it paho's
network thread. A town simulated in one process holds thousands of connections, one
per gateway as in the field (each with its own client id, last will and keepalive),
and thousands of threads would cost more than what is measured. paho also runs on an
outside event loop: it says when its socket opens, closes and has bytes waiting
(``on_socket_open``, ``on_socket_close``, ``on_socket_register_write`` and
``..._unregister_write``), and the loop calls ``loop_read`` / ``loop_write`` when the
socket is ready and ``loop_misc`` now and then (keepalive pings). Everything then runs
on the loop's own thread: no callback needs handing over, and nothing needs a lock.

The town's gateways publish and forget: the hub's idempotent store and the gateway's
outbox are measured elsewhere (``bench edge``, the fault tests). A connection that drops
is counted and opened again after a jittered backoff, as ``MqttLink`` does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.reasoncodes import ReasonCode

from mimamori.errors import BrokerError
from mimamori.mqtt import Will, backoff_delay

log = logging.getLogger(__name__)


class LoopClient:
    """One MQTT v5 connection whose network I/O runs on the asyncio loop."""

    def __init__(
        self,
        client_id: str,
        *,
        will: Will | None = None,
        keepalive_s: int = 60,
        on_message: Callable[[str, bytes], None] | None = None,
        on_connected: Callable[[], None] | None = None,
    ) -> None:
        """``on_connected`` runs after every CONNACK that accepts (first and again)."""
        self.client_id = client_id
        self.keepalive_s = keepalive_s
        self.connected = False
        self.counters = {"published": 0, "acked": 0, "refused": 0, "not_sent": 0, "drops": 0}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connack: asyncio.Future[ReasonCode] | None = None
        self._retries = 0
        self._retry_at: float | None = None
        self._closed = False
        self._on_message = on_message
        self._on_connected = on_connected
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=MQTTProtocolVersion.MQTTv5,
            reconnect_on_failure=False,
        )
        if will is not None:
            client.will_set(will.topic, will.payload, qos=will.qos, retain=will.retain)
        client.on_socket_open = self._socket_open
        client.on_socket_close = self._socket_close
        client.on_socket_register_write = self._want_write
        client.on_socket_unregister_write = self._written
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._message
        self._client = client

    # -- paho's socket callbacks, all on the loop's thread ------------------------------

    def _socket_open(self, client: mqtt.Client, _userdata: Any, sock: Any) -> None:
        assert self._loop is not None
        self._loop.add_reader(sock, client.loop_read)

    def _socket_close(self, _client: mqtt.Client, _userdata: Any, sock: Any) -> None:
        assert self._loop is not None
        self._loop.remove_reader(sock)
        self._loop.remove_writer(sock)

    def _want_write(self, client: mqtt.Client, _userdata: Any, sock: Any) -> None:
        assert self._loop is not None
        self._loop.add_writer(sock, client.loop_write)

    def _written(self, _client: mqtt.Client, _userdata: Any, sock: Any) -> None:
        assert self._loop is not None
        self._loop.remove_writer(sock)

    def _on_connect(self, _c: Any, _u: Any, _flags: Any, rc: ReasonCode, _props: Any) -> None:
        if self._connack is not None and not self._connack.done():
            self._connack.set_result(rc)
        if not rc.is_failure:
            self.connected = True
            self._retries = 0
            if self._on_connected is not None:
                self._on_connected()

    def _on_disconnect(self, _c: Any, _u: Any, _flags: Any, rc: ReasonCode, _props: Any) -> None:
        if self._connack is not None and not self._connack.done():
            self._connack.set_result(rc)
        if self.connected and not self._closed and self._retry_at is None:
            # Counted, and summed up in the figures: a town of thousands must not
            # write a log line per gateway.
            self.counters["drops"] += 1
            delay = backoff_delay(self._retries, 0.5, 30.0)
            self._retry_at = time.monotonic() + delay
            log.debug("%s: connection lost (%s); again in %.1f s", self.client_id, rc, delay)
        self.connected = False

    def _on_publish(self, _c: Any, _u: Any, _mid: int, rc: ReasonCode, _props: Any) -> None:
        self.counters["refused" if rc.is_failure else "acked"] += 1

    def _message(self, _c: Any, _u: Any, message: mqtt.MQTTMessage) -> None:
        if self._on_message is not None:
            self._on_message(message.topic, bytes(message.payload))

    # -- using it -----------------------------------------------------------------------

    async def connect(self, host: str, port: int, timeout_s: float = 30.0) -> None:
        """Open the connection and wait for the broker's CONNACK."""
        self._loop = asyncio.get_running_loop()
        self._connack = self._loop.create_future()
        try:
            # Blocking, but on loopback the handshake is done when the call returns.
            self._client.connect(host, port, keepalive=self.keepalive_s, clean_start=True)
        except (OSError, ValueError) as exc:
            raise BrokerError(f"{self.client_id}: cannot connect: {exc}") from exc
        try:
            async with asyncio.timeout(timeout_s):
                rc = await self._connack
        except TimeoutError as exc:
            raise BrokerError(f"{self.client_id}: no CONNACK in {timeout_s:g} s") from exc
        if rc.is_failure:
            raise BrokerError(f"{self.client_id}: the broker refused: {rc}")

    def subscribe(self, topic: str, qos: int = 1) -> None:
        self._client.subscribe(topic, qos)

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> bool:
        """Queue a publish (paho writes it when the socket is ready); False when the
        connection is down (counted: this gateway has no outbox to keep it in)."""
        if not self.connected:
            self.counters["not_sent"] += 1
            return False
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            self.counters["not_sent"] += 1
            return False
        self.counters["published"] += 1
        # Out now, not when the loop next polls the socket: a town tick runs for tens of
        # milliseconds, and an event waiting for it would count as the hub's delay.
        self._client.loop_write()
        return True

    def tick(self, now: float) -> None:
        """Keepalive pings and lost-connection checks; a dropped connection is opened
        again once its backoff is over."""
        if self.connected:
            self._client.loop_misc()
            return
        if self._retry_at is not None and now >= self._retry_at:
            self._retries += 1
            self._retry_at = now + backoff_delay(self._retries, 0.5, 30.0)
            try:
                self._client.reconnect()
            except (OSError, ValueError) as exc:
                log.debug("%s: reconnect failed: %s", self.client_id, exc)
            else:
                self._retry_at = None

    def close(self) -> None:
        """Leave cleanly (the broker drops the last will) and close the socket."""
        self._closed = True
        self._retry_at = None
        if self._client.is_connected():
            self._client.disconnect()
            with contextlib.suppress(OSError):
                self._client.loop_write()
        self.connected = False
        with contextlib.suppress(OSError):
            sock = self._client.socket()
            if sock is not None and self._loop is not None:
                self._loop.remove_reader(sock)
                self._loop.remove_writer(sock)
                sock.close()


async def connect_all(
    clients: list[LoopClient], host: str, port: int, *, at_once: int = 50
) -> None:
    """Connect every client, at most ``at_once`` waiting for their CONNACK at a time:
    Mosquitto's listen backlog is finite, and a full one makes the kernel retry a
    SYN only after a second."""
    slots = asyncio.Semaphore(at_once)

    async def one(client: LoopClient) -> None:
        async with slots:
            await client.connect(host, port)

    async with asyncio.TaskGroup() as tg:
        for client in clients:
            tg.create_task(one(client))


async def keep_alive(clients: list[LoopClient], every_s: float = 1.0) -> None:
    """Run every client's keepalive and reconnect checks, until cancelled."""
    while True:
        await asyncio.sleep(every_s)
        now = time.monotonic()
        for client in clients:
            client.tick(now)
