"""Contacts told they are registered (issue 14). In seed 004 a relative "registered as
next of kin" could do nothing and a welfare office "did not know of the registration":
a contact who learns it only on the day of trouble is no contact. So when staff name
someone as a person's emergency contact (or 民生委員), or change a contact who is
named, the contact gets a message on their channels: who registered them, for whom,
what they may be asked to do, and a one-time link to confirm (``web/confirm.py``). The
desk lists who has not confirmed.

Decided by following the register's audit (written in the change's own transaction,
so no change is missed however the hub stops), from a cursor that moves by
compare-and-set in the same transaction that records the requests and queues their
messages on the durable notification queue: nothing is asked twice, by one worker or
several, and the delivery worker sends with retries as it sends alerts. Only changes
made at the desk or through the API ask anyone: an import moves a register that
existed before, and its contacts were told then.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mimamori.errors import StoreError
from mimamori.hub.access.auth import new_token, token_hash
from mimamori.hub.model.alerts import NotificationDraft
from mimamori.hub.model.clock import Clock
from mimamori.hub.model.confirmations import Ask, Confirmation, RegisterChange
from mimamori.hub.model.register import Entity
from mimamori.hub.register.registry import Registry
from mimamori.hub.register.schema import Recipient
from mimamori.hub.store.port import Store

log = logging.getLogger(__name__)

ASKING_VIA = frozenset({"desk", "api"})
# How long a request's link works, on the hub's clock. A month: a relative abroad or a
# busy office may read it late, and a link left in a mailbox for longer should not
# still show whom it is about. Once expired, the desk still lists the contact as not
# confirmed; changing the contact (or naming them again) sends a new link.
ANSWER_WITHIN = timedelta(days=30)
BATCH = 500  # audit rows read at a time; a change's rows are never split (see step)
EVERY_S = 5.0  # the loop's own pace; a change in this worker wakes it at once

TEXTS = {
    "ja": {
        "title": "緊急連絡先に登録されました（みまもり）",
        "body": (
            "{contact} 様\n\n"
            "{who} が、あなたを {people} さんの緊急連絡先として、"
            "見守りネットワーク「みまもり」に登録しました。\n\n"
            "{people} さんに心配なこと（SOS ボタンが押された、安否確認の連絡が途絶えた、"
            "行方がわからない など）が起きたとき、この連絡先にお知らせが届きます。"
            "電話での確認や、お宅への訪問をお願いすることがあります。\n\n"
            "登録をご確認いただけましたら、次のリンクを開いて「確認しました」を押してください"
            "（リンクは {days} 日間有効です）:\n"
            "{link}\n\n"
            "お心当たりがない場合や、連絡先をお引き受けできない場合は、"
            "担当の地域包括支援センターにご連絡ください。"
        ),
        "sep": "さん、",
    },
    "en": {
        "title": "You were registered as an emergency contact (mimamori)",
        "body": (
            "Dear {contact},\n\n"
            "{who} registered you as an emergency contact of {people} in mimamori, "
            "the town's watch-over network.\n\n"
            "When something worries us about {people} (an SOS button pressed, check-ins "
            "that stopped, not knowing where they are), you will get a message here, and "
            "we may ask you to call or to visit.\n\n"
            'Once you have read this, please open this link and press "Confirmed" '
            "(it works for {days} days):\n"
            "{link}\n\n"
            "If you do not know about this, or cannot be a contact, please tell the care "
            "centre (地域包括支援センター)."
        ),
        "sep": ", ",
    },
}


def message(contact: Recipient, people: list[str], who: str, link: str) -> tuple[str, str]:
    """The title and text of a request, in the contact's language."""
    text = TEXTS[contact.lang]
    named = text["sep"].join(people)
    body = text["body"].format(
        contact=contact.name, who=who, people=named, link=link, days=ANSWER_WITHIN.days
    )
    return text["title"], body


def expired(found: Confirmation, now: datetime) -> bool:
    """The request's link no longer works (``ANSWER_WITHIN`` after it was sent)."""
    return now >= found.asked_at + ANSWER_WITHIN


def _contacts_of(doc: str | None) -> set[str]:
    """The contacts a person's JSON names: emergency contacts and 民生委員."""
    if doc is None:
        return set()
    person = json.loads(doc)
    return {*person.get("contacts", []), *([person["minsei"]] if person.get("minsei") else [])}


@dataclass
class _Wanted:
    people: set[str] = field(default_factory=set)
    who: str = ""


def wanted(changes: Iterable[RegisterChange], registry: Registry) -> dict[str, _Wanted]:
    """The contacts to ask, with the people to name and who asked: a contact newly
    named by a person, or a named contact changed (desk and API changes only)."""
    found: dict[str, _Wanted] = {}
    naming: dict[str, set[str]] | None = None
    for change in changes:
        if change.via not in ASKING_VIA or change.after is None:
            continue
        if change.entity == Entity.PERSON.value:
            for contact in _contacts_of(change.after) - _contacts_of(change.before):
                ask = found.setdefault(contact, _Wanted())
                ask.people.add(change.entity_id)
                ask.who = change.who
        elif change.entity == Entity.CONTACT.value:
            if naming is None:
                naming = {}
                for person in registry.people.values():
                    for contact in _contacts_of(person.model_dump_json()):
                        naming.setdefault(contact, set()).add(person.id)
            if people := naming.get(change.entity_id):
                ask = found.setdefault(change.entity_id, _Wanted())
                ask.people |= people
                ask.who = change.who
    return found


class ContactConfirmations:
    def __init__(self, store: Store, registry: Registry, clock: Clock, public_url: str) -> None:
        self.store = store
        self.registry = registry
        self.clock = clock
        self.public_url = public_url.rstrip("/")
        self.wake = asyncio.Event()
        self.asked = 0  # requests written by this worker

    async def step(self) -> int:
        """Take the register's changes after the cursor that this worker's registry
        already shows; returns how many changes were taken."""
        cursor, changes = await self.store.register_changes_to_confirm(BATCH)
        changes = [c for c in changes if c.register_version <= self.registry.version]
        if len(changes) == BATCH:  # the last version may go on past the batch: next time
            last = changes[-1].register_version
            if changes[0].register_version != last:
                changes = [c for c in changes if c.register_version != last]
        if not changes:
            return 0
        upto = changes[-1].register_version
        asks: list[Ask] = []
        drafts: list[NotificationDraft] = []
        for contact_id, ask in sorted(wanted(changes, self.registry).items()):
            made = await self._ask(contact_id, ask, upto)
            if made is not None:
                asks.append(made[0])
                drafts += made[1]
        if await self.store.ask_contacts(cursor, upto, asks, drafts, self.clock()):
            self.asked += len(asks)
            for ask_ in asks:
                log.info("asked contact %s to confirm (for %s)", ask_.contact_id, ask_.people)
        return len(changes)

    async def _ask(
        self, contact_id: str, ask: _Wanted, upto: int
    ) -> tuple[Ask, list[NotificationDraft]] | None:
        contact = self.registry.recipients.get(contact_id)
        people = sorted(p for p in ask.people if p in self.registry.people)
        stored = await self.store.register_entries(Entity.CONTACT, [contact_id])
        channels = await self.store.contact_channels(contact_id)
        if contact is None or not people or not stored or not channels:
            return None  # gone meanwhile, or nowhere to write: the desk shows "not asked"
        token = new_token()
        link = f"{self.public_url}/confirm?token={token}"
        names = [self.registry.people[p].name for p in people]
        title, body = message(contact, names, ask.who, link)
        made = Ask(contact_id, token_hash(token), tuple(people), stored[0].version, ask.who)
        drafts = [
            NotificationDraft(None, contact_id, i, f"confirm:{contact_id}:{upto}:{i}", title, body)
            for i in range(len(channels))
        ]
        return made, drafts

    async def run(self) -> None:
        failing = False
        while True:
            try:
                while await self.step():
                    pass
                if failing:
                    log.info("asking contacts to confirm again")
                failing = False
            except StoreError as exc:
                if not failing:
                    log.warning("cannot ask contacts to confirm: %s", exc)
                failing = True
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(EVERY_S):
                    await self.wake.wait()
            self.wake.clear()
