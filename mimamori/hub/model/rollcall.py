"""The safety roll-call (安否確認, issue 19): after an earthquake or a typhoon, staff
ask every household of an area (or the whole town) whether they are safe.

A roll-call (``RollCall``) has one row per household asked (``Asked``): how it was
asked (the home button told to beep, messages queued on its contacts' channels with a
one-time link), how it answered and when (``answer``: ``safe`` or ``help``; ``how``:
``button``, ``link`` or ``visit``), whether one of its people's tags was seen at a
watch point after the start (alive, not confirmed), and the last visit's record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Answer = Literal["safe", "help"]
How = Literal["button", "link", "visit"]
Visit = Literal["safe", "help", "not_home"]  # 無事 / 要支援 / 不在
VISITS: tuple[Visit, ...] = ("safe", "help", "not_home")
# The home button: ``pending`` until a hub worker tells the gateway, then ``sending``
# (claimed), ``sent`` or ``failed``; ``not_possible`` (offline, or buttons that only
# broadcast); ``none`` (the home has no gateway).
Button = Literal["none", "pending", "sending", "sent", "failed", "not_possible"]
# How a household stands on the live list, most urgent first among the unanswered.
Status = Literal["unanswered", "seen", "safe", "help"]


@dataclass(frozen=True)
class RollCall:
    id: int
    area: str | None  # None: the whole town
    message: str
    started_by: str
    started_at: datetime  # the hub's time
    ended_at: datetime | None = None
    ended_by: str | None = None

    @property
    def open(self) -> bool:
        return self.ended_at is None


@dataclass(frozen=True)
class Asked:
    """A household in a roll-call, as its row stands."""

    rollcall_id: int
    household_id: str
    area: str
    support: bool  # 避難行動要支援者: first on the list
    button: Button
    notices: int  # messages queued on its contacts' channels
    answer: Answer | None = None
    how: How | None = None
    answered_at: datetime | None = None  # the first answer's time
    seen_at: datetime | None = None  # a tag of the household at a watch point
    seen_where: str | None = None
    visit: Visit | None = None
    visit_at: datetime | None = None
    visit_by: str | None = None

    @property
    def status(self) -> Status:
        if self.answer is not None:
            return self.answer
        return "seen" if self.seen_at is not None else "unanswered"


@dataclass(frozen=True)
class Ask:
    """A household to ask, as the start decided it: what to write for it."""

    household_id: str
    area: str
    support: bool
    token_hash: str  # the SHA-256 of its one-time link's token (the token is not kept)
    button: Button
    notices: int


@dataclass(frozen=True)
class Heard:
    """What the events since a roll-call's cursor said of a household."""

    household_id: str
    at: datetime
    answer: Answer | None = None  # a press of the home button
    seen_where: str | None = None  # or a tag seen at this watch point


@dataclass(frozen=True)
class Report:
    """The end of a roll-call: counts by answer, times to answer, who was never reached."""

    asked: int
    counts: dict[str, int]  # safe_button, safe_link, safe_visit, help, seen_only, not_home, none
    median_s: float | None  # time to the first answer, of those who answered
    p90_s: float | None
    never_reached: list[str] = field(default_factory=list)  # household ids (staff only)


STATUSES: tuple[Status, ...] = ("unanswered", "seen", "help", "safe")


@dataclass(frozen=True)
class Listing:
    """What a page of the live list asks for: whose households (``areas``: staff's,
    None for all; ``households``: a volunteer's, None for all), which of them
    (``status``; ``among``: the households a search found), which page."""

    areas: tuple[str, ...] | None = None
    households: tuple[str, ...] | None = None
    status: Status | None = None
    among: tuple[str, ...] | None = None
    offset: int = 0
    limit: int = 100


@dataclass(frozen=True)
class ListPage:
    """A page of the live list, in list order, with the counts of all the caller's
    households by status (the filter aside) and how many the filter matches."""

    rows: list[Asked]
    counts: dict[str, int]
    matching: int
