"""Who a roll-call asks, and how: pure, from the registry.

Every household of the area (or of the town) gets a row; a home with a gateway gets
its button told (``pending``: a hub worker tells it, ``follow.py``); the contacts of
its people who have channels (the person's own phone, family, in the order of the
register) each get the message on every channel, with the household's one-time link.
The token has 192 bits (``TOKEN_BYTES``; the brief asks at least 128) and only its
SHA-256 is kept, so the database alone cannot answer for anyone.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from mimamori.hub.model.alerts import LINE_CHANNEL, NotificationDraft
from mimamori.hub.model.rollcall import Ask, Button
from mimamori.hub.register.registry import Registry
from mimamori.hub.register.schema import Household, Recipient

TOKEN_BYTES = 24  # 192 bits from the OS's generator
ANSWER_PATH = "/rollcall/answer?token="  # the one-time link's page (web/rollcall_answer.py)
KEY_PREFIX = "rollcall-"  # a roll-call message's dedupe key in the notification queue

_TITLE = {"ja": "安否確認", "en": "Safety roll-call"}
_ASK = {
    "ja": "ご無事ですか。下のリンクから「元気です」か「助けが必要」を押してください。",
    "en": "Are you safe? Open the link below and press 'I am fine' or 'I need help'.",
}
# On LINE the message has the two answers as buttons (``line.py``); the link stays.
_ASK_LINE = {
    "ja": "ご無事ですか。下の「元気です」か「助けが必要」のボタンを押してください"
    "（リンクからも答えられます）。",
    "en": "Are you safe? Press 'I am fine' or 'I need help' below (or open the link).",
}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


@dataclass
class Asking:
    asks: list[Ask] = field(default_factory=list)
    drafts: list[NotificationDraft] = field(default_factory=list)


def households_of(registry: Registry, area: str | None) -> list[Household]:
    """The households a roll-call of ``area`` asks (None: the whole town)."""
    homes = registry.households.values()
    return sorted((h for h in homes if area is None or h.area == area), key=lambda h: h.id)


def contacts_of(registry: Registry, household: Household) -> list[Recipient]:
    """The contacts of the household's people, each once, in the register's order."""
    found: dict[str, Recipient] = {}
    for person_id in household.people:
        person = registry.people.get(person_id)
        for contact_id in person.contacts if person else []:
            recipient = registry.recipients.get(contact_id)
            if recipient is not None:
                found.setdefault(recipient.id, recipient)
    return list(found.values())


def ask(
    registry: Registry,
    homes: list[Household],
    message: str,
    public_url: str,
    line_bound: set[str],
) -> Asking:
    """The rows and messages of a roll-call asking ``homes`` (each message's dedupe
    key is unique to this start, so a second roll-call asks again)."""
    out = Asking()
    start = secrets.token_hex(8)
    for home in homes:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        link = f"{public_url.rstrip('/')}{ANSWER_PATH}{token}"
        notices = 0
        for recipient in contacts_of(registry, home):
            lang = recipient.lang
            on_line = recipient.id in line_bound
            body = f"{message}\n\n{(_ASK_LINE if on_line else _ASK)[lang]}\n{link}"
            channels = [LINE_CHANNEL] if on_line else range(len(recipient.channels))
            for n in channels:
                key = f"{KEY_PREFIX}{start}-{home.id}-{recipient.id}-{n}"
                out.drafts.append(NotificationDraft(None, recipient.id, n, key, _TITLE[lang], body))
                notices += 1
        button: Button = "pending" if home.gateways else "none"
        out.asks.append(
            Ask(home.id, home.area, home.evacuation_support, token_hash(token), button, notices)
        )
    return out
