"""A TCP fault proxy for MQTT, to sit between a gateway and its broker in tests.

It listens on a free loopback port and forwards to the broker, on the test's own
event loop. It reads just enough MQTT (the fixed header and the remaining length)
to work on whole packets, which lets it break a connection at the worst moment
for delivery: after the broker has a batch, before the gateway learns it has.

Faults, switched on and off by the test while traffic flows:

* ``delay_s``: every packet waits a random time up to this, in order (a slow line);
* ``refuse``: new connections are reset at once (the line is down);
* ``blackhole``: packets in both directions are thrown away and the connections stay
  open, so only a keepalive notices (Wi-Fi gone, a NAT entry forgotten); when the
  black hole ends, those connections are reset, as the far side would answer them;
* ``cut_all()``: reset every open connection now (RST both ways);
* ``withhold_pubacks``: for the next N event batches (QoS 1 publishes to a topic
  ending in ``withhold_topic``), the broker's PUBACK is not relayed: the connection
  is reset instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
from collections import Counter
from dataclasses import dataclass, field

PUBLISH, PUBACK = 3, 4


@dataclass(eq=False)  # each connection is itself, kept in a set
class _Connection:
    client: asyncio.StreamWriter
    broker: asyncio.StreamWriter
    armed: set[int] = field(default_factory=set)  # packet ids whose PUBACK we withhold
    holed: bool = False  # has lost packets to a black hole: useless from now on


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with an RST, not a FIN: what a broken line looks like to the peer."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _packet(reader: asyncio.StreamReader) -> bytes:
    """One whole MQTT packet (raises IncompleteReadError at the end of the stream)."""
    head = await reader.readexactly(1)
    length, shift = 0, 0
    for _ in range(4):
        byte = await reader.readexactly(1)
        head += byte
        length += (byte[0] & 0x7F) << shift
        shift += 7
        if not byte[0] & 0x80:
            break
    return head + await reader.readexactly(length)


def _body(packet: bytes) -> bytes:
    i = 1
    while packet[i] & 0x80:
        i += 1
    return packet[i + 1 :]


def publish_id(packet: bytes, topic_suffix: bytes) -> int | None:
    """The packet id of a QoS 1 PUBLISH to a topic ending in ``topic_suffix``, else None."""
    if packet[0] >> 4 != PUBLISH or (packet[0] >> 1) & 3 != 1:
        return None
    body = _body(packet)
    (topic_len,) = struct.unpack_from("!H", body)
    topic = body[2 : 2 + topic_len]
    if not topic.endswith(topic_suffix):
        return None
    (packet_id,) = struct.unpack_from("!H", body, 2 + topic_len)
    return int(packet_id)


def puback_id(packet: bytes) -> int | None:
    if packet[0] >> 4 != PUBACK:
        return None
    (packet_id,) = struct.unpack_from("!H", _body(packet))
    return int(packet_id)


class FaultProxy:
    def __init__(self, broker_port: int, *, seed: int, host: str = "127.0.0.1") -> None:
        self.host = host
        self.broker_port = broker_port
        self.port = 0
        self.delay_s = 0.0
        self.refuse = False
        self.withhold_pubacks = 0
        self.withhold_topic = b"/events"
        self._blackhole = False
        self.counters: Counter[str] = Counter()
        self._rng = random.Random(seed)
        self._open: set[_Connection] = set()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.errors: list[BaseException] = []  # a bug of the proxy's own: the test fails

    async def __aenter__(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._accept, self.host, 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        self.cut_all()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()
        if exc[0] is None:  # else the test's own failure says more
            assert not self.errors, f"the fault proxy failed: {self.errors!r}"

    @property
    def blackhole(self) -> bool:
        return self._blackhole

    @blackhole.setter
    def blackhole(self, on: bool) -> None:
        self._blackhole = on
        if not on:
            for conn in [c for c in self._open if c.holed]:
                self._cut(conn)

    @property
    def connections(self) -> int:
        return len(self._open)

    def cut_all(self) -> int:
        victims = list(self._open)
        for conn in victims:
            self._cut(conn)
        return len(victims)

    def _cut(self, conn: _Connection) -> None:
        if conn in self._open:
            self._open.discard(conn)
            self.counters["cuts"] += 1
            _reset(conn.client)
            _reset(conn.broker)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._serve(reader, writer)
        except Exception as exc:  # kept for the test to fail on, at the end
            self.errors.append(exc)
        finally:
            self._tasks.discard(task)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.refuse:
            self.counters["refused"] += 1
            _reset(writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.broker_port)
        except OSError:
            self.counters["refused"] += 1
            _reset(writer)
            return
        self.counters["connections"] += 1
        conn = _Connection(writer, up_writer)
        self._open.add(conn)
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self._relay(conn, reader, up_writer, upstream=True))
                tg.create_task(self._relay(conn, up_reader, writer, upstream=False))
        except* (OSError, asyncio.IncompleteReadError):
            self._cut(conn)
        finally:
            if conn in self._open:  # both peers closed: no fault of ours, close politely
                self._open.discard(conn)
                writer.close()
                up_writer.close()

    async def _relay(
        self,
        conn: _Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        upstream: bool,
    ) -> None:
        while conn in self._open:
            try:
                packet = await _packet(reader)
            except asyncio.IncompleteReadError as exc:
                if exc.partial or conn not in self._open:
                    raise
                # The peer closed (a SIGKILLed gateway's kernel does so too): pass its
                # FIN on after what was relayed, as a line would, and let the other
                # direction run to its own end.
                writer.write_eof()
                return
            self.counters["packets"] += 1
            if self._blackhole or conn.holed:
                conn.holed = True
                self.counters["packets_dropped"] += 1
                continue
            if self.delay_s:
                self.counters["packets_delayed"] += 1
                await asyncio.sleep(self._rng.uniform(0.0, self.delay_s))
            if upstream:
                batch = publish_id(packet, self.withhold_topic)
                if batch is not None and self.withhold_pubacks > 0 and not conn.armed:
                    conn.armed.add(batch)
            elif (ack := puback_id(packet)) is not None and ack in conn.armed:
                # The broker has the batch; the gateway must never hear so.
                self.withhold_pubacks -= 1
                self.counters["pubacks_withheld"] += 1
                self._cut(conn)
                return
            writer.write(packet)
            await writer.drain()
        # cut from the other direction: make the peer's read end too
        raise OSError("cut")
