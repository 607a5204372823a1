"""The webhook's events, handled one at a time after LINE got its answer.

Each kept event is leased (a second hub worker skips it), parsed by LINE's SDK and
handled: a follow is welcomed, an unfollow (or a block) ends the user's bindings (a
partner link's too), a text may be a linking code (a contact's or a partner link's) or
「さがす」 (``search.py``), a postback is an answer to a notice, to a check-in
(``checkins/line.py``), to a roll-call (``rollcall/``) or a search's button. An event
that cannot be handled is set aside like ingest's poison: counted, logged once with why,
kept in the quarantine (source "line"), and the next one is handled. Handled events are
kept for ``KEEP`` so that LINE's redelivery of one is recognised, then forgotten.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from linebot.v3.webhooks import (
    Event,
    FollowEvent,
    MessageEvent,
    PostbackEvent,
    TextMessageContent,
    UnfollowEvent,
    UserSource,
)

from mimamori.errors import StoreError
from mimamori.hub.line.answers import REPLIES, answer
from mimamori.hub.line.client import Button, LineClient
from mimamori.hub.line.codes import looks_like_a_code, read_code
from mimamori.hub.line.contacts import Contacts
from mimamori.hub.line.linking import SAY, redeem
from mimamori.hub.line.search import LineSearch, asks_for_menu
from mimamori.hub.model.cases import link_of_recipient
from mimamori.hub.model.clock import Clock
from mimamori.hub.model.quarantine import Quarantined
from mimamori.hub.store.port import Store

log = logging.getLogger(__name__)

LEASE_S = 60.0  # longer than one event's handling: a reply is bounded by 20 s
EVERY_S = 1.0
# LINE redelivers an event it could not deliver for a while (hours, by its docs); a
# week of ids is far past that, and a few thousand rows for a town.
KEEP = timedelta(days=7)
PURGE_EVERY = timedelta(hours=1)


class LineEvents:
    def __init__(self, store: Store, client: LineClient, contacts: Contacts, *, clock: Clock):
        self.store = store
        self.client = client
        self.contacts = contacts
        self.clock = clock
        self.wake = asyncio.Event()  # set by the webhook when it kept new events
        self.failures = 0  # events set aside
        self.replies_failed = 0
        self._purged_at: datetime | None = None
        # Taps on buttons of other rooms: a check-in's 元気だよ / 相談したい
        # (``checkins/line.py``), a roll-call's 元気です / 助けが必要 (``rollcall/``).
        # Each takes (postback data, LINE user) and gives the reply, or None when the
        # postback is not its own. Added when the hub runs them.
        self.taps: list[Callable[[str, str], Awaitable[str | None]]] = []
        # 「さがす」 and its buttons (``line/search.py``): set when the hub runs searches.
        self.search: LineSearch | None = None

    async def handle_due(self) -> int:
        """Handle what is waiting now; how many events were taken."""
        batch = await self.store.claim_line_events(self.clock(), LEASE_S)
        for row in batch:
            error = None
            try:
                await self.handle(row.body)
            except Exception as exc:
                if not await self._database_answers():
                    raise StoreError(f"the database does not answer: {exc}") from exc
                error = f"{type(exc).__name__}: {str(exc)[:300]}"
                await self._set_aside(row.event_id, row.body, error, exc)
            await self.store.finish_line_event(row.id, error, self.clock())
        return len(batch)

    async def _set_aside(self, event_id: str, body: str, error: str, exc: Exception) -> None:
        self.failures += 1
        detail = f"LINE event {event_id}: {error}"
        log.error("LINE: set aside %s", detail, exc_info=exc)
        item = Quarantined("line", "event_failed", detail, True, None, None, body.encode())
        await self.store.quarantine([item], self.clock())

    async def _database_answers(self) -> bool:
        try:
            return await self.store.ping()
        except Exception:
            return False

    async def handle(self, body: str) -> None:
        event = Event.from_dict(json.loads(body))  # LINE's SDK: its models, validated
        source = event.source
        user = source.user_id if isinstance(source, UserSource) else None
        if not user:
            return  # a group or a room: the account is not meant to be in one
        now = self.clock()
        if isinstance(event, UnfollowEvent):
            ended = await self.store.unbind_line_user(user, now)
            if ended:
                log.info("LINE: a user unfollowed; %s no longer bound", ", ".join(ended))
        elif isinstance(event, FollowEvent):
            await self._reply(event.reply_token, SAY["welcome"]["ja"])
        elif isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent):
            await self._text(user, str(event.message.text), event.reply_token, now)
        elif isinstance(event, PostbackEvent):
            data = str(event.postback.data)
            for tap in self.taps:
                if said := await tap(data, user):
                    await self._reply(event.reply_token, said)
                    return
            tapped = await answer(
                self.store,
                data,
                user,
                now,
                name_of=await self.contacts.names(),
                handling=self.contacts.handling,
            )
            if tapped.outcome:
                lang = await self._lang(tapped.recipient_id)
                await self._reply(event.reply_token, REPLIES[tapped.outcome][lang])

    async def _text(self, user: str, text: str, reply_token: str | None, now: datetime) -> None:
        if self.search is not None and asks_for_menu(text):
            said, choices = await self.search.menu(user)
            await self._reply(reply_token, said, choices)
            return
        code = read_code(text)
        if code is None and not looks_like_a_code(text):
            bound = await self.store.line_recipients_of(user)
            await self._reply(reply_token, SAY["notices_only" if bound else "welcome"]["ja"])
            return
        done = await redeem(self.store, code or "", user, now)
        if done.outcome != "bound":
            log.info("LINE: a linking code was refused (%s)", done.outcome)
            await self._reply(reply_token, SAY[done.outcome]["ja"])
            return
        log.info("LINE: %s is bound to a LINE user", done.recipient_id)
        link_id = link_of_recipient(done.recipient_id or "")
        if link_id is not None:  # a partner's report link: its label, not a contact's name
            link = await self.store.partner_link(link_id)
            lang = link.lang if link and link.lang in SAY["bound_partner"] else "ja"
            label = link.label if link else ""
            await self._reply(reply_token, SAY["bound_partner"][lang].format(label=label))
            return
        contact = await self.contacts.contact(done.recipient_id or "")
        lang = contact.lang if contact else "ja"
        name = contact.name if contact else (done.recipient_id or "")
        await self._reply(reply_token, SAY["bound"][lang].format(name=name))

    async def _lang(self, recipient_id: str | None) -> str:
        contact = await self.contacts.contact(recipient_id) if recipient_id else None
        return contact.lang if contact else "ja"

    async def _reply(
        self, reply_token: str | None, text: str, buttons: list[Button] | None = None
    ) -> None:
        """Answer in the chat. A reply that fails is counted and logged, and changes
        nothing already done (the binding stands; the desk shows it)."""
        if not reply_token:
            return
        sent = await self.client.reply(reply_token, text, buttons)
        if not sent.ok:
            self.replies_failed += 1
            log.warning("LINE: a reply failed (%d so far): %s", self.replies_failed, sent.error)

    async def purge(self) -> None:
        now = self.clock()
        if self._purged_at is not None and now - self._purged_at < PURGE_EVERY:
            return
        purged = await self.store.purge_line_events(now - KEEP)
        self._purged_at = now
        if purged:
            log.info("LINE: forgot %d handled webhook events older than %s", purged, KEEP)

    async def run(self) -> None:
        while True:
            try:
                while await self.handle_due():
                    pass
                await self.purge()
            except StoreError as exc:
                log.warning("LINE events: %s; retrying", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), EVERY_S)
            self.wake.clear()
