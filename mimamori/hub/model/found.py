"""Found-person QR stickers (issue 18): a sticker's sheet, a finder's 「保護しています」
and the thread between the finder and the family. The sticker's token is kept as
its hash only; nothing here names the finder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Side = Literal["finder", "family"]
ReportState = Literal["open", "safe"]


@dataclass(frozen=True)
class Sticker:
    """One sheet of stickers: every code on it carries the same token."""

    id: int
    person_id: str
    issued_at: datetime
    issued_by: str
    revoked_at: datetime | None
    scans: int

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True)
class FoundReport:
    """A finder's 「保護しています」 and its thread's state."""

    id: int
    sticker_id: int
    person_id: str
    opened_at: datetime
    lat: float | None
    lon: float | None
    state: ReportState
    safe_at: datetime | None
    phone: str | None  # a number the family chose to show the finder; None: hidden


@dataclass(frozen=True)
class FoundMessage:
    id: int
    report_id: int
    at: datetime
    side: Side
    body: str
