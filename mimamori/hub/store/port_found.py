"""The port of found-person stickers and threads (``sql_found`` implements it on both
engines; issue 18, ``hub/found/``)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from mimamori.hub.model.found import FoundMessage, FoundReport, Side, Sticker


class FoundStore(Protocol):
    async def issue_sticker(
        self, person_id: str, token_hash: str, by: str, at: datetime
    ) -> Sticker:
        """A new sheet for the person; every earlier sheet of theirs is revoked in the
        same transaction (a reissue: one valid sheet per person)."""
        ...

    async def revoke_stickers(self, person_id: str, at: datetime) -> int:
        """Revoke the person's valid sheets; how many were."""
        ...

    async def stickers_of(self, person_id: str) -> list[Sticker]:
        """The person's sheets, newest first."""
        ...

    async def scan_sticker(self, token_hash: str, at: datetime) -> Sticker | None:
        """Count one scan of the sheet with this token's hash (revoked ones too) and
        return it as counted; None: no such sheet."""
        ...

    async def sticker_of(self, token_hash: str) -> Sticker | None:
        """The sheet, without counting a scan."""
        ...

    async def open_found(
        self, sticker: Sticker, lat: float | None, lon: float | None, message: str, at: datetime
    ) -> tuple[FoundReport, bool]:
        """The sheet's open report, or a new one with the finder's first message;
        True when it was opened now (the family is to be told)."""
        ...

    async def found_report(self, report_id: int) -> FoundReport | None: ...

    async def open_found_of(self, sticker_id: int) -> FoundReport | None:
        """The sheet's report still open, if any."""
        ...

    async def found_reports_of(self, person_id: str, limit: int) -> list[FoundReport]:
        """The person's reports, newest first."""
        ...

    async def add_found_message(
        self, report_id: int, side: Side, body: str, at: datetime
    ) -> FoundMessage | None:
        """None: the report is closed (or gone): nothing is added."""
        ...

    async def found_messages(self, report_id: int, after: int, limit: int) -> list[FoundMessage]:
        """Messages with an id above ``after``, oldest first."""
        ...

    async def reveal_found_phone(self, report_id: int, phone: str | None) -> bool: ...

    async def mark_found_safe(self, report_id: int, at: datetime) -> FoundReport | None:
        """Close the thread (None: no such report); a closed one stays as it was."""
        ...

    async def forget_found_messages(self, safe_before: datetime) -> int:
        """Delete the messages (and the position) of reports marked safe before then."""
        ...
