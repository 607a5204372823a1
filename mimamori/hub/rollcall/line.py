"""元気です / 助けが必要 on LINE: the quick-reply buttons of a roll-call's message to a
contact bound to LINE, and the postback that carries a tap back.

The message is the one every contact gets (``asking.py``), with the household's
one-time link; on LINE it also gets two buttons. A button's postback carries that
link's token (it names the roll-call and the household, and works only while the
roll-call runs), the recipient the message was sent to, and a signature over both
with a secret of the hub (HMAC-SHA256, as ``checkins/prompt.py``). A tap counts only
when the LINE user who tapped is bound to that recipient now, so a forwarded or
altered button does nothing; it answers exactly as the link's page does
(``RollCalls.answer``: 助けが必要 opens an SOS alert at once).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

from mimamori.hub.line.client import Button
from mimamori.hub.model.rollcall import Answer
from mimamori.hub.rollcall.asking import ANSWER_PATH, KEY_PREFIX

SECRET = "line-rollcall"  # the name of the hub's secret that signs the buttons
PREFIX = "rollcall"
_SIG_BYTES = 16
MAX_DATA = 300  # LINE's limit for a postback's data
CARDS: tuple[Answer, ...] = ("safe", "help")

WORDS: dict[str, dict[str, str]] = {
    "ja": {
        "safe": "元気です",
        "help": "助けが必要",
        "thanks": "「元気です」を受け付けました。ありがとうございます。",
        "helping": "「助けが必要」を受け付けました。担当者にすぐ知らせました。",
        "over": (
            "この安否確認は終了しました。お困りのときは、地域包括支援センターにお電話ください。"
        ),
        "not_yours": "このボタンは、お知らせを受け取った方だけが使えます。",
    },
    "en": {
        "safe": "I am fine",
        "help": "I need help",
        "thanks": "Thank you: 'I am fine' was received.",
        "helping": "'I need help' was received: the people in charge were told at once.",
        "over": "This roll-call has ended. If you need help, please call your care centre.",
        "not_yours": "Only the person this message was sent to can use this button.",
    },
}


def words(lang: str) -> dict[str, str]:
    return WORDS[lang if lang in WORDS else "ja"]


class BadButton(ValueError):
    pass


@dataclass(frozen=True)
class Tap:
    answer: Answer
    token: str  # the household's one-time link's token
    recipient_id: str  # whom the message with the button was sent to


def token_in(dedupe_key: str, body: str) -> str | None:
    """The one-time link's token of a queued roll-call message; None for any other."""
    if not dedupe_key.startswith(KEY_PREFIX) or ANSWER_PATH not in body:
        return None
    found = body.rsplit(ANSWER_PATH, 1)[1].split()
    return found[0] if found else None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: bytes, recipient_id: str, token: str) -> bytes:
    payload = f"rollcall:{recipient_id}:{token}".encode()
    return hmac.new(secret, payload, hashlib.sha256).digest()[:_SIG_BYTES]


def buttons(secret: bytes, token: str, recipient_id: str, lang: str) -> list[Button]:
    """元気です and 助けが必要 for ``recipient_id``'s message with ``token``'s link."""
    said = words(lang)
    signed = f"{_b64(recipient_id.encode())}.{token}.{_b64(_sign(secret, recipient_id, token))}"
    found = []
    for card in CARDS:
        data = f"{PREFIX}:{card}:{signed}"
        if len(data) <= MAX_DATA:
            found.append(Button(said[card], data, said[card]))
    return found


def read(secret: bytes, data: str) -> Tap | None:
    """What a postback answers; None when it is no roll-call's; BadButton when it is
    one, but altered."""
    prefix, _, rest = data.partition(":")
    if prefix != PREFIX:
        return None
    card, _, signed = rest.partition(":")
    try:
        encoded, token, signature = signed.split(".")
        recipient_id = _unb64(encoded).decode("utf-8")
        given = _unb64(signature)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadButton("not a roll-call button") from exc
    expected = _sign(secret, recipient_id, token)
    if card not in CARDS or not hmac.compare_digest(given, expected):
        raise BadButton("a roll-call button altered")
    return Tap("help" if card == "help" else "safe", token, recipient_id)
