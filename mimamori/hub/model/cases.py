"""Partners' reports and the care centre's cases (issue 16): the seeds' "sensors" and
"anchor". People who pass an older person's home every day (a newspaper carrier, a
meter reader, a shop) notice that something is wrong; the care centre of the area
(地域包括支援センター) gathers what they notice as a case about one home, decides what
to do, closes it with an outcome, and the reporter hears that it was handled (調布:
①発見 ②通報 ③相談・支援 ④結果報告) without learning anything about the person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from mimamori.hub.model.photos import Photo


class PartnerKind(StrEnum):
    """Who a partner is (seed 000's list, 大館's meter readers, 黒部's shop)."""

    NEWSPAPER = "newspaper"
    DELIVERY = "delivery"
    METER = "meter"
    UTILITY = "utility"
    STORE = "store"
    BANK = "bank"
    POST = "post"
    NEIGHBOURHOOD = "neighbourhood"  # 自治会・町内会
    RESIDENT = "resident"
    OTHER = "other"


class Noticed(StrEnum):
    """What a partner noticed: the report form's fixed list (seed 000's signs)."""

    MAIL_PILING = "mail_piling"  # 新聞・郵便がたまっている
    NO_LIGHT = "no_light"  # 夜に電気がつかない
    SHUTTERS = "shutters"  # 雨戸が閉まったまま
    METER_STILL = "meter_still"  # メーターが動いていない
    NOT_SEEN = "not_seen"  # 最近見かけない
    LOST = "lost"  # 道に迷っている様子
    UNUSUAL = "unusual"  # 様子がいつもと違う
    OTHER = "other"


class CaseState(StrEnum):
    NEW = "new"
    TRIAGED = "triaged"
    CLOSED = "closed"


class Triage(StrEnum):
    """What the centre decided to do about a case."""

    VISIT = "visit"
    PHONE = "phone"
    POLICE_FIRE = "police_fire"  # handed to the police or the fire service
    WATCH = "watch"  # keep an eye on it
    NO_ACTION = "no_action"


class Step(StrEnum):
    """A line of a case's timeline."""

    REPORT = "report"
    NOTE = "note"
    TRIAGE = "triage"
    ASSIGN = "assign"
    CLOSE = "close"
    ROUTE = "route"  # where a report went: the desk, or the night route (cases/routing.py)


@dataclass(frozen=True)
class Partner:
    id: str
    name: str
    kind: PartnerKind
    areas: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True)
class PartnerLink:
    """A personal report link of a partner's staff member or branch. Only the token's
    hash is kept; the channel (an apprise URL) is where feedback goes, never shown."""

    id: int
    partner_id: str
    label: str  # 「配達員 山田」, 「野嵩店」
    has_channel: bool
    lang: str
    created_at: datetime
    revoked_at: datetime | None
    bulletins: bool = False  # opted in to search bulletins (issue 18, the SOS network)

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True)
class ReportDraft:
    """A report as the form validated it: a household or an address, never both."""

    noticed: Noticed
    note: str
    household_id: str | None
    address: str | None
    pin: tuple[float, float] | None = None  # (lat, lon) of the reporter's phone
    # Re-encoded (no metadata: desk/photos.py ``reencode``); stored with the report in
    # the photos table, its owner the case (``case_photo_owner``); staff see it only.
    photo: Photo | None = None


def case_photo_owner(case_id: int) -> str:
    """The owner the photos table names for a report's photo (a person's: their id)."""
    return f"case:{case_id}"


@dataclass(frozen=True)
class Case:
    id: int
    area: str
    household_id: str | None
    address: str | None
    state: CaseState
    triage: Triage | None
    outcome: str | None
    assigned_to: str | None
    opened_at: datetime
    updated_at: datetime
    reports: int


@dataclass(frozen=True)
class TimelineEntry:
    id: int
    case_id: int
    at: datetime
    step: Step
    who: str
    text: str
    noticed: Noticed | None = None  # a report's
    partner_id: str | None = None  # a report's
    photo: str | None = None  # a report's photo (its id in the photos table)
    pin: tuple[float, float] | None = None  # a report's (lat, lon)


# Feedback to a reporter is a notification of the one queue (alerts/delivery.py) whose
# recipient is the partner link: its channel is read from the link for each send.
LINK_RECIPIENT = "partner-link:"


def link_recipient(link_id: int) -> str:
    """The notification queue's recipient id of a partner link."""
    return f"{LINK_RECIPIENT}{link_id}"


def link_of_recipient(recipient_id: str) -> int | None:
    """The partner link a recipient id names, or None (a contact of the register)."""
    if not recipient_id.startswith(LINK_RECIPIENT):
        return None
    tail = recipient_id[len(LINK_RECIPIENT) :]
    return int(tail) if tail.isdigit() else None
