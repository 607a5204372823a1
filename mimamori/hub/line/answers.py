"""The answers a LINE notice offers as quick-reply buttons, and what a tap does.

The same answers as the one-tap page (issue 15: acknowledging is not resolving):
対応します ("I'm on it": the chain waits for the handling timeout, then goes on if nobody
resolved the alert), 行けない・次の人へ (the next step at once), and 解決しました, which
opens the one-tap page itself, because a resolve needs what happened (the outcome) and
a quick reply can carry no form.

A button's postback carries the action and the same signed token as the notice's
acknowledge link (``alerts/links.py``): it names the alert and the recipient, and
expires. A tap counts only when the LINE user who tapped is bound to that recipient
now, so a postback replayed or forged by someone else does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from mimamori.hub.alerts.engine import ACK_SECRET
from mimamori.hub.alerts.links import AckLink, BadLink, read_token
from mimamori.hub.alerts.responses import DEFAULT_HANDLING
from mimamori.hub.line.client import Button
from mimamori.hub.model.alerts import Alert
from mimamori.hub.store.port import Store

log = logging.getLogger(__name__)

ACK = "ack"
DECLINE = "decline"
RESOLVE = "resolve"  # a link to the one-tap page, not a postback
MAX_DATA = 300  # LINE's limit for a postback's data
MAX_URI = 1000  # LINE's limit for a URI action's address

# (label: at most 20 characters, what the chat shows as the user's answer) per language.
ANSWERS: dict[str, dict[str, tuple[str, str]]] = {
    ACK: {"ja": ("対応します", "対応します"), "en": ("I'm on it", "I'm on it")},
    DECLINE: {
        "ja": ("行けない・次の人へ", "行けません。次の人へお願いします"),
        "en": ("Can't: next person", "I can't go: please ask the next person"),
    },
    RESOLVE: {"ja": ("解決しました", "解決しました"), "en": ("Resolved", "Resolved")},
}

# What the hub says back after a tap, per outcome and language.
REPLIES: dict[str, dict[str, str]] = {
    "acknowledged": {
        "ja": "「対応します」を受け付けました。しばらく、ほかの方へのお知らせを待ちます。"
        "解決したら、通知のリンクから「解決しました」を押してください。",
        "en": "Thank you: you are on it. The others wait for a while; when it is resolved, "
        "please press 'Resolved' on the notice's link.",
    },
    "declined": {
        "ja": "「行けない」を受け付けました。次の方へすぐにお知らせします。",
        "en": "Thank you: the next person is being told now.",
    },
    "already": {
        "ja": "このお知らせは、すでに解決済みです。",
        "en": "This alert has already been resolved.",
    },
    "expired": {
        "ja": "このボタンの有効期限が切れています。通知のリンクから確認してください。",
        "en": "This button has expired: please use the link in the notice.",
    },
    "not_yours": {
        "ja": "このボタンは、通知を受け取った方だけが使えます。",
        "en": "Only the person this notice was sent to can use this button.",
    },
}


def buttons(token: str, lang: str, page: str | None = None) -> list[Button]:
    """The quick-reply buttons of a notice about an alert, for the holder of ``token``;
    ``page``: the one-tap page of the same token, which 解決しました opens."""
    lang = lang if lang in ("ja", "en") else "ja"
    found = []
    for action, words in ANSWERS.items():
        label, shown = words[lang]
        data = f"{action}:{token}"
        if action == RESOLVE:
            if page is not None and len(page) <= MAX_URI:
                found.append(Button(label, "", shown, uri=page))
        elif len(data) <= MAX_DATA:
            found.append(Button(label, data, shown))
    return found


@dataclass(frozen=True)
class Tapped:
    outcome: str  # a key of REPLIES, or "" when the postback is none of ours
    alert_id: int | None = None
    recipient_id: str | None = None


async def answer(
    store: Store,
    data: str,
    line_user_id: str,
    now: datetime,
    *,
    name_of: dict[str, str],
    handling: Callable[[Alert], timedelta] = lambda _: DEFAULT_HANDLING,
) -> Tapped:
    """Do what a postback asks, if the LINE user who tapped may; ``name_of`` gives the
    recipients' names for the alert's record of who answered, ``handling`` how long
    対応します holds an alert's chain (its policy's ``handling_timeout_min``)."""
    action, _, token = data.partition(":")
    if action not in (ACK, DECLINE):
        return Tapped("")
    try:
        link: AckLink = read_token(await store.secret(ACK_SECRET), token, now)
    except BadLink as exc:
        return Tapped("expired" if exc.reason == "expired" else "not_yours")
    if link.recipient_id not in await store.line_recipients_of(line_user_id):
        log.warning(
            "LINE: a postback for alert %d came from a LINE user not bound to %s: ignored",
            link.alert_id,
            link.recipient_id,
        )
        return Tapped("not_yours", link.alert_id, link.recipient_id)
    who = name_of.get(link.recipient_id, link.recipient_id)
    subject = f"alert:{link.alert_id}"
    if action == DECLINE:
        await store.audit(now, who=who, role="line", action="alert.decline", subject=subject)
        done = await store.decline_alert(
            link.alert_id, by=who, role="line", note="LINE: 行けない・次の人へ", now=now
        )
        outcome = "declined"
    else:
        await store.audit(now, who=who, role="line", action="alert.ack", subject=subject)
        alert = await store.alert(link.alert_id)
        done = alert and await store.handle_alert(
            alert.id,
            by=who,
            role="line",
            note="LINE: 対応します",
            now=now,
            until=now + handling(alert),
        )
        outcome = "acknowledged"
    return Tapped("already" if done is None else outcome, link.alert_id, link.recipient_id)
