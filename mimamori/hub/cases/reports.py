"""A partner's report, from the form behind their link to a case at the anchor.

The link is the permission: no account, no password (the seeds: reporting must not
keep a carrier from going back to work). What the form may name is bounded by the
partner: a household of the partner's areas, shown by an address-level label only
(never who lives there or why they are watched), or an address typed in. A free
address is the case of the partner's first area: a partner that serves several
areas is registered once per area when its reports must reach different centres.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from mimamori.errors import ChangeRefused, FieldProblem
from mimamori.hub.access.auth import new_token
from mimamori.hub.cases import feedback, routing
from mimamori.hub.desk import photos
from mimamori.hub.model.cases import (
    CaseState,
    Noticed,
    Partner,
    PartnerLink,
    ReportDraft,
    Step,
    link_recipient,
)
from mimamori.hub.model.photos import Photo
from mimamori.hub.register.registry import Registry
from mimamori.hub.register.schema import HouseholdEntry
from mimamori.hub.server.state import HubState
from mimamori.hub.store.port_cases import Reporter

log = logging.getLogger(__name__)

NOTE_MAX = 500  # a few sentences typed on a phone; the centre calls back for more
ADDRESS_MAX = 200  # as a household's address in the register
# A carrier's round passes a few hundred homes and reports a handful a day; a link
# that files more than this in an hour is a leaked or scripted one: refused for the
# hour, each refusal logged (the reports already filed stay).
MAX_PER_HOUR = 30
PIN_DIGITS = 5  # 1e-5 degrees is about a metre: a door, not the phone's noise


class LinkBusy(Exception):
    """The link filed ``MAX_PER_HOUR`` reports within the last hour."""


@dataclass(frozen=True)
class Home:
    id: str
    label: str


def label(home: HouseholdEntry) -> str:
    """What a partner sees of a home: its address (else the household's name, a door
    plate's worth), never who lives there."""
    return home.address or home.name


def homes_for(registry: Registry, partner: Partner) -> list[Home]:
    """The households a partner may pick: those of its areas, by label."""
    homes = [h for h in registry.households.values() if h.area in partner.areas]
    return sorted((Home(h.id, label(h)) for h in homes), key=lambda h: h.label)


def _text(form: Mapping[str, object], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _pin(form: Mapping[str, object], problems: list[FieldProblem]) -> tuple[float, float] | None:
    lat, lon = _text(form, "lat"), _text(form, "lon")
    if not lat and not lon:
        return None
    try:
        pin = (round(float(lat), PIN_DIGITS), round(float(lon), PIN_DIGITS))
    except ValueError:
        pin = (999.0, 999.0)
    if not (-90 <= pin[0] <= 90 and -180 <= pin[1] <= 180):  # also NaN
        problems.append(
            FieldProblem(
                "pin",
                "位置を読み取れませんでした。もう一度押すか、住所を書いてください",
                "the position could not be read",
            )
        )
        return None
    return pin


def _photo(upload: bytes, at: datetime, problems: list[FieldProblem]) -> Photo | None:
    if not upload:
        return None
    try:
        encoded = photos.reencode(upload)
    except ChangeRefused as exc:
        problems.extend(exc.problems)
        return None
    # The owner is the case, set when the report is filed (store: case_photo_owner).
    return Photo(f"ph-{new_token()[:32]}", "", photos.MEDIA_TYPE, encoded.width,
                 encoded.height, encoded.data, at)  # fmt: skip


def draft(
    registry: Registry,
    partner: Partner,
    form: Mapping[str, object],
    *,
    upload: bytes = b"",
    at: datetime | None = None,
) -> ReportDraft:
    """The report the form says (with the photo ``upload``ed at ``at``, if any);
    ChangeRefused with each field's problem."""
    problems: list[FieldProblem] = []
    noticed = _text(form, "noticed")
    if noticed not in {n.value for n in Noticed}:
        problems.append(
            FieldProblem("noticed", "気づいたことを選んでください", "pick what you noticed")
        )
    note = _text(form, "note")
    if len(note) > NOTE_MAX:
        problems.append(
            FieldProblem(
                "note", f"{NOTE_MAX}文字までにしてください", f"at most {NOTE_MAX} characters"
            )
        )
    home_id, address = _text(form, "household") or None, _text(form, "address") or None
    if home_id is not None:
        home = registry.households.get(home_id)
        if home is None or home.area not in partner.areas:
            problems.append(
                FieldProblem("household", "一覧から選んでください", "pick from the list")
            )
        address = None  # a home picked: the typed address is not needed
    elif address is None:
        problems.append(
            FieldProblem(
                "where", "場所を選ぶか、住所を書いてください", "pick a home or write an address"
            )
        )
    elif len(address) > ADDRESS_MAX:
        problems.append(
            FieldProblem("address", f"{ADDRESS_MAX}文字までにしてください", "address too long")
        )
    pin = _pin(form, problems)
    photo = _photo(upload, at, problems) if at is not None else None
    if problems:
        raise ChangeRefused(problems)
    return ReportDraft(Noticed(noticed), note, home_id, address, pin, photo)


async def file(hub: HubState, link: PartnerLink, partner: Partner, report: ReportDraft) -> int:
    """File the report: it joins or opens the case of its home; the case's id."""
    now = hub.clock()
    if await hub.store.reports_since(link.id, now - timedelta(hours=1)) >= MAX_PER_HOUR:
        log.warning("partner link %d (%s) refused: over %d reports in an hour",
                    link.id, partner.id, MAX_PER_HOUR)  # fmt: skip
        raise LinkBusy()
    home = hub.registry.households.get(report.household_id or "")
    area = home.area if home is not None else partner.areas[0]
    case_id = await hub.store.file_report(link, report, area, now)
    log.info("report from %s (link %d) filed in case %d", partner.id, link.id, case_id)
    await routing.route_report(hub, case_id, report.noticed)
    case = await hub.store.case(case_id)
    on_line = await hub.store.line_user_of(link_recipient(link.id)) is not None
    if (link.has_channel or on_line) and case is not None and case.state is CaseState.TRIAGED:
        # The centre started before this report came: its reporter hears it now (once:
        # the message's key is the one a triage would have queued).
        reporter = Reporter(link.id, link.lang, now, on_line=on_line)
        started = feedback.drafts(case_id, Step.TRIAGE, [reporter])
        await hub.store.queue_notifications(started, now)
    return case_id
