"""The gateway daemon: drivers -> rules -> outbox -> uplink, wired in one TaskGroup.

Every loop has an owner (a named task in the group); nothing is fire-and-forget.
SIGTERM/SIGINT stop it in order: inputs first, then the rules flush what they
decided into the outbox, then a last "offline" status, then the link. SIGHUP reloads
the config file (``reload.py`` says what may change while running). Under systemd
it says when it is ready, reloading and stopping, and feeds the watchdog only while
its receivers, rules and outbox are alive (``liveness.py``). A ``config`` command
from the hub is applied by ``config_push.py``, restarting the drivers in this process
when it must, and rolled back if they do not come up.
"""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import fcntl
import logging
import os
import sys
from collections import ChainMap
from pathlib import Path
from typing import Any

from mimamori import __version__
from mimamori.edge.build import build_drivers, build_household, presence_params, tag_policy
from mimamori.edge.clock import Clock, SystemClock
from mimamori.edge.commands import Commands
from mimamori.edge.config import GatewayConfig
from mimamori.edge.config_push import ConfigFiles, ConfigPush
from mimamori.edge.disk import disk_of
from mimamori.edge.drivers.base import Driver
from mimamori.edge.liveness import Liveness, receiver_limits
from mimamori.edge.observations import (
    Advert,
    DeviceReport,
    Heartbeat,
    Observation,
    Press,
    ReceiverState,
    SearchChange,
)
from mimamori.edge.outbox import Outbox
from mimamori.edge.rules.health import ReceiverHealth
from mimamori.edge.rules.household import STATE_NAME, Household
from mimamori.edge.rules.presence import PresenceTracker
from mimamori.edge.rules.search import SearchWatch
from mimamori.edge.rules.triage import AdvertTriage
from mimamori.edge.tasks import log_pending_tasks, run_to_end
from mimamori.edge.uplink import Uplink, subscriptions
from mimamori.edge.watchdog import feed_watchdog
from mimamori.errors import MimamoriError, ProtocolError
from mimamori.mqtt import LinkSettings, Message, MqttLink, Will
from mimamori.protocol.codec import encode_status
from mimamori.protocol.commands import ConfigCommand
from mimamori.protocol.events import EventDraft
from mimamori.protocol.search import SEARCH_SUBSCRIPTION, decode_search, parse_search_topic
from mimamori.protocol.status import GatewayStatus, OutboxStatus
from mimamori.protocol.topics import command_topic, status_topic
from mimamori.sdnotify import Notifier

log = logging.getLogger(__name__)

SWEEP_S = 1.0  # how often the leave timers are checked
QUEUE_MAX = 20_000  # adverts waiting for the rules; beyond this, adverts are shed (counted)
# A stop flushes, says "offline" (3 s at most) and ends within a second or two; past
# this it says what it still waits for (systemd would kill it at TimeoutStopSec, silently).
SLOW_STOP_S = 5.0
STATUS_FILE = "status.json"  # the last status, in data_dir (read by `edge diagnose`)


class EdgeDaemon:
    def __init__(
        self,
        config: GatewayConfig,
        *,
        clock: Clock | None = None,
        drivers: list[Driver] | None = None,
        ble_backend: Any = None,
        notifier: Notifier | None = None,
        files: ConfigFiles | None = None,
        running: Path | None = None,
    ) -> None:
        """``files``: where the config came from (``running``: the file read, the
        installed one if not said); without them the hub's config commands are refused."""
        self.config = config
        self._ble_backend = ble_backend
        self.clock = clock or SystemClock()
        self.notifier = notifier or Notifier(None)
        self.drivers = (
            drivers if drivers is not None else build_drivers(config, self.clock, ble_backend)
        )
        self.presence = PresenceTracker(presence_params(config))
        self.search = SearchWatch(config.presence.search_interval_s)
        self.triage = AdvertTriage(tag_policy(config), self.presence, self.search)
        self.health = ReceiverHealth()
        # The status's counters: the daemon's own and the triage's, as one live view.
        self.counters: ChainMap[str, int] = ChainMap(
            {"adverts_shed": 0, "events": 0, "search_orders_rejected": 0, "commands_rejected": 0},
            self.triage.counters,
        )
        self.household: Household | None = None  # resumed from the outbox in run()
        self.commands = Commands(self.drivers, self.counters, self._config_command)
        self.pushes = (
            ConfigPush(self, files, running or files.installed) if files is not None else None
        )
        self._group: asyncio.TaskGroup | None = None  # while running: drivers join it
        self._inputs: dict[str, asyncio.Task[None]] = {}  # each driver's pump
        self._queue: asyncio.Queue[Observation] = asyncio.Queue(QUEUE_MAX)
        self._late_orders: list[SearchChange] = []
        self._stop = asyncio.Event()
        self._stop_watch: asyncio.TimerHandle | None = None  # armed on stop
        self._status_now = asyncio.Event()  # publish the status before the interval is up
        self.liveness = self._liveness(config)
        self.outbox: Outbox | None = None
        self.link: MqttLink | None = None
        self.uplink: Uplink | None = None
        self.ready = asyncio.Event()  # set once the outbox is open and tasks run

    # -- decisions: each observation to the rule that owns it ------------------------

    def decide(self, obs: Observation) -> list[EventDraft]:
        """One observation in, the events it causes out (the rules decide; no I/O)."""
        if isinstance(obs, Advert):
            return self.triage.observe(obs)
        if isinstance(obs, SearchChange):
            self.search.apply(obs.search_id, obs.order)
            log.info("search %s %s", obs.search_id, "ended" if obs.order is None else "is on")
            return []
        if isinstance(obs, ReceiverState):
            return self.health.observe(obs)
        if isinstance(obs, Press | DeviceReport):
            return self.household.observe(obs) if self.household else []
        if isinstance(obs, Heartbeat):
            return []
        raise TypeError(f"unknown observation {obs!r}")

    # -- status -----------------------------------------------------------------------

    def status(self, state: str = "online") -> GatewayStatus:
        outbox = self.outbox
        return GatewayStatus(
            gw=self.config.gateway.id,
            state="online" if state == "online" else "offline",
            ts=self.clock.now(),
            version=__version__,
            config_hash=self.config.digest(),
            drivers={d.id: d.status() for d in self.drivers},
            outbox=OutboxStatus(depth=outbox.depth, dropped=outbox.dropped) if outbox else None,
            disk=disk_of(self.config.data_dir),
            counters=dict(self.counters),
            household=self.household.status(self.clock.now()) if self.household else None,
            interval_s=self.config.status_interval_s,
        )

    # -- tasks ------------------------------------------------------------------------

    async def _pump(self, driver: Driver) -> None:
        # aclosing: on stop the driver's generator is closed at once, releasing its
        # port or scanner, rather than whenever the garbage collector gets to it.
        async with contextlib.aclosing(driver.observations()) as observations:
            async for obs in observations:
                self.liveness.heard(driver.id, self.clock.monotonic())
                if isinstance(obs, Advert):
                    try:
                        self._queue.put_nowait(obs)
                    except asyncio.QueueFull:
                        self.counters["adverts_shed"] += 1
                else:
                    if isinstance(obs, Press):
                        self.commands.pressed()  # a reminder has its answer
                    await self._queue.put(obs)  # state changes are never shed

    async def _rules(self, outbox: Outbox) -> None:
        next_sweep = self.clock.monotonic() + SWEEP_S
        while True:
            drafts: list[EventDraft] = []
            try:
                # Not wait_for: on Python 3.11 it swallows a cancellation that meets an
                # observation arriving, and the rules never stopped (seen on SIGTERM
                # right after an advert). asyncio.timeout tells the two apart.
                async with asyncio.timeout(max(0.0, next_sweep - self.clock.monotonic())):
                    obs = await self._queue.get()
                drafts += self.decide(obs)
                while not self._queue.empty() and len(drafts) < 1000:
                    drafts += self.decide(self._queue.get_nowait())
            except TimeoutError:
                pass
            now = self.clock.monotonic()
            self.liveness.rules_ran(now)
            if now >= next_sweep:
                while self._late_orders:
                    drafts += self.decide(self._late_orders.pop(0))
                drafts += self.presence.expire(now, self.clock.now())
                for search_id in self.search.expire(self.clock.now()):
                    log.info("search %s ran out", search_id)
                if self.household:
                    drafts += self.household.tick(now, self.clock.now())
                next_sweep = now + SWEEP_S
            if drafts:
                await run_to_end(outbox.append(drafts, self._rule_state()))
                self.counters["events"] += len(drafts)

    async def _flush(self, outbox: Outbox) -> None:
        """Decide on what the drivers already delivered, and commit it."""
        drafts: list[EventDraft] = []
        while not self._queue.empty():
            drafts += self.decide(self._queue.get_nowait())
        if drafts:
            await outbox.append(drafts, self._rule_state())
            self.counters["events"] += len(drafts)

    def _rule_state(self) -> dict[str, Any] | None:
        """What the rules must remember across restarts, committed with their events."""
        return {STATE_NAME: self.household.state()} if self.household else None

    async def _status_loop(self, uplink: Uplink) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.config.status_interval_s):  # see _rules
                    await self._status_now.wait()
            self._status_now.clear()
            status = self.status()
            await uplink.publish_status(status)
            self._save_status(status)

    def _save_status(self, status: GatewayStatus) -> None:
        """The last status on disk too, for ``mimamori edge diagnose`` when offline."""
        path = self.config.data_dir / STATUS_FILE
        try:
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_bytes(encode_status(status))
            tmp.replace(path)
        except OSError as exc:
            log.debug("cannot save the status to %s: %s", path, exc)

    def problems(self) -> list[str]:
        """What has stalled (empty while alive): decides whether the watchdog is fed."""
        outbox, link, uplink = self.outbox, self.link, self.uplink
        return self.liveness.problems(
            self.clock.monotonic(),
            {d.id: d.status() for d in self.drivers},
            connected=link is not None and link.connected.is_set(),
            # Events the broker has wait for the hub, not for the uplink: a hub away
            # is no reason to restart the gateway.
            outbox_depth=outbox.depth if outbox and outbox.unsent else 0,
            batches_sent=uplink.counters["batches_sent"] if uplink else 0,
        )

    def _liveness(self, config: GatewayConfig) -> Liveness:
        return Liveness(
            receiver_limits(config),
            # A PUBACK takes milliseconds; a lost connection is noticed within 1.5
            # keepalives, so this long connected without one means the uplink is stuck.
            outbox_stall_s=max(60.0, 4.0 * config.broker.keepalive_s),
            now=self.clock.monotonic(),
        )

    def reconfigure(self, new: GatewayConfig) -> None:
        """Run on ``new`` from now on; it differs only in what may change live
        (``reload.LIVE_KEYS``, checked by the caller), or its drivers already run
        (``start_drivers``, a config from the hub)."""
        if new.household != self.config.household or new.buttons != self.config.buttons:
            saved = self.household.state() if self.household else None
            self.household = build_household(new, self.clock, saved)
        self.config = new
        self.presence.params = presence_params(new)
        self.search.min_interval_s = new.presence.search_interval_s
        self.triage.policy = tag_policy(new)
        self._status_now.set()  # tell the hub the new config hash now

    # -- drivers and the hub's configs -------------------------------------------------

    def start_drivers(self, config: GatewayConfig) -> None:
        """Build ``config``'s drivers and pump them in the running task group."""
        assert self._group is not None, "start_drivers while the daemon runs"
        self.drivers = build_drivers(config, self.clock, self._ble_backend)
        self.commands = Commands(self.drivers, self.counters, self._config_command)
        self.liveness = self._liveness(config)
        self._inputs = {
            d.id: self._group.create_task(self._pump(d), name=f"driver-{d.id}")
            for d in self.drivers
        }

    async def stop_drivers(self) -> None:
        """Stop every driver's pump (closing its port or scanner) and wait for it."""
        tasks = list(self._inputs.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        self._inputs = {}

    def _config_command(self, command: ConfigCommand) -> None:
        if self.pushes is None or self._group is None:
            self.counters["commands_rejected"] += 1
            log.warning("config %d from the hub refused: no config file here", command.version)
            return
        self.pushes.take(command, self._group)

    async def commit(self, drafts: list[EventDraft]) -> None:
        """Events decided outside the rules (a config's result) into the outbox."""
        assert self.outbox is not None
        await run_to_end(self.outbox.append(drafts, self._rule_state()))
        self.counters["events"] += len(drafts)
        self._status_now.set()

    # -- life cycle ----------------------------------------------------------------------

    def stop(self) -> None:
        self._stop.set()

    def _link_settings(self) -> LinkSettings:
        b = self.config.broker
        gw = self.config.gateway.id
        try:
            password = b.read_password()
        except OSError as exc:
            raise MimamoriError(f"cannot read broker.password_file: {exc.strerror}") from exc
        offline = encode_status(GatewayStatus(gw=gw, state="offline"))
        return LinkSettings(
            host=b.host,
            port=b.port,
            client_id=f"mimamori-gw-{gw}",
            username=b.username,
            password=password,
            tls=b.tls,
            keepalive_s=b.keepalive_s,
            backoff_max_s=b.reconnect_max_s,
            will=Will(status_topic(gw), offline, qos=1, retain=True),
            # Retained orders arrive on every (re)connect, so a gateway that was off
            # when a search began still joins it; so do the hub's ack and presence.
            # Commands are never retained, and this session is clean: a command sent
            # while the gateway was away is not kept for it (protocol/commands.py).
            subscriptions=((SEARCH_SUBSCRIPTION, 1), (command_topic(gw), 1), *subscriptions(gw)),
        )

    def _on_message(self, message: Message) -> None:
        """An ack, a hub presence, a command or a search order from the hub (paho's thread has
        already handed it over)."""
        if self.uplink is not None and self.uplink.handle(message):
            return
        if message.topic == command_topic(self.config.gateway.id):
            self.commands.carry_out(message.payload)
            return
        search_id = parse_search_topic(message.topic)
        try:
            if search_id is None:
                raise ProtocolError("topic", f"unexpected topic {message.topic!r}")
            order = decode_search(message.payload, topic_search=search_id)
        except ProtocolError as exc:
            self.counters["search_orders_rejected"] += 1
            log.warning("search order refused: %s", exc)
            return
        try:
            self._queue.put_nowait(SearchChange(search_id, order))
        except asyncio.QueueFull:  # a flood of adverts: the order waits for the next sweep
            self._late_orders.append(SearchChange(search_id, order))

    async def run(self) -> None:
        data_dir = self.config.data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        with _exclusive(data_dir / "edge.lock"):
            outbox = await Outbox.open(data_dir / "outbox.sqlite3", self.config.outbox.max_events)
            self.outbox = outbox
            saved = await outbox.load_state(STATE_NAME)
            self.household = build_household(self.config, self.clock, saved)
            if self.household and saved is None:  # first start: the first period begins now
                await outbox.append([], self._rule_state())
            try:
                await self._run_tasks(outbox)
            finally:
                await outbox.close()
                if self._stop_watch is not None:
                    self._stop_watch.cancel()
                faulthandler.cancel_dump_traceback_later()

    async def _run_tasks(self, outbox: Outbox) -> None:
        async def announce() -> None:  # on every (re)connect: who we are, how we are
            await uplink.publish_status()

        link = MqttLink(
            self._link_settings(),
            on_connected=announce,
            on_message=self._on_message,
            name=f"gw {self.config.gateway.id}",
        )
        uplink = Uplink(
            self.config.gateway.id,
            link,
            outbox,
            self.status,
            batch_size=self.config.outbox.batch_size,
            clock=self.clock,
            resend_after_s=self.config.outbox.resend_after_s,
        )
        self.link, self.uplink = link, uplink
        async with asyncio.TaskGroup() as tg:
            self._group = tg
            self._inputs = {
                d.id: tg.create_task(self._pump(d), name=f"driver-{d.id}") for d in self.drivers
            }
            rules = tg.create_task(self._rules(outbox), name="rules")
            others = [
                tg.create_task(link.run(), name="link"),
                tg.create_task(uplink.run(), name="uplink"),
                tg.create_task(self._status_loop(uplink), name="status"),
            ]
            interval = self.notifier.watchdog_interval_s
            if interval is not None:
                others.append(
                    tg.create_task(
                        feed_watchdog(self.notifier, self.problems, interval), name="watchdog"
                    )
                )
            self.ready.set()
            self.notifier.ready("running")
            log.info(
                "gateway %s running: %d receiver(s), outbox depth %d",
                self.config.gateway.id,
                len(self.drivers),
                outbox.depth,
            )
            await self._stop.wait()
            self._watch_the_stop()
            self.notifier.stopping()
            log.info("stopping: flushing decisions, then going offline")
            self._group = None  # a config being applied starts no drivers any more
            pushes = [self.pushes.task] if self.pushes and self.pushes.task else []
            for task in pushes:
                task.cancel()
            inputs = list(self._inputs.values())
            for task in inputs:
                task.cancel()
            rules.cancel()
            await asyncio.wait([rules, *inputs, *pushes])
            await self._flush(outbox)
            offline = self.status("offline")
            self._save_status(offline)
            said = False
            with contextlib.suppress(TimeoutError):
                said = await asyncio.wait_for(uplink.publish_status(offline), 3.0)
            if not said:
                # Leaving with the will makes the broker say "offline" for us (a clean
                # disconnect would swallow it, and the hub would wait for silence).
                link.leave_with_will = True
                log.warning("could not say 'offline' in time; leaving with the last will")
            for task in others:
                task.cancel()

    def _watch_the_stop(self) -> None:
        """A stop that takes long says why: which tasks still wait, and where, after
        SLOW_STOP_S; every thread's stack after twice that (if the loop itself is stuck)."""
        why = f"still stopping after {SLOW_STOP_S:g} s"
        loop = asyncio.get_running_loop()
        self._stop_watch = loop.call_later(SLOW_STOP_S, log_pending_tasks, log, why)
        if sys.__stderr__ is not None:
            with contextlib.suppress(ValueError, OSError):  # a stderr with no file behind it
                faulthandler.dump_traceback_later(2 * SLOW_STOP_S, file=sys.__stderr__)


class _exclusive:
    """An exclusive lock on the data directory: one daemon per outbox."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = -1

    def __enter__(self) -> None:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(self.fd)
            raise MimamoriError(f"another mimamori edge is using {self.path.parent}") from exc

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
