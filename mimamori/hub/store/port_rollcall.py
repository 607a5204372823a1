"""The port of the safety roll-call (``sql_rollcall`` implements it on both engines):
its start with every household's row and messages in one transaction, the answers,
the visits, the home buttons to tell, and its end with the report kept."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from mimamori.hub.model.alerts import NotificationDraft
from mimamori.hub.model.rollcall import (
    Answer,
    Ask,
    Asked,
    Button,
    Heard,
    How,
    Listing,
    ListPage,
    RollCall,
    Visit,
)


class RollCallStore(Protocol):
    async def start_rollcall(
        self,
        area: str | None,
        message: str,
        by: str,
        at: datetime,
        *,
        asks: Sequence[Ask],
        notifications: Sequence[NotificationDraft],
    ) -> int:
        """A new roll-call, its households and their queued messages, in one
        transaction; its cursor is the last event stored then. Returns its id."""
        ...

    async def rollcalls(self, *, open_only: bool = False) -> list[RollCall]:
        """Roll-calls, newest first."""
        ...

    async def rollcall(self, rollcall_id: int) -> tuple[RollCall, int] | None:
        """A roll-call and its cursor (the seqno of the last event it read)."""
        ...

    async def rollcall_households(
        self, rollcall_id: int, household_ids: Sequence[str] | None = None
    ) -> list[Asked]:
        """Its households' rows (only these, when given)."""
        ...

    async def rollcall_page(self, rollcall_id: int, listing: Listing) -> ListPage:
        """A page of the live list: the households ``listing`` names, in list order
        (not answered first, the support list first, then who is not even seen; help
        before safe; then by household), with the counts by status of all in its scope."""
        ...

    async def rollcall_of_token(self, token_hash: str) -> tuple[RollCall, Asked] | None:
        """The roll-call and household a link's token names."""
        ...

    async def rollcall_heard(
        self, rollcall_id: int, cursor: int, upto: int, heard: Sequence[Heard]
    ) -> bool:
        """Apply what the events after ``cursor`` said and move the cursor to ``upto``
        in one transaction; False (nothing written) when another worker moved it first."""
        ...

    async def rollcall_answer(
        self, rollcall_id: int, household_id: str, answer: Answer, how: How, at: datetime
    ) -> Answer | None:
        """Record an answer of an open roll-call: a first answer, or ``help`` over
        ``safe`` (the first answer's time is kept). Returns the answer it had before;
        raises LookupError when the roll-call has ended or never asked the household."""
        ...

    async def rollcall_visit(
        self, rollcall_id: int, household_id: str, visit: Visit, *, by: str, role: str, at: datetime
    ) -> None:
        """Record a visit (無事 answers ``safe``, 要支援 ``help``) and its audit row in one
        transaction; LookupError as for ``rollcall_answer``."""
        ...

    async def claim_rollcall_buttons(self, limit: int) -> list[tuple[int, str]]:
        """Take (``sending``) up to ``limit`` home buttons still to be told, of open
        roll-calls: (roll-call, household); a second worker gets the others."""
        ...

    async def rollcall_buttons(self, outcomes: Sequence[tuple[int, str, Button]]) -> None:
        """What telling these buttons came to: (roll-call, household, outcome)."""
        ...

    async def button_gateways(
        self, gateway_ids: Sequence[str]
    ) -> dict[str, tuple[bool | None, dict[str, str]]]:
        """For each of these gateways the hub has heard of: whether it is online and its
        drivers by id with their kind, from its last status (one query for a batch)."""
        ...

    async def end_rollcall(self, rollcall_id: int, by: str, at: datetime, report: str) -> bool:
        """End it and keep its report (JSON); False when it had already ended."""
        ...

    async def rollcall_report(self, rollcall_id: int) -> str | None:
        """The report kept at its end (JSON), None while it runs."""
        ...
