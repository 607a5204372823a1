"""Starting a search from LINE (issue 17; the seed's 家族等のLINEから捜索を開始).

A contact of a family (``family`` set in the register) bound to LINE sends 「さがす」:
the hub answers with one quick-reply button per person that family may see (the
access policy's ``visible_people``, as on the map). A tap starts a search through the
search page's own service (``searches/service.py``), audited as started by that
contact via LINE, and the hub answers with a one-time sign-in link that opens the
search page. A person already being searched for gets the open search's link.

A button's postback is ``search:PERSON:TOKEN``; the token (``alerts/links.py``) names
the contact the menu was sent to and expires, and is signed for the purpose
``line-search:PERSON``, so it cannot be altered to name another person. A tap counts
only from the LINE user bound to that contact now: a forwarded or replayed button
does nothing for anyone else. The family may see the person is checked again at the
tap (the register may have changed since the menu).
"""

from __future__ import annotations

import logging
import unicodedata
from datetime import timedelta

from mimamori.errors import StoreError
from mimamori.hub.access.policy import Principal, can_see, visible_people
from mimamori.hub.alerts.links import BadLink, make_signed, read_signed
from mimamori.hub.line.client import Button
from mimamori.hub.line.push import signin_url
from mimamori.hub.model.clock import Clock
from mimamori.hub.model.searches import Search
from mimamori.hub.register.registry import Registry
from mimamori.hub.register.schema import PersonEntry
from mimamori.hub.searches.service import SearchService
from mimamori.hub.store.port import Store

log = logging.getLogger(__name__)

SECRET = "line-search"  # the name of the hub's secret that signs the buttons
PREFIX = "search"
# What people type to ask for the menu (read after NFKC, so full-width letters count).
MENU_WORDS = frozenset({"さがす", "探す", "捜す", "捜索", "さがして", "探して", "search"})
BUTTON_TTL = timedelta(hours=1)  # a menu is for now; an old one asks to send 「さがす」 again
MAX_BUTTONS = 13  # LINE's limit of quick-reply items
MAX_LABEL = 20  # LINE's limit of a quick-reply label
MAX_DATA = 300  # LINE's limit of a postback's data

SAY: dict[str, dict[str, str]] = {
    "choose": {
        "ja": "捜索を始める方を、下のボタンから選んでください。",
        "en": "Choose below the person to search for.",
    },
    "shown": {"ja": "{name} さんを探す", "en": "Search for {name}"},
    "unbound": {
        "ja": "捜索を始めるには、まずこのLINEを登録してください。担当者からお知らせした"
        "8けたの番号を、このトークに送ってください。",
        "en": "To start a search, first link this LINE: send the 8-digit code you were given.",
    },
    "nobody": {
        "ja": "このLINEから捜索を始められる方は登録されていません。"
        "地域包括支援センターにお電話ください。",
        "en": "Nobody can be searched for from this LINE. Please call your care centre.",
    },
    "started": {
        "ja": "{name} さんの捜索を始めました。捜索のページ（30分以内に1回だけ使える"
        "ログイン用リンク）: {url}",
        "en": "The search for {name} has started. The search page (a sign-in link for "
        "one use within 30 minutes): {url}",
    },
    "already": {
        "ja": "{name} さんは、すでに捜索中です。捜索のページ（30分以内に1回だけ使える"
        "ログイン用リンク）: {url}",
        "en": "{name} is already being searched for. The search page (a sign-in link "
        "for one use within 30 minutes): {url}",
    },
    "expired": {
        "ja": "このボタンは古くなっています。もう一度「さがす」と送ってください。",
        "en": "This button is old: please send 'search' again.",
    },
    "not_yours": {
        "ja": "このボタンは、このお知らせを受け取った方だけが使えます。",
        "en": "Only the person this menu was sent to can use this button.",
    },
}


def asks_for_menu(text: str) -> bool:
    return unicodedata.normalize("NFKC", text[:40]).strip().lower() in MENU_WORDS


def _lang(lang: str) -> str:
    return lang if lang in ("ja", "en") else "ja"


class LineSearch:
    def __init__(
        self,
        registry: Registry,
        store: Store,
        searches: SearchService,
        *,
        clock: Clock,
        public_url: str | None,
    ) -> None:
        self.registry = registry
        self.store = store
        self.searches = searches
        self.clock = clock
        self.public_url = public_url

    def principal(self, recipient_id: str) -> Principal | None:
        """Who a contact acts as in a search: their family; None when not a family's."""
        contact = self.registry.recipients.get(recipient_id)
        if contact is None or contact.family is None:
            return None
        return Principal("family", contact.family, contact.name)

    def _said(self, recipient_id: str | None) -> dict[str, str]:
        contact = self.registry.recipients.get(recipient_id or "")
        lang = _lang(contact.lang if contact else "ja")
        return {key: words[lang] for key, words in SAY.items()}

    async def menu(self, line_user_id: str) -> tuple[str, list[Button]]:
        """The reply to 「さがす」: a button per person the user's families may see."""
        bound = sorted(await self.store.line_recipients_of(line_user_id))
        if not bound:
            return SAY["unbound"]["ja"], []
        said = self._said(bound[0])
        choices: dict[str, tuple[str, PersonEntry]] = {}  # person -> (contact, person)
        for recipient_id in bound:
            principal = self.principal(recipient_id)
            if principal is None:
                continue
            for person in visible_people(self.registry, principal):
                choices.setdefault(person.id, (recipient_id, person))
        if not choices:
            return said["nobody"], []
        if len(choices) > MAX_BUTTONS:
            log.warning("LINE search menu: %d people, the first %d shown", len(choices),
                        MAX_BUTTONS)  # fmt: skip
        secret = await self.store.secret(SECRET)
        expires = self.clock() + BUTTON_TTL
        buttons = []
        for person_id, (recipient_id, person) in list(choices.items())[:MAX_BUTTONS]:
            token = make_signed(secret, f"{SECRET}:{person_id}", 0, recipient_id, expires)
            data = f"{PREFIX}:{person_id}:{token}"
            if len(data) <= MAX_DATA:
                shown = said["shown"].format(name=person.name)
                buttons.append(Button(person.name[:MAX_LABEL], data, shown))
        return said["choose"], buttons

    async def tap(self, data: str, line_user_id: str) -> str | None:
        """Start (or find) the search a button asks for; the reply. None when the
        postback is not a search button."""
        prefix, _, rest = data.partition(":")
        if prefix != PREFIX:
            return None
        person_id, _, token = rest.partition(":")
        checked = await self._check(person_id, token, line_user_id)
        if isinstance(checked, str):
            return checked
        principal, recipient_id, said = checked
        name = self.registry.people[person_id].name
        running = await self.store.searches([person_id], active_only=True)
        if not running:
            try:
                search = await self.searches.start(person_id, principal, None)
            except StoreError:  # started by someone else meanwhile (one active search each)
                running = await self.store.searches([person_id], active_only=True)
                if not running:
                    raise
            else:
                await self.store.audit(
                    self.clock(), who=principal.name, role="line", action="search.start",
                    subject=f"search:{search.id}",
                    detail=f"{person_id} (LINE, contact {recipient_id})",
                )  # fmt: skip
                return said["started"].format(name=name, url=await self._link(principal, search))
        return said["already"].format(name=name, url=await self._link(principal, running[0]))

    async def _check(
        self, person_id: str, token: str, line_user_id: str
    ) -> tuple[Principal, str, dict[str, str]] | str:
        """Who taps, as whom, in which words; or the reply refusing the tap."""
        try:
            secret = await self.store.secret(SECRET)
            _, recipient_id, _ = read_signed(secret, f"{SECRET}:{person_id}", token, self.clock())
        except BadLink as exc:
            if exc.reason != "expired":
                log.warning("LINE search: an altered button was tapped: ignored")
            return SAY["expired" if exc.reason == "expired" else "not_yours"]["ja"]
        said = self._said(recipient_id)
        if recipient_id not in await self.store.line_recipients_of(line_user_id):
            log.warning("LINE search for %s: tapped by a LINE user not bound to %s: ignored",
                        person_id, recipient_id)  # fmt: skip
            return said["not_yours"]
        principal = self.principal(recipient_id)
        if principal is None or not can_see(self.registry, principal, person_id):
            return said["nobody"]
        return principal, recipient_id, said

    async def _link(self, principal: Principal, search: Search) -> str:
        if not self.public_url or principal.family_id is None:
            return f"/searches/{search.id}"
        return await signin_url(
            self.store, self.public_url, principal.family_id,
            name=f"LINE search {search.id}", now=self.clock(), to=f"/searches/{search.id}",
        )  # fmt: skip
