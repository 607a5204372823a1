"""The port of partners and cases (issue 16; ``sql_cases`` implements it on both
engines): partners and their report links, cases with their timelines, and the
channels of the reporters' feedback (queued as notifications)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from mimamori.hub.model.alerts import NotificationDraft
from mimamori.hub.model.cases import (
    Case,
    CaseState,
    Partner,
    PartnerLink,
    ReportDraft,
    Step,
    TimelineEntry,
    Triage,
)


@dataclass(frozen=True)
class CaseChange:
    """One step of a case, written with its timeline line and its feedback in one
    transaction, if the case is in one of ``from_states`` (else nothing is written)."""

    from_states: tuple[CaseState, ...]
    step: Step
    who: str
    text: str
    state: CaseState | None = None
    triage: Triage | None = None
    outcome: str | None = None
    assigned_to: str | None = None
    feedback: tuple[NotificationDraft, ...] = ()  # to reporters (cases/feedback.py)


@dataclass(frozen=True)
class BatchLine:
    """A line of a utility's batch: its report, its area, and its stable key (the same
    anomaly has the same key in any upload: cases/anomalies.py ``line_key``)."""

    report: ReportDraft
    area: str
    key: str


@dataclass(frozen=True)
class BatchFiled:
    cases: list[int]  # the case of each line filed now
    already: int  # lines this partner had filed before (an earlier upload, or this one)


@dataclass(frozen=True)
class Reporter:
    """A link that reported to a case and can be reached: on its apprise channel, or
    on LINE when a LINE user is bound to it (``on_line``: feedback goes there first)."""

    link_id: int
    lang: str
    first_at: datetime
    on_line: bool = False


class CaseStore(Protocol):
    async def add_partner(self, partner: Partner) -> bool:
        """False: the id is taken."""
        ...

    async def partners(self) -> list[Partner]: ...

    async def partner(self, partner_id: str) -> Partner | None: ...

    async def add_partner_link(
        self,
        partner_id: str,
        label: str,
        *,
        channel: str | None,
        lang: str,
        token_hash: str,
        at: datetime,
    ) -> PartnerLink: ...

    async def partner_links(self, partner_id: str) -> list[PartnerLink]: ...

    async def partner_link(self, link_id: int) -> PartnerLink | None: ...

    async def partner_link_of(self, token_hash: str) -> PartnerLink | None: ...

    async def revoke_partner_link(self, partner_id: str, link_id: int, at: datetime) -> bool:
        """False: no such link of this partner, or revoked already. The link's LINE
        binding and unused LINE code end with it, in the same transaction."""
        ...

    async def file_report(
        self, link: PartnerLink, report: ReportDraft, area: str, at: datetime
    ) -> int:
        """The report joins the open case of its household (or address in ``area``),
        or opens one; returns the case's id."""
        ...

    async def file_batch(
        self, partner_id: str, label: str, lines: Sequence[BatchLine], at: datetime
    ) -> BatchFiled:
        """Reports of a partner without a link (a utility's upload), each with its area,
        in one transaction; each key is filed once per partner, ever."""
        ...

    async def reports_since(self, link_id: int, since: datetime) -> int: ...

    async def file_public(self, report: ReportDraft, area: str, typed: str, at: datetime) -> int:
        """A resident's report (the town's public form), with the address as typed."""
        ...

    async def public_reports_since(self, typed: str, since: datetime) -> int:
        """Residents' reports of this typed address since ``since``."""
        ...

    async def cases(
        self, areas: Sequence[str] | None, limit: int, *, assigned_to: str | None = None
    ) -> list[Case]:
        """Cases of ``areas`` (None: all), new first, then triaged, then closed; the
        newest first within each. ``assigned_to``: only the open ones assigned to
        that account."""
        ...

    async def case(self, case_id: int) -> Case | None: ...

    async def case_timeline(self, case_id: int) -> list[TimelineEntry]: ...

    async def case_reporters(self, case_id: int) -> list[Reporter]: ...

    async def change_case(self, case_id: int, change: CaseChange, at: datetime) -> bool:
        """False: no such case, or it is not in one of ``change.from_states``."""
        ...

    async def feedback_channel(self, link_id: int) -> str | None:
        """Where a link's feedback goes (its apprise URL), read for each send."""
        ...

    async def not_seen_marks(self) -> dict[str, datetime]:
        """Each person's newest absence a case was opened for (their last sighting)."""
        ...

    async def file_not_seen(
        self, person_id: str, last_seen: datetime, report: ReportDraft, area: str, at: datetime
    ) -> int | None:
        """File the rule's report of a person not seen since ``last_seen``, once: the
        case's id, or None when this absence was filed already."""
        ...

    async def feedback_sent(self, link_id: int) -> list[str]:
        """The titles sent to a link, oldest first (for the desk and the tests)."""
        ...
