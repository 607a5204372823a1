"""The port of LINE's part of the store (``sql_line`` implements it on both engines):
bindings, linking codes and their tries, the webhook's events, the monthly count."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from mimamori.hub.model.line import (
    LineBinding,
    LineUsage,
    PendingLineEvent,
    Redemption,
)


class LineStore(Protocol):
    async def add_line_code(
        self, code_hash: str, recipient_id: str, now: datetime, expires_at: datetime
    ) -> bool:
        """Keep a new code for ``recipient_id`` (its older unused codes end: one live
        code per recipient). False when the hash is taken: draw another code."""
        ...

    async def redeem_line_code(
        self,
        code_hash: str,
        line_user_id: str,
        now: datetime,
        *,
        max_failures: int,
        window: timedelta,
    ) -> Redemption:
        """Bind ``line_user_id`` to the code's recipient, in one transaction, unless the
        code is wrong, expired or used, or this LINE user failed ``max_failures`` times
        within ``window`` (then nothing is even looked up). Each failure counts."""
        ...

    async def unbind_line_user(self, line_user_id: str, now: datetime) -> list[str]:
        """End every binding of a LINE user (it unfollowed); the recipients it heard for."""
        ...

    async def line_bindings(self) -> list[LineBinding]:
        """Every binding, bound or ended, by recipient (for the desk)."""
        ...

    async def line_user_of(self, recipient_id: str) -> str | None:
        """The LINE user a recipient is bound to now; None: not bound."""
        ...

    async def line_bound(self, recipient_ids: Sequence[str]) -> set[str]:
        """Those of ``recipient_ids`` that are bound to a LINE user now."""
        ...

    async def line_recipients_of(self, line_user_id: str) -> set[str]:
        """The recipients a LINE user is bound to now."""
        ...

    async def add_line_events(
        self, events: Sequence[tuple[str, str]], now: datetime
    ) -> tuple[int, int]:
        """Keep webhook events ``(webhookEventId, JSON)`` to handle; one already kept is
        a replay and is not kept again. (how many kept, how many replays)."""
        ...

    async def claim_line_events(
        self, now: datetime, lease_s: float, limit: int = 20
    ) -> list[PendingLineEvent]:
        """Events waiting to be handled, oldest first, leased so another worker skips them."""
        ...

    async def finish_line_event(self, row_id: int, error: str | None, now: datetime) -> None:
        """Handled (``error`` None), or set aside with why."""
        ...

    async def purge_line_events(self, before: datetime) -> int:
        """Forget handled events received before ``before``; how many."""
        ...

    async def count_line_push(self, month: str, allowance: int) -> tuple[LineUsage, bool]:
        """One more message pushed in ``month``; True the first time the month reaches
        the warning threshold (so the warning is said once a month, by one worker)."""
        ...

    async def line_usage(self, month: str, allowance: int) -> LineUsage: ...
