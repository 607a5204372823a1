"""A queued notice sent as a LINE push: the delivery worker's LINE channel.

The text is the notice's (its title, then what the body adds to it: when, the
acknowledge link, the link to the map or the home), and a notice about an alert gets
the answers of ``answers.py`` as quick-reply buttons, each with a token bound to that
alert and that recipient; a check-in's 「元気ですか？」 gets 元気だよ / 相談したい
(``checkins/prompt.py``); a roll-call's 「ご無事ですか」 gets 元気です / 助けが必要
(``rollcall/line.py``); any other notice (went out / came home, a search's
sightings, a search's start and end) to a family's contact ends with a one-time
sign-in link (to the map; a search's notice to the search's page). Each message
LINE accepts is counted in its month (Japan's calendar) against the plan's allowance;
crossing 80 % is logged once a month, and ``/healthz`` shows the month's count.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from mimamori.hub.access.auth import issue
from mimamori.hub.alerts.channels import Delivery
from mimamori.hub.alerts.engine import ACK_SECRET
from mimamori.hub.alerts.links import LINK_TTL, AckLink, make_token
from mimamori.hub.checkins import prompt
from mimamori.hub.line.answers import buttons
from mimamori.hub.line.client import LineClient
from mimamori.hub.line.contacts import Contacts
from mimamori.hub.model.accounts import CredentialKind
from mimamori.hub.model.alerts import QueuedNotification
from mimamori.hub.model.clock import Clock
from mimamori.hub.model.line import WARN_PERCENT, LineUsage
from mimamori.hub.rollcall import line as rollcall_line
from mimamori.hub.store.port import Store

log = logging.getLogger(__name__)

JAPAN = ZoneInfo("Asia/Tokyo")
# A notice's sign-in link (went out / came home, a search's sightings) opens the map
# signed in as the family, once, for this long: long enough to read the notice and
# tap, short enough that a forwarded chat is of no use by the evening.
SIGNIN_TTL = timedelta(minutes=30)
_SIGNIN = {
    "ja": "地図を見る（30分以内に1回だけ使えるログイン用リンク）: {url}",
    "en": "See the map (a sign-in link for one use within 30 minutes): {url}",
}
_SIGNIN_SEARCH = {  # a search's notices (sightings, start, end) open the search's page
    "ja": "捜索のページを見る（30分以内に1回だけ使えるログイン用リンク）: {url}",
    "en": "See the search's page (a sign-in link for one use within 30 minutes): {url}",
}
_SEARCH_NOTICE = "notice-search:"  # the dedupe keys of a search's notices: "…:<id>:…"


async def signin_url(
    store: Store, public_url: str, family_id: str, *, name: str, now: datetime, to: str = ""
) -> str:
    """A one-time link, valid ``SIGNIN_TTL``, that signs ``family_id`` in and opens
    ``to`` (a page of the hub; default: the map)."""
    token = await issue(
        store, CredentialKind.SIGNIN, role="family", family_id=family_id, name=name,
        ttl=SIGNIN_TTL, now=now,
    )  # fmt: skip
    query = urlencode({"token": token, **({"next": to} if to else {})})
    return f"{public_url.rstrip('/')}/signin?{query}"


def text_of(title: str, body: str) -> str:
    """The title, then the body's lines that do not repeat it (a chat shows no title)."""
    return "\n".join([title, *(line for line in body.splitlines() if line not in title)])


class LinePush:
    def __init__(
        self,
        client: LineClient,
        store: Store,
        contacts: Contacts,
        *,
        allowance: int,
        clock: Clock,
        public_url: str | None = None,
    ) -> None:
        self.client = client
        self.public_url = public_url  # the hub's address: 解決しました opens its one-tap page
        self.store = store
        self.contacts = contacts
        self.allowance = allowance
        self.clock = clock
        self.quota_refusals = 0  # pushes LINE refused for the month's allowance

    def month(self) -> str:
        return self.clock().astimezone(JAPAN).strftime("%Y-%m")

    async def usage(self) -> LineUsage:
        return await self.store.line_usage(self.month(), self.allowance)

    async def deliver(self, n: QueuedNotification) -> Delivery:
        to = await self.store.line_user_of(n.recipient_id)
        if to is None:
            return Delivery(False, "no longer bound to a LINE user", refused=True)
        answers = []
        if n.alert_id is not None:
            contact = await self.contacts.contact(n.recipient_id)
            link = AckLink(n.alert_id, n.recipient_id, self.clock() + LINK_TTL)
            token = make_token(await self.store.secret(ACK_SECRET), link)
            page = f"{self.public_url.rstrip('/')}/ack?token={token}" if self.public_url else None
            answers = buttons(token, contact.lang if contact else "ja", page)
        elif (asked := prompt.asked_by(n.dedupe_key)) is not None:  # 「元気ですか？」
            contact = await self.contacts.contact(n.recipient_id)
            secret = await self.store.secret(prompt.SECRET)
            answers = prompt.buttons(secret, asked, contact.lang if contact else "ja")
        elif (rc_token := rollcall_line.token_in(n.dedupe_key, n.body)) is not None:  # 安否確認
            contact = await self.contacts.contact(n.recipient_id)
            secret = await self.store.secret(rollcall_line.SECRET)
            lang = contact.lang if contact else "ja"
            answers = rollcall_line.buttons(secret, rc_token, n.recipient_id, lang)
        text = text_of(n.title, n.body)
        if n.alert_id is None and not answers:
            text += await self._signin(n.recipient_id, n.dedupe_key)
        sent = await self.client.push(to, text, answers, key=n.dedupe_key)
        if sent.ok:
            if sent.status != 409:  # 409: accepted on an earlier try, counted then
                await self._count()
            return Delivery(True)
        if sent.quota:
            self.quota_refusals += 1
            log.warning(
                "LINE refused notification %d: the month's messages are used up "
                "(%d refused so far); it goes to the recipient's other channels",
                n.id,
                self.quota_refusals,
            )
        return Delivery(False, sent.error, refused=not sent.retry)

    async def fallback_text(self, n: QueuedNotification) -> tuple[str, str]:
        """The title and body of ``n`` for the recipient's other channels: the same,
        but a 「元気ですか？」 (whose buttons mail and SMS cannot show) carries a link to
        a page with the same two answers instead."""
        asked = prompt.asked_by(n.dedupe_key)
        if asked is None:
            return n.title, n.body
        contact = await self.contacts.contact(n.recipient_id)
        said = prompt.words(contact.lang if contact else "ja")
        if not self.public_url:
            return n.title, said["no_link_body"]
        secret = await self.store.secret(prompt.SECRET)
        token = prompt.answer_link(secret, asked, self.clock() + prompt.LINK_TTL)
        url = f"{self.public_url.rstrip('/')}/checkin?{urlencode({'token': token})}"
        hours = int(prompt.LINK_TTL.total_seconds() // 3600)
        return n.title, said["link_body"].format(hours=hours, url=url)

    async def _signin(self, recipient_id: str, key: str) -> str:
        """A notice for a family's contact: a one-time, short-lived link that signs the
        family in (the map shows only their own people; a search's notice opens the
        search's page); "" for anyone else."""
        contact = await self.contacts.contact(recipient_id)
        if contact is None or contact.family is None or not self.public_url:
            return ""
        to, words = "", _SIGNIN
        if key.startswith(_SEARCH_NOTICE):
            to, words = f"/searches/{key.split(':')[1]}", _SIGNIN_SEARCH
        url = await signin_url(
            self.store, self.public_url, contact.family,
            name=f"LINE notice to {recipient_id}", now=self.clock(), to=to,
        )  # fmt: skip
        return "\n" + words[contact.lang if contact.lang in words else "ja"].format(url=url)

    async def _count(self) -> None:
        usage, crossed = await self.store.count_line_push(self.month(), self.allowance)
        if crossed:
            log.warning(
                "LINE: %d of the plan's %d messages of %s are used (%d %%): raise the plan "
                "or expect notices on the other channels once they run out",
                usage.pushed,
                usage.allowance,
                usage.month,
                WARN_PERCENT,
            )
