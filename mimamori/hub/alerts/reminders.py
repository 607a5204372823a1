"""The person is asked first: a level-0 missed check-in reaches the person, not others.

Seed 004's service resends to the person before anyone else is called; Kurobe's 社協
calls the person before sending the 民生委員. When a home gateway's ladder reaches
level 0 (``checkin.missed``, by default at the end of the grace period), this loop

* tells the home gateway to make its button beep and blink until pressed: a command on
  that gateway's own topic (``protocol/commands.py``; only the hub may publish there
  and only that gateway read it), QoS 1, with an MQTT v5 expiry so a gateway that is
  away gets nothing hours later. A gateway that is offline, or whose buttons only
  broadcast (BTHome over BLE), cannot be told: "not possible" is recorded;
* queues a message on the person's own channels: the contacts of the household's
  people whose relation is 本人 (``SELF_RELATIONS``), on LINE when bound, else their
  apprise URLs (SMS, a voice-call service), through the one notification queue;
* records what it did, per channel (``model/reminders.py``), which the household's
  calendar shows (「ボタンでお知らせ」...).

It follows the events with its own cursor, moved by compare-and-set in the transaction
that records the reminders and queues the messages: a restart or a second hub worker
neither forgets nor repeats one. The button is claimed first (``sending``) and told
after the commit, so a crash in between loses at most that one beep, never repeats it.
The press that answers the beep is an ordinary check-in: it closes the missed period,
and the ladder's level 1 never comes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mimamori.errors import BrokerError, StoreError
from mimamori.hub.checkins.sources import is_line_source
from mimamori.hub.config import ReminderSettings
from mimamori.hub.model.alerts import LINE_CHANNEL, NotificationDraft
from mimamori.hub.model.clock import Clock
from mimamori.hub.model.events import StoredEvent
from mimamori.hub.model.reminders import Outcome, Reminder
from mimamori.hub.register.registry import Registry
from mimamori.hub.register.schema import Recipient
from mimamori.hub.store.port import Store
from mimamori.protocol.commands import RemindCommand, encode_command
from mimamori.protocol.events import EventKind, MissedData
from mimamori.protocol.topics import command_topic

log = logging.getLogger(__name__)

BATCH = 500
EVERY_S = 2.0  # how often new events are looked for when nobody wakes the loop
# A contact with one of these relations is the person: their own phone or LINE.
SELF_RELATIONS = frozenset({"本人", "self"})
BUTTON_DRIVERS = frozenset({"serial_button"})  # buttons that can be told something
BROADCAST_ONLY = frozenset({"bthome"})  # buttons that only send

Send = Callable[[str, bytes, int], Awaitable[None]]  # topic, payload, expiry (s)

_WORDS = {
    "ja": (
        "見守り：今日の連絡がまだです",
        "今日の「元気だよ」の連絡がまだ届いていません。"
        "お元気でしたら、いつものボタンを押してください。",
    ),
    "en": (
        "Watch-over: no check-in yet today",
        "Today's check-in has not arrived yet. If you are well, please press your button.",
    ),
}


@dataclass
class _Decided:
    reminders: list[Reminder] = field(default_factory=list)
    drafts: list[NotificationDraft] = field(default_factory=list)
    beeps: list[tuple[StoredEvent, list[str]]] = field(default_factory=list)


class Reminders:
    def __init__(
        self,
        settings: ReminderSettings,
        registry: Registry,
        store: Store,
        *,
        clock: Clock,
        send: Send | None,
        line: bool = False,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.store = store
        self.clock = clock
        self.send = send  # None: no broker (the API alone): buttons cannot be told
        self.line = line  # the town has a LINE account: bound contacts hear there
        self.on_queued = on_queued
        self.wake = asyncio.Event()
        self.failures = 0  # events that could not be handled (logged once each)

    async def run(self, every_s: float = EVERY_S) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(every_s):
                    await self.wake.wait()
            self.wake.clear()
            try:
                await self.process()
            except StoreError as exc:
                log.warning("reminders: the database failed, trying again: %s", exc)

    async def process(self) -> list[Reminder]:
        """Handle every new event; returns the reminders recorded (for tests, logs)."""
        done: list[Reminder] = []
        while True:
            cursor = await self.store.reminder_cursor()
            upto, events = await self.store.events_after(cursor, BATCH)
            if not events:
                return done
            now = self.clock()
            decided = _Decided()
            for event in events:
                try:
                    await self._decide(event, now, decided)
                except StoreError:
                    raise
                except Exception:  # one bad event must not stop the person's reminders
                    self.failures += 1
                    log.exception("reminders: event %s could not be handled", event.id)
            if not await self.store.record_reminders(
                cursor, upto, decided.reminders, decided.drafts, now
            ):
                continue  # another hub worker took these events
            if decided.drafts and self.on_queued is not None:
                self.on_queued()
            for event, buttons in decided.beeps:
                await self._beep(event, buttons)
            done += decided.reminders

    async def _decide(self, event: StoredEvent, now: datetime, out: _Decided) -> None:
        if event.kind != EventKind.CHECKIN_MISSED or event.data_as(MissedData).level != 0:
            return
        if is_line_source(event.gateway_id):
            return  # a LINE check-in asks again itself, with its buttons (checkins/line.py)
        home = self.registry.household_of_gateway.get(event.gateway_id)
        if home is None:
            return

        def record(channel: str, outcome: Outcome, detail: str, notice: str | None = None) -> None:
            reminder = Reminder(
                event.id, channel, home, event.gateway_id, now, outcome, detail, notice
            )
            out.reminders.append(reminder)

        late = now - min(event.ts, event.received_at)  # the gateway decided at ts
        if late > timedelta(minutes=self.settings.expiry_min):
            log.warning("reminder for %s not sent: learnt %s after it was due", home, late)
            record("none", "stale", f"learnt {int(late.total_seconds())} s late")
            return
        before = len(out.reminders)
        online, drivers = await self.store.gateway_drivers(event.gateway_id)
        buttons = sorted(d for d, kind in drivers.items() if kind in BUTTON_DRIVERS)
        silent = sorted(d for d, kind in drivers.items() if kind in BROADCAST_ONLY)
        if buttons and online and self.send is not None:
            record("button", "sending", "told: " + ", ".join(buttons))
            out.beeps.append((event, buttons))
        elif buttons:
            record("button", "not_possible", "the home gateway is offline")
        elif silent:
            log.info("reminder for %s: %s only send (BLE), cannot beep", home, silent)
            record("button", "not_possible", "BLE buttons cannot receive: " + ", ".join(silent))
        for recipient in self._own_contacts(home):
            await self._message(event, recipient, record, out)
        if len(out.reminders) == before:
            log.warning("reminder for %s: nothing can reach the person", home)
            record("none", "not_possible", "no button that can beep, no own channel")

    def _own_contacts(self, home: str) -> list[Recipient]:
        household = self.registry.households.get(home)
        found: dict[str, Recipient] = {}
        for person_id in household.people if household else []:
            person = self.registry.people.get(person_id)
            for contact_id in person.contacts if person else []:
                recipient = self.registry.recipients.get(contact_id)
                if recipient is not None and recipient.relation in SELF_RELATIONS:
                    found[recipient.id] = recipient
        return list(found.values())

    async def _message(
        self,
        event: StoredEvent,
        recipient: Recipient,
        record: Callable[[str, Outcome, str, str], None],
        out: _Decided,
    ) -> None:
        title, body = _WORDS[recipient.lang]
        bound = self.line and recipient.id in await self.store.line_bound([recipient.id])
        numbers = [LINE_CHANNEL] if bound else list(range(len(recipient.channels)))
        for n in numbers:
            # The channels in memory are masked (``sms://…``): the scheme says which kind.
            kind = "line" if n == LINE_CHANNEL else recipient.channels[n].partition("://")[0]
            key = f"remind-{event.id}-{recipient.id}-{'line' if n == LINE_CHANNEL else n}"
            out.drafts.append(NotificationDraft(None, recipient.id, n, key, title, body))
            record(kind, "queued", f"to {recipient.id}", key)  # the calendar follows it

    async def _beep(self, event: StoredEvent, buttons: list[str]) -> None:
        assert self.send is not None
        command = RemindCommand(ref=event.id, for_s=round(self.settings.beep_for_min * 60))
        expiry_s = round(self.settings.expiry_min * 60)
        try:
            await self.send(command_topic(event.gateway_id), encode_command(command), expiry_s)
        except BrokerError as exc:
            log.warning("reminder %s: the gateway could not be told: %s", event.id, exc)
            await self.store.reminder_sent(event.id, "button", "failed", str(exc)[:200])
            return
        log.info("reminder %s: %s told to beep %s", event.id, event.gateway_id, buttons)
        await self.store.reminder_sent(event.id, "button", "sent", "told: " + ", ".join(buttons))
