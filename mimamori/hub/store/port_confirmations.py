"""The port of contact confirmations (``sql_confirmations`` implements it on both
engines): the requests sent to contacts, the cursor through the register's audit
that decides them, and the contacts' answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from mimamori.hub.model.alerts import NotificationDraft
from mimamori.hub.model.confirmations import Ask, Confirmation, RegisterChange


class ConfirmationStore(Protocol):
    async def register_changes_to_confirm(self, limit: int) -> tuple[int, list[RegisterChange]]:
        """The cursor (a register version) and the audit's rows after it, oldest first."""
        ...

    async def ask_contacts(
        self,
        cursor: int,
        upto: int,
        asks: Sequence[Ask],
        notifications: Sequence[NotificationDraft],
        at: datetime,
    ) -> bool:
        """Write the requests, queue their messages and move the cursor from ``cursor``
        to ``upto``, in one transaction; False (nothing written) when another worker
        moved the cursor first."""
        ...

    async def contact_confirmations(
        self, contact_ids: Sequence[str] | None = None
    ) -> list[Confirmation]:
        """The last request of each contact (of these, or of all)."""
        ...

    async def confirm_contact(
        self, token_hash: str, at: datetime, *, asked_after: datetime
    ) -> Confirmation | None:
        """The contact of this token confirmed (at ``at``, the first time only, and
        only if the request was sent after ``asked_after``: an expired link confirms
        nothing); None: no such token (or one replaced by a newer request)."""
        ...

    async def confirmation_of(self, token_hash: str) -> Confirmation | None: ...
