"""Binding a LINE user to a contact (or a partner's report link) without anyone typing
an id.

The desk (or ``mimamori hub line link``) issues a one-time code for a recipient; the
contact adds the town's account as a friend and sends the code; the hub binds that
LINE user to the recipient and confirms in LINE. A wrong, expired or used code binds
nothing and gets a clear reply; a LINE user who keeps sending wrong codes is not
listened to for a while (``MAX_FAILURES`` per ``WINDOW``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from mimamori.hub.line.codes import code_hash, new_code
from mimamori.hub.model.line import LinkCode, Redemption
from mimamori.hub.store.port_line import LineStore

MAX_FAILURES = 5  # wrong codes a LINE user may send ...
WINDOW = timedelta(hours=24)  # ... within a day (codes.py: what that leaves a guesser)
_DRAWS = 5  # codes drawn before giving up on a free one (10^8 of them: one is plenty)

# What the account says, Japanese first (a LINE user not yet bound is told in Japanese:
# the account is the town's).
SAY: dict[str, dict[str, str]] = {
    "welcome": {
        "ja": "友だち追加ありがとうございます。見守りの通知をこのLINEで受け取るには、"
        "担当者からお知らせした8けたの番号を、このトークに送ってください。",
        "en": "Thank you for adding us. To receive watch-over notices here, send the "
        "8-digit code you were given.",
    },
    "bound": {
        "ja": "登録しました。{name} さんあての見守りの通知を、このLINEでお送りします。",
        "en": "Done: watch-over notices for {name} will come to this LINE.",
    },
    "bound_partner": {  # a partner's report link (cases/feedback.py): named by its label
        "ja": "登録しました（{label}）。お知らせいただいた件について、地域包括支援センターの"
        "対応の状況を、このLINEでお送りします。",
        "en": "Done ({label}): news of what the care centre does about what you report "
        "will come to this LINE.",
    },
    "wrong": {
        "ja": "番号が違います。担当者からお知らせした8けたの番号を、もう一度お確かめください。",
        "en": "That code is not right. Please check the 8-digit code you were given.",
    },
    "expired": {
        "ja": "この番号は有効期限が切れています。担当者に新しい番号を発行してもらってください。",
        "en": "This code has expired. Please ask for a new one.",
    },
    "used": {
        "ja": "この番号はすでに使われています。担当者に新しい番号を発行してもらってください。",
        "en": "This code was already used. Please ask for a new one.",
    },
    "too_many": {
        "ja": "番号の間違いが続いたため、しばらく受け付けられません。"
        "時間をおいてから、もう一度送ってください。",
        "en": "Too many wrong codes: please try again later.",
    },
    "notices_only": {
        "ja": "このアカウントは見守りの通知専用です。ご用件は、担当の地域包括支援センターへ"
        "ご連絡ください。",
        "en": "This account only sends watch-over notices. Please contact your care centre.",
    },
}


class NoFreeCode(RuntimeError):
    """No unused code was found in ``_DRAWS`` draws (the database must be refusing them)."""


async def issue_code(
    store: LineStore, recipient_id: str, now: datetime, ttl: timedelta
) -> LinkCode:
    """A new code for ``recipient_id``, valid for ``ttl``; its older unused code ends."""
    expires = now + ttl
    for _ in range(_DRAWS):
        code = new_code()
        if await store.add_line_code(code_hash(code), recipient_id, now, expires):
            return LinkCode(code, recipient_id, expires)
    raise NoFreeCode(f"no free linking code in {_DRAWS} draws")


async def redeem(store: LineStore, code: str, line_user_id: str, now: datetime) -> Redemption:
    return await store.redeem_line_code(
        code_hash(code), line_user_id, now, max_failures=MAX_FAILURES, window=WINDOW
    )
