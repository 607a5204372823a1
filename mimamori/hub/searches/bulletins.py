"""The town's SOS network (issue 18, part 2; 和木 はいかいSOSネットワーク, 宜野湾 おかえり
支援ネットワーク): while a search runs and the family agreed to share it
(``consent.py``), every partner link that opted in and whose partner covers the
person's area gets a bulletin through the notification queue; when the search ends,
each is withdrawn with a short notice.

A loop decides both from the database (no in-memory timer): woken at every start,
end and consent, and every ``EVERY_S`` anyway, it sends what is not sent and withdraws
what ended. A bulletin and its notice are one transaction, keyed by (search, link),
so a restart or a second worker sends each once.

The bulletin's link is signed, not stored (``alerts/links.py``, purpose "bulletin"):
it names the partner link and the search, nothing else, and runs out
``SHOWN_AFTER`` after the search would have; after the end it shows only the
「見つかりました」 page. The notice says how the family chose to name the person
(「80代の女性」), never a name, an address or a number.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from mimamori.errors import StoreError
from mimamori.hub.alerts.links import make_signed, read_signed
from mimamori.hub.model.alerts import NotificationDraft
from mimamori.hub.model.cases import link_recipient
from mimamori.hub.model.clock import Clock
from mimamori.hub.model.searches import Search
from mimamori.hub.model.sos import Bulletin, ShareConsent
from mimamori.hub.register.registry import Registry
from mimamori.hub.store.port import Store

log = logging.getLogger(__name__)

SECRET = "search-bulletin"  # the name of the hub's secret (store.secret)
PURPOSE = "bulletin"
# The withdrawn page answers a partner who taps an old notice for three days after
# the search's end at the latest; then the link says it ran out.
SHOWN_AFTER = timedelta(days=3)
EVERY_S = 5.0  # a missed wake-up (another worker's start) waits at most this long

_TEXTS = {
    "ja": {
        "title": "【捜索のお願い】{who}を探しています",
        "body": (
            "みまもりネットワークからのお願いです。{who}の行方がわかりません。"
            "写真と特徴はこちら（捜索が終わると見られなくなります）: {url}\n"
            "見かけたら、そのページの「見かけた」を押してください。危ないときは 110 へ。"
        ),
        "end_title": "【捜索終了】ご協力ありがとうございました",
        "end_body": (
            "{who}の捜索は終わりました。ご協力ありがとうございました。"
            "お送りしたページは取り下げました。"
        ),
    },
    "en": {
        "title": "[Missing person] Please look out for {who}",
        "body": (
            "A request from the town's watch-over network: {who} is missing. "
            "Photo and description (gone once the search ends): {url}\n"
            "If you see them, tap 'I saw them' on that page. In danger, call 110."
        ),
        "end_title": "[Search ended] Thank you for your help",
        "end_body": "The search for {who} has ended. Thank you. The page we sent is withdrawn.",
    },
}


def make_token(secret: bytes, search: Search, link_id: int) -> str:
    return make_signed(secret, PURPOSE, link_id, search.id, search.expires_at + SHOWN_AFTER)


def read_token(secret: bytes, token: str, now: datetime) -> tuple[str, int]:
    """The search and the partner link a bulletin's token names; BadLink otherwise."""
    link_id, search_id, _ = read_signed(secret, PURPOSE, token, now)
    return search_id, link_id


def _texts(lang: str) -> dict[str, str]:
    return _TEXTS.get(lang, _TEXTS["ja"])


def _key(search_id: str, what: str, link_id: int) -> str:
    # "notice-search:<id>:" is how forgetting the person finds a search's notices.
    return f"notice-search:{search_id}:{what}:{link_id}"


class Bulletins:
    def __init__(
        self,
        registry: Registry,
        store: Store,
        *,
        clock: Clock,
        public_url: str,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        self.registry = registry
        self.store = store
        self.clock = clock
        self.base = public_url.rstrip("/")
        self.on_queued = on_queued  # the delivery worker's wake (set by compose)
        self.wake = asyncio.Event()

    async def announce(self, search_id: str) -> int:
        """Send the search's bulletin to every opted-in link of its area not told yet;
        how many were new. Nothing without a consent or once the search ended."""
        search = await self.store.search(search_id)
        consent = await self.store.consent_of(search_id)
        if search is None or not search.active or consent is None:
            return 0
        person = self.registry.people.get(search.person_id)
        if person is None:
            return 0
        sent = {b.link_id for b in await self.store.bulletins_of(search_id)}
        links = [
            link
            for link in await self.store.bulletin_links()
            if person.area in link.areas and link.link_id not in sent
        ]
        if not links:
            return 0
        secret = await self.store.secret(SECRET)
        drafts = []
        for link in links:
            text = _texts(link.lang)
            url = f"{self.base}/b/{make_token(secret, search, link.link_id)}"
            drafts.append(
                NotificationDraft(
                    None,
                    link_recipient(link.link_id),
                    0,
                    _key(search.id, "bulletin", link.link_id),
                    text["title"].format(who=consent.shown_as),
                    text["body"].format(who=consent.shown_as, url=url),
                )
            )
        pairs = [(link.link_id, link.partner_id) for link in links]
        new = await self.store.send_bulletins(search.id, pairs, drafts, self.clock())
        if new:
            log.warning("search %s: bulletin sent to %d partner link(s)", search.id, new)
            self._queued()
        return new

    async def withdraw(self) -> int:
        """Withdraw the bulletins of every search that ended; how many."""
        ended = await self.store.bulletins_to_withdraw()
        if not ended:
            return 0
        consents: dict[str, ShareConsent | None] = {}
        langs = {link.link_id: link.lang for link in await self.store.bulletin_links()}
        drafts = []
        for b in ended:
            if b.search_id not in consents:
                consents[b.search_id] = await self.store.consent_of(b.search_id)
            consent = consents[b.search_id]
            who = consent.shown_as if consent else "お探しの方"
            drafts.append(self._withdrawal(b, who, langs.get(b.link_id, "ja")))
        await self.store.withdraw_bulletins(ended, drafts, self.clock())
        log.warning("%d bulletin(s) withdrawn", len(ended))
        self._queued()
        return len(ended)

    def _withdrawal(self, b: Bulletin, who: str, lang: str) -> NotificationDraft:
        text = _texts(lang)
        return NotificationDraft(
            None, link_recipient(b.link_id), 0, _key(b.search_id, "withdrawn", b.link_id),
            text["end_title"], text["end_body"].format(who=who),
        )  # fmt: skip

    def _queued(self) -> None:
        if self.on_queued is not None:
            self.on_queued()

    async def step(self) -> None:
        for search_id in await self.store.searches_to_announce():
            await self.announce(search_id)
        await self.withdraw()

    async def run(self) -> None:
        while True:
            try:
                await self.step()
            except StoreError as exc:
                log.info("bulletins: %s; trying again", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), EVERY_S)
            self.wake.clear()
