"""The safety roll-call (安否確認, issue 19; seed 004's group safety confirmation):
staff start it for their area (admins for any, or the whole town), every household
is asked through what it has, answers come by the home button, the one-time link or a
visit, and the list shows who has not answered, the support list first.

Everything is in the database (``store/sql_rollcall.py``): a hub worker that restarts,
or another one, carries on from the rows; the hub's clock decides every time.
``助けが必要`` by the link opens an SOS alert of the household at once, on its
policy's route, through the alert store the engine uses (an alert already open for
it takes the answer, as a second press of the SOS button would).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

from mimamori.errors import StoreError
from mimamori.hub.access.policy import Principal
from mimamori.hub.alerts.engine import plans_of
from mimamori.hub.alerts.routing import steps_for
from mimamori.hub.model.alerts import AlertKind, Raise, Severity
from mimamori.hub.model.clock import Clock
from mimamori.hub.model.rollcall import (
    Answer,
    Asked,
    Listing,
    ListPage,
    Report,
    RollCall,
    Status,
    Visit,
)
from mimamori.hub.register.registry import Registry
from mimamori.hub.rollcall import line as line_buttons
from mimamori.hub.rollcall.asking import ask, households_of, token_hash
from mimamori.hub.rollcall.follow import Follower, Send
from mimamori.hub.rollcall.listing import found
from mimamori.hub.rollcall.report import report
from mimamori.hub.store.port import Store

log = logging.getLogger(__name__)

EVERY_S = 1.0  # how often presses and sightings are looked for when nobody wakes the loop
PAGE = 100  # lines a page of the live list shows: a phone scrolls them; a read costs a page
MAX_MESSAGE = 500  # characters: a message that fits a phone's screen and an SMS or two


class Refused(Exception):
    """Not for this caller (``forbidden``), no such roll-call (``missing``), or it is
    over (``over``): the API says which."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Started:
    id: int
    households: int
    notices: int
    buttons: int


class RollCalls:
    def __init__(
        self,
        registry: Registry,
        store: Store,
        *,
        clock: Clock,
        public_url: str,
        send: Send | None = None,
        line: bool = False,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        self.registry = registry
        self.store = store
        self.clock = clock
        self.public_url = public_url
        self.line = line  # the town has a LINE account: bound contacts hear there
        self.on_queued = on_queued
        self.follower = Follower(registry, store, send)
        self.wake = asyncio.Event()

    # -- staff ---------------------------------------------------------------------------

    async def start(self, who: Principal, area: str | None, message: str) -> Started:
        if not who.sees_all_homes or (area is None and not who.everywhere):
            raise Refused("forbidden")
        if area is not None and area not in self.registry.areas:
            raise Refused("missing")
        if area is not None and not who.in_area(area):
            raise Refused("forbidden")
        message = message.strip()
        if not message or len(message) > MAX_MESSAGE:
            raise ValueError(f"the message must have 1 to {MAX_MESSAGE} characters")
        homes = households_of(self.registry, area)
        recipients = sorted({r for h in homes for p in h.people for r in self._contacts(p)})
        bound = await self.store.line_bound(recipients) if self.line and recipients else set()
        asking = ask(self.registry, homes, message, self.public_url, bound)
        now = self.clock()
        rollcall_id = await self.store.start_rollcall(
            area, message, who.name, now, asks=asking.asks, notifications=asking.drafts
        )
        log.warning(
            "roll-call %d started by %s for %s: %d households, %d messages",
            rollcall_id, who.name, area or "the whole town", len(homes), len(asking.drafts),
        )  # fmt: skip
        if asking.drafts and self.on_queued is not None:
            self.on_queued()
        self.wake.set()
        buttons = sum(1 for a in asking.asks if a.button == "pending")
        return Started(rollcall_id, len(homes), len(asking.drafts), buttons)

    def _contacts(self, person_id: str) -> list[str]:
        person = self.registry.people.get(person_id)
        return list(person.contacts) if person else []

    async def rollcall(self, who: Principal, rollcall_id: int) -> RollCall:
        """The roll-call if the caller may see it; Refused else."""
        found = await self.store.rollcall(rollcall_id)
        if found is None:
            raise Refused("missing")
        call = found[0]
        if who.role in ("staff", "admin"):
            if call.area is None and not who.everywhere:
                # Staff work a whole-town roll-call's list for their areas only.
                return call
            if call.area is not None and not who.in_area(call.area):
                raise Refused("forbidden")
            return call
        if who.role == "volunteer" and who.households:
            return call
        raise Refused("missing")

    def _sees(self, who: Principal, row: Asked) -> bool:
        if who.role == "volunteer":
            return row.household_id in who.households
        return who.in_area(row.area)

    async def page(
        self,
        who: Principal,
        rollcall_id: int,
        *,
        page: int = 1,
        status: Status | None = None,
        find: str = "",
    ) -> tuple[RollCall, ListPage]:
        """A page of the live list (``PAGE`` lines, the first is 1): the caller's
        households (staff their areas', a volunteer their assigned ones), not answered
        first, the support list first among them; with the counts of all of them.
        ``status`` keeps one status, ``find`` the households a search finds."""
        call = await self.rollcall(who, rollcall_id)
        among = tuple(found(self.registry, find)) if find.strip() else None
        listing = Listing(
            areas=None if who.everywhere or who.role == "volunteer" else who.areas,
            households=who.households if who.role == "volunteer" else None,
            status=status,
            among=among,
            offset=(max(1, page) - 1) * PAGE,
            limit=PAGE,
        )
        return call, await self.store.rollcall_page(rollcall_id, listing)

    async def row(
        self, who: Principal, rollcall_id: int, household_id: str
    ) -> tuple[RollCall, Asked]:
        """One household's line, if the caller sees it (Refused ``missing`` else)."""
        call = await self.rollcall(who, rollcall_id)
        found_rows = await self.store.rollcall_households(rollcall_id, [household_id])
        if not found_rows or not self._sees(who, found_rows[0]):
            raise Refused("missing")
        return call, found_rows[0]

    async def visit(
        self, who: Principal, rollcall_id: int, household_id: str, visit: Visit
    ) -> Asked:
        call, _ = await self.row(who, rollcall_id, household_id)
        if not call.open:
            raise Refused("over")
        try:
            await self.store.rollcall_visit(
                rollcall_id, household_id, visit, by=who.name, role=who.role, at=self.clock()
            )
        except LookupError as exc:
            raise Refused("over") from exc
        [row] = await self.store.rollcall_households(rollcall_id, [household_id])
        return row

    async def end(self, who: Principal, rollcall_id: int) -> Report:
        call = await self.rollcall(who, rollcall_id)
        if not who.sees_all_homes or (call.area is None and not who.everywhere):
            raise Refused("forbidden")  # a whole-town roll-call is ended by an admin
        await self.follower.follow(rollcall_id)  # what arrived until now still counts
        rows = await self.store.rollcall_households(rollcall_id)
        result = report(call.started_at, rows)
        if not await self.store.end_rollcall(
            rollcall_id, who.name, self.clock(), json.dumps(asdict(result))
        ):
            raise Refused("over")
        log.warning("roll-call %d ended by %s: %s", rollcall_id, who.name, result.counts)
        return result

    async def report(self, who: Principal, rollcall_id: int) -> Report | None:
        """The kept report (None while it runs); only staff see who was never reached."""
        await self.rollcall(who, rollcall_id)
        kept = await self.store.rollcall_report(rollcall_id)
        if kept is None:
            return None
        result = Report(**json.loads(kept))
        return result if who.sees_all_homes else Report(**{**asdict(result), "never_reached": []})

    # -- the one-time link -----------------------------------------------------------------

    async def by_link(self, token: str) -> tuple[RollCall, Asked] | None:
        """The roll-call and household of a link, while the roll-call runs."""
        found = await self.store.rollcall_of_token(token_hash(token))
        return found if found is not None and found[0].open else None

    async def answer(self, token: str, answer: Answer) -> Asked | None:
        """The link's answer; None when the link names nothing that still runs."""
        found = await self.by_link(token)
        if found is None:
            return None
        call, row = found
        now = self.clock()
        if answer == "help" and row.answer != "help":
            await self._sos(call, row.household_id)
        try:
            await self.store.rollcall_answer(call.id, row.household_id, answer, "link", now)
        except LookupError:
            return None  # it ended meanwhile
        [row] = await self.store.rollcall_households(call.id, [row.household_id])
        return row

    async def tap(self, data: str, line_user_id: str) -> str | None:
        """A tap on 元気です / 助けが必要 in LINE (``line.py``): answered as the link
        answers, if the LINE user is bound to the recipient the message went to; what
        to reply. None when the postback is not a roll-call's."""
        try:
            tapped = line_buttons.read(await self.store.secret(line_buttons.SECRET), data)
        except line_buttons.BadButton:
            log.warning("roll-call: an altered LINE button was tapped: ignored")
            return line_buttons.words("ja")["not_yours"]
        if tapped is None:
            return None
        recipient = self.registry.recipients.get(tapped.recipient_id)
        said = line_buttons.words(recipient.lang if recipient else "ja")
        if tapped.recipient_id not in await self.store.line_recipients_of(line_user_id):
            log.warning("roll-call: a LINE button of %s tapped by another", tapped.recipient_id)
            return said["not_yours"]
        row = await self.answer(tapped.token, tapped.answer)
        if row is None:
            return said["over"]
        await self.store.audit(
            self.clock(), who=recipient.name if recipient else tapped.recipient_id,
            role="line", action=f"rollcall.{tapped.answer}",
            subject=f"rollcall:{row.rollcall_id}/household:{row.household_id}",
        )  # fmt: skip
        return said["helping" if tapped.answer == "help" else "thanks"]

    async def _sos(self, call: RollCall, home: str) -> None:
        household = self.registry.households.get(home)
        policy = self.registry.policies.get(household.policy) if household else None
        now = self.clock()
        detail = {"rollcall": call.id, "via": "link"}
        raise_ = Raise(AlertKind.SOS, f"household:{home}", home, Severity.CRITICAL, now, detail)
        if policy is not None:
            raise_ = replace(raise_, steps=steps_for(policy, AlertKind.SOS, now))
        counts = await self.store.apply_alert_changes([raise_], 0, plans_of(self.registry))
        for alert in counts.opened:
            log.warning("roll-call %d: %s needs help: alert %d opened", call.id, home, alert.id)
        if self.on_queued is not None:
            self.on_queued()

    # -- the loop ------------------------------------------------------------------------

    async def process(self) -> int:
        """Tell waiting buttons and read new events for every running roll-call (one
        read, no write, while none runs: the loop looks every second)."""
        running = await self.store.rollcalls(open_only=True)
        if not running:
            return 0
        told = await self.follower.tell_buttons()
        for call in running:
            await self.follower.follow(call.id)
        return told

    async def run(self, every_s: float = EVERY_S) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(every_s):
                    await self.wake.wait()
            self.wake.clear()
            try:
                await self.process()
            except StoreError as exc:
                log.warning("roll-call: the database failed, trying again: %s", exc)
