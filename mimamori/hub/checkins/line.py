"""Check-in by LINE: the hub keeps a person's schedule, asks 「元気ですか？」 on their
own LINE, and records the answer, or the silence, as a home gateway would.

The rule is the home gateway's own (``edge/rules/checkin.py``, pure logic): periods,
grace and ladder behave exactly as with a button. What it decides becomes the same
events (``checkin.done``, ``checkin.consult``, ``checkin.missed`` with its level) of the
household's LINE source (``sources.py``), so the alert rules open and close the same
alerts and the calendar shows the same days. Level 0 (the person is asked first) is
the prompt again, with its buttons, recorded as a reminder by LINE.

A person starts once one of their own contacts (relation 本人 / self) is bound to LINE.
From then the schedule runs whatever LINE does: a prompt LINE cannot take goes to the
contact's other channels (the queue's fallback) and a missed check-in escalates.

State lives in the database (``line_checkins``), moved by compare-and-set together
with what it decided: a restart resumes, a second hub worker decides nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mimamori.edge.rules.checkin import CheckinRule, CheckinState
from mimamori.errors import StoreError
from mimamori.hub.alerts.reminders import SELF_RELATIONS
from mimamori.hub.checkins import prompt
from mimamori.hub.checkins.sources import line_source
from mimamori.hub.model.alerts import LINE_CHANNEL, NotificationDraft
from mimamori.hub.model.clock import Clock
from mimamori.hub.model.events import StoredEvent
from mimamori.hub.model.reminders import Reminder
from mimamori.hub.register.registry import Registry
from mimamori.hub.register.schema import PersonEntry
from mimamori.hub.store.port import Store
from mimamori.protocol.events import Event, EventDraft, MissedData

log = logging.getLogger(__name__)

EVERY_S = 1.0  # a look at every schedule: one query for a town's few hundred people
DEVICE = "line"  # the "button" a LINE check-in was made with
_TRIES = 3  # compare-and-set retries when another worker moved the state meanwhile


@dataclass
class _Kept:
    """A person's state as kept: the rule's, the prompt sent, the events' counter."""

    checkin: CheckinState
    prompted: int | None = None  # the due time (epoch s) last asked about
    seq: int = 0

    def to_json(self) -> str:
        doc = {"checkin": self.checkin.to_json(), "prompted": self.prompted, "seq": self.seq}
        return json.dumps(doc)

    @classmethod
    def from_json(cls, text: str) -> _Kept:
        doc: dict[str, Any] = json.loads(text)
        return cls(CheckinState.from_json(doc["checkin"]), doc.get("prompted"), doc["seq"])


@dataclass
class _Decided:
    events: list[tuple[str, Event]] = field(default_factory=list)
    drafts: list[NotificationDraft] = field(default_factory=list)
    reminders: list[Reminder] = field(default_factory=list)


class LineCheckins:
    def __init__(
        self,
        registry: Registry,
        store: Store,
        *,
        clock: Clock,
        after_commit: Callable[[list[StoredEvent]], None],
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        self.registry = registry
        self.store = store
        self.clock = clock
        self.after_commit = after_commit
        self.on_queued = on_queued
        self.wake = asyncio.Event()
        self.failures = 0  # people whose step failed (logged each time, the next goes on)
        self._waiting: set[str] = set()  # people told once to be waiting for a binding

    # -- who ---------------------------------------------------------------------------

    def people(self) -> list[PersonEntry]:
        return [p for p in self.registry.people.values() if p.line_checkin is not None]

    def own_contacts(self, person: PersonEntry) -> list[str]:
        found = []
        for contact_id in person.contacts:
            recipient = self.registry.recipients.get(contact_id)
            if recipient is not None and recipient.relation in SELF_RELATIONS:
                found.append(recipient.id)
        return found

    def _rule(self, person: PersonEntry, kept: _Kept | None, now: datetime) -> CheckinRule:
        plan = person.line_checkin
        assert plan is not None
        grace = timedelta(minutes=plan.schedule.grace_min)
        state = kept.checkin if kept else None
        return CheckinRule(plan.build_schedule(), plan.build_steps(), grace, now, state)

    # -- the schedule --------------------------------------------------------------------

    async def step(self) -> int:
        """Decide what is due for everyone now; how many people moved."""
        states = await self.store.line_checkin_states()
        moved = 0
        for person in self.people():
            try:
                moved += await self._step_one(person, states.get(person.id))
            except StoreError:
                raise
            except Exception:  # one person's trouble must not stop the others' check-ins
                self.failures += 1
                log.exception("LINE check-in of %s could not be decided", person.id)
        return moved

    async def _step_one(self, person: PersonEntry, saved: tuple[int, str] | None) -> int:
        for _ in range(_TRIES):
            now = self.clock()
            version, kept = (saved[0], _Kept.from_json(saved[1])) if saved else (0, None)
            if kept is None and not await self._may_start(person):
                return 0
            rule = self._rule(person, kept, now)
            kept = kept or _Kept(rule.state)
            decided = _Decided()
            home = person.household or ""
            due = int(rule.state.due.timestamp())
            if now >= rule.state.due and kept.prompted != due:
                self._ask(person, rule.state.due, decided)
                kept.prompted = due
            for draft in rule.tick(now):
                kept.seq += 1
                event = _event(person.id, draft, kept.seq)
                decided.events.append((line_source(home), event))
                missed = MissedData.model_validate(draft.data)
                if missed.level == 0:  # the person first: asked again, with the buttons
                    self._ask(person, missed.due, decided, event=event, now=now)
            kept.checkin = rule.state
            if version and not decided.events and not decided.drafts:
                return 0
            if await self._save(person.id, version, kept, decided, now):
                return 1
            saved = (await self.store.line_checkin_states()).get(person.id)
        return 0

    async def _may_start(self, person: PersonEntry) -> bool:
        """A person starts once an own contact is bound to LINE (said once while not)."""
        if person.household is None or person.household not in self.registry.households:
            if person.id not in self._waiting:
                self._waiting.add(person.id)
                log.warning("LINE check-in of %s needs a household: not started", person.id)
            return False
        own = self.own_contacts(person)
        if own and await self.store.line_bound(own):
            self._waiting.discard(person.id)
            return True
        if person.id not in self._waiting:
            self._waiting.add(person.id)
            log.info("LINE check-in of %s waits until their own contact is bound", person.id)
        return False

    def _ask(
        self,
        person: PersonEntry,
        due: datetime,
        out: _Decided,
        *,
        event: Event | None = None,
        now: datetime | None = None,
    ) -> None:
        for recipient_id in self.own_contacts(person):
            recipient = self.registry.recipients[recipient_id]
            said = prompt.words(recipient.lang)
            asked = prompt.Asked(person.id, due, recipient_id)
            key = prompt.prompt_key(asked, again=event is not None)
            title = said["again"] if event is not None else said["title"]
            out.drafts.append(
                NotificationDraft(None, recipient_id, LINE_CHANNEL, key, title, said["body"])
            )
            if event is not None and now is not None:
                home = person.household or ""
                out.reminders.append(
                    Reminder(event.id, "line", home, line_source(home), now, "queued",
                             f"to {recipient_id}", key)
                )  # fmt: skip
        if not out.drafts:
            log.warning("LINE check-in of %s: no own contact to ask", person.id)

    async def _save(self, person_id: str, version: int, kept: _Kept, out: _Decided,
                    now: datetime) -> bool:  # fmt: skip
        new = await self.store.save_line_checkin(
            person_id,
            version,
            kept.to_json(),
            events=out.events,
            notifications=out.drafts,
            reminders=out.reminders,
            now=now,
        )
        if new is None:
            return False
        self.after_commit(new)
        if out.drafts and self.on_queued is not None:
            self.on_queued()
        return True

    # -- an answer -----------------------------------------------------------------------

    async def tap(self, data: str, line_user_id: str) -> str | None:
        """Record a tap on 元気だよ / 相談したい if the LINE user may; what to reply.
        None when the postback is not a check-in's."""
        secret = await self.store.secret(prompt.SECRET)
        try:
            read = prompt.read(secret, data)
        except prompt.BadButton:
            log.warning("LINE check-in: an altered button was tapped: ignored")
            return prompt.words("ja")["not_yours"]
        if read is None:
            return None
        card, asked = read
        recipient = self.registry.recipients.get(asked.recipient_id)
        said = prompt.words(recipient.lang if recipient else "ja")
        if asked.recipient_id not in await self.store.line_recipients_of(line_user_id):
            log.warning("LINE check-in of %s: tapped by a LINE user not bound", asked.person_id)
            return said["not_yours"]
        return said[await self.answer(asked, card)]

    async def is_open(self, asked: prompt.Asked) -> str | None:
        """None while the period ``asked`` is about still waits for its answer; else
        why not: "already" (answered, or a later period runs) or "expired"."""
        person = self.registry.people.get(asked.person_id)
        saved = (await self.store.line_checkin_states()).get(asked.person_id)
        if person is None or person.line_checkin is None or saved is None:
            return "expired"
        rule = self._rule(person, _Kept.from_json(saved[1]), self.clock())
        if rule.state.due != asked.due:
            return "already" if rule.state.due > asked.due else "expired"
        return None

    async def answer(self, asked: prompt.Asked, card: prompt.Answer) -> str:
        """Record 元気だよ / 相談したい for the period ``asked`` is about, as a press of
        the household's button; the outcome: "thanks", "consult", "already" (that
        period was answered already) or "expired". The caller checked who answers
        (a LINE user bound to the contact, or the contact's signed link)."""
        person = self.registry.people.get(asked.person_id)
        if person is None or person.line_checkin is None:
            return "expired"
        for _ in range(_TRIES):
            saved = (await self.store.line_checkin_states()).get(person.id)
            if saved is None:
                return "expired"
            now = self.clock()
            kept = _Kept.from_json(saved[1])
            rule = self._rule(person, kept, now)
            if rule.state.due != asked.due:
                return "already" if rule.state.due > asked.due else "expired"
            decided = _Decided()
            for draft in rule.press(DEVICE, card, now):
                kept.seq += 1
                event = _event(person.id, draft, kept.seq)
                decided.events.append((line_source(person.household or ""), event))
            kept.checkin = rule.state
            if await self._save(person.id, saved[0], kept, decided, now):
                log.info("LINE check-in of %s: %s", person.id, card)
                return "thanks" if card == "genki" else "consult"
        raise StoreError(f"LINE check-in of {person.id}: the state kept moving")

    async def run(self, every_s: float = EVERY_S) -> None:
        while True:
            try:
                await self.step()
            except StoreError as exc:
                log.warning("LINE check-ins: the database failed, trying again: %s", exc)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(every_s):
                    await self.wake.wait()
            self.wake.clear()


def _event(person_id: str, draft: EventDraft, seq: int) -> Event:
    """The rule's draft as an event; its id is the same whoever decides it (a step
    decided twice, by a retry, is kept once)."""
    detail = json.dumps(draft.data, sort_keys=True)
    basis = f"line-checkin|{person_id}|{draft.kind}|{draft.ts.isoformat()}|{detail}"
    event_id = hashlib.sha256(basis.encode()).hexdigest()[:32]
    return draft.numbered(event_id, seq)
