"""「元気ですか？」: the message a LINE check-in asks with, its two answers, and the
postback that carries an answer back.

A button's postback names the card and a token signed with a secret of the hub
(HMAC-SHA256, as the acknowledge links of ``alerts/links.py``): the person, the due
time of the period it asks about, and the contact it was sent to. A tap counts only
when the LINE user who tapped is bound to that contact now, and only for that period:
a forwarded or replayed button does nothing for anyone else, nor on another day.

A prompt that cannot go by LINE goes to the contact's other channels (mail, SMS),
which have no buttons: its text there carries a signed, expiring link to a page with
the same two answers (``answer_link``; ``web/checkin_answer.py``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from mimamori.hub.alerts.links import make_signed, read_signed
from mimamori.hub.line.client import Button

SECRET = "line-checkin"  # the name of the hub's secret that signs the buttons
PREFIX = "checkin"
KEY_PREFIX = "line-checkin"  # a prompt's dedupe key in the notification queue
_SIG_BYTES = 16
Answer = Literal["genki", "soudan"]

WORDS: dict[str, dict[str, str]] = {
    "ja": {
        "title": "元気ですか？",
        "body": "見守りの確認です。下の「元気だよ」か「相談したい」を押してください。",
        "again": "元気ですか？（もう一度お聞きします）",
        "genki": "元気だよ",
        "soudan": "相談したい",
        "thanks": "ありがとうございます。「元気だよ」を受け付けました。",
        "consult": "「相談したい」を受け付けました。担当の方からご連絡します。",
        "already": "この日の確認は、もう受け付けています。ありがとうございます。",
        "expired": "このボタンは古くなっています。新しい「元気ですか？」にお答えください。",
        "not_yours": "このボタンは、お知らせを受け取ったご本人だけが使えます。",
        "link_body": "見守りの確認です。次のリンクを開いて、「元気だよ」か「相談したい」を"
        "押してください（{hours}時間有効）: {url}",
        "no_link_body": "見守りの確認です。お元気でしたら、担当の方にお知らせください。",
    },
    "en": {
        "title": "How are you?",
        "body": "Your daily check-in: please press 'I'm fine' or 'I'd like to talk'.",
        "again": "How are you? (asking again)",
        "genki": "I'm fine",
        "soudan": "I'd like to talk",
        "thanks": "Thank you: your check-in is recorded.",
        "consult": "Thank you: someone will contact you.",
        "already": "This day's check-in is already recorded. Thank you.",
        "expired": "This button is old: please answer the latest 'How are you?'.",
        "not_yours": "Only the person this message was sent to can use this button.",
        "link_body": "Your check-in: please open this link and press 'I'm fine' or "
        "'I'd like to talk' (valid {hours} hours): {url}",
        "no_link_body": "Your check-in: please tell your contact person that you are well.",
    },
}


def words(lang: str) -> dict[str, str]:
    return WORDS[lang if lang in WORDS else "ja"]


@dataclass(frozen=True)
class Asked:
    """What a button answers: this person's period due at ``due``, asked of ``recipient``."""

    person_id: str
    due: datetime
    recipient_id: str


class BadButton(ValueError):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _sign(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, b"checkin:" + payload, hashlib.sha256).digest()[:_SIG_BYTES]


def token(secret: bytes, asked: Asked) -> str:
    payload = f"{asked.person_id}:{int(asked.due.timestamp())}:{asked.recipient_id}".encode()
    return f"{_b64(payload)}.{_b64(_sign(secret, payload))}"


def read(secret: bytes, data: str) -> tuple[Answer, Asked] | None:
    """The answer and what it answers; None when ``data`` is no check-in postback;
    BadButton when it is one, but altered."""
    prefix, _, rest = data.partition(":")
    card, _, signed = rest.partition(":")
    if prefix != PREFIX:
        return None
    try:
        encoded, signature = signed.split(".")
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        given = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        person, due, recipient = payload.decode("ascii").split(":")
        asked = Asked(person, datetime.fromtimestamp(int(due), UTC), recipient)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadButton("not a check-in button") from exc
    if card not in ("genki", "soudan") or not hmac.compare_digest(given, _sign(secret, payload)):
        raise BadButton("a check-in button altered")
    return ("genki" if card == "genki" else "soudan"), asked


def buttons(secret: bytes, asked: Asked, lang: str) -> list[Button]:
    said = words(lang)
    signed = token(secret, asked)
    cards = ("genki", "soudan")
    return [Button(said[card], f"{PREFIX}:{card}:{signed}", said[card]) for card in cards]


# -- the answer link, for a prompt that went by mail or SMS instead (no buttons there) --

LINK_TTL = timedelta(hours=24)  # a day's check-in; the next period has a link of its own
_LINK = "checkin-link"  # the purpose it is signed for (with the person: see ``answer_link``)
_SEP = "~"  # between the person and the token: in neither a register id nor base64url


def answer_link(secret: bytes, asked: Asked, expires: datetime) -> str:
    """The token of the answer page (``web/checkin_answer.py``) for ``asked``: signed
    (``alerts/links.py``) for the purpose ``checkin-link:PERSON``, naming the period's
    due time and the contact, until ``expires``."""
    due = int(asked.due.timestamp())
    signed = make_signed(secret, f"{_LINK}:{asked.person_id}", due, asked.recipient_id, expires)
    return f"{asked.person_id}{_SEP}{signed}"


def read_answer_link(secret: bytes, token: str, now: datetime) -> Asked:
    """What an answer link asks; BadLink("invalid" | "expired") otherwise."""
    person, _, signed = token.partition(_SEP)
    due, recipient, _ = read_signed(secret, f"{_LINK}:{person}", signed, now)
    return Asked(person, datetime.fromtimestamp(due, UTC), recipient)


def prompt_key(asked: Asked, again: bool = False) -> str:
    """The prompt's dedupe key: one per person, period and contact (and one reminder)."""
    due = int(asked.due.timestamp())
    return f"{KEY_PREFIX}:{asked.person_id}:{due}:{asked.recipient_id}{':again' if again else ''}"


def asked_by(dedupe_key: str) -> Asked | None:
    """What a queued prompt asks (its key), or None for any other notice."""
    parts = dedupe_key.split(":")
    if len(parts) not in (4, 5) or parts[0] != KEY_PREFIX or not parts[2].isdigit():
        return None
    return Asked(parts[1], datetime.fromtimestamp(int(parts[2]), UTC), parts[3])
