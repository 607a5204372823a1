"""The cases' store on both engines: a report joins the open case of its home or
opens one; a closed case stays closed and the next report opens a new one; a change
happens only from the states it names, with its timeline line and its feedback in the
same transaction, as a notification of the one queue to the partner link."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from mimamori.hub.model.alerts import NotificationDraft
from mimamori.hub.model.cases import (
    CaseState,
    Noticed,
    Partner,
    PartnerKind,
    PartnerLink,
    ReportDraft,
    Step,
    Triage,
    link_of_recipient,
    link_recipient,
)
from mimamori.hub.store.port_cases import CaseChange
from mimamori.hub.store.sql_store import SqlStore

NOW = datetime(2031, 5, 12, 3, 0, tzinfo=UTC)
HOME = ReportDraft(Noticed.MAIL_PILING, "", "hh-1", None)


async def link(store: SqlStore, channel: str | None = "mailto://x") -> PartnerLink:
    await store.add_partner(Partner("news", "新聞", PartnerKind.NEWSPAPER, ("south",), NOW))
    return await store.add_partner_link(
        "news", "山田", channel=channel, lang="ja", token_hash="h" + str(channel), at=NOW
    )


async def test_reports_of_one_home_join_its_open_case(store: SqlStore) -> None:
    carrier = await link(store)
    first = await store.file_report(carrier, HOME, "south", NOW)
    second = await store.file_report(carrier, HOME, "south", NOW + timedelta(hours=1))
    elsewhere = ReportDraft(Noticed.LOST, "駅前", None, "野嵩1-1")
    third = await store.file_report(carrier, elsewhere, "south", NOW)
    assert first == second != third
    case = await store.case(first)
    assert case is not None and case.reports == 2 and case.state is CaseState.NEW
    assert [e.step for e in await store.case_timeline(first)] == [Step.REPORT, Step.REPORT]


async def test_reports_racing_for_one_home_open_one_case(store: SqlStore) -> None:
    carrier = await link(store)
    ids = await asyncio.gather(*(store.file_report(carrier, HOME, "south", NOW) for _ in range(8)))
    assert len(set(ids)) == 1
    case = await store.case(ids[0])
    assert case is not None and case.reports == 8


async def test_a_closed_case_stays_closed_and_the_next_report_opens_another(
    store: SqlStore,
) -> None:
    carrier = await link(store)
    first = await store.file_report(carrier, HOME, "south", NOW)
    close = CaseChange((CaseState.NEW, CaseState.TRIAGED), Step.CLOSE, "staff", "会えた",
                       state=CaseState.CLOSED, outcome="会えた")  # fmt: skip
    assert await store.change_case(first, close, NOW)
    assert not await store.change_case(first, close, NOW)  # closed: nothing from there
    again = await store.file_report(carrier, HOME, "south", NOW + timedelta(days=3))
    assert again != first
    cases = await store.cases(["south"], 10)
    assert [(c.id, c.state) for c in cases] == [(again, CaseState.NEW), (first, CaseState.CLOSED)]
    assert await store.cases(["north"], 10) == []


async def test_new_cases_come_first_then_triaged_then_closed(store: SqlStore) -> None:
    carrier = await link(store)
    ids = []
    for i in range(3):
        where = ReportDraft(Noticed.OTHER, "", None, f"野嵩{i}")
        ids.append(await store.file_report(carrier, where, "south", NOW + timedelta(minutes=i)))
    triage = CaseChange((CaseState.NEW,), Step.TRIAGE, "staff", "visit",
                        state=CaseState.TRIAGED, triage=Triage.VISIT)  # fmt: skip
    assert await store.change_case(ids[2], triage, NOW)
    assert [c.id for c in await store.cases(None, 10)] == [ids[1], ids[0], ids[2]]


async def test_feedback_is_queued_with_its_change_once_to_the_link(store: SqlStore) -> None:
    carrier = await link(store)
    case_id = await store.file_report(carrier, HOME, "south", NOW)
    [reporter] = await store.case_reporters(case_id)
    assert reporter.link_id == carrier.id
    to = link_recipient(carrier.id)
    message = NotificationDraft(None, to, 0, f"case:{case_id}:triage:{carrier.id}", "件名", "本文")
    triage = CaseChange(
        (CaseState.NEW, CaseState.TRIAGED), Step.TRIAGE, "staff", "visit",
        state=CaseState.TRIAGED, triage=Triage.VISIT, feedback=(message,),
    )  # fmt: skip
    assert await store.change_case(case_id, triage, NOW)
    assert await store.change_case(case_id, triage, NOW)  # triaged again: the same key
    [due] = await store.claim_notifications(NOW, 120)
    assert await store.claim_notifications(NOW, 120) == []  # leased
    assert (due.alert_id, due.recipient_id, due.title) == (None, to, "件名")
    assert link_of_recipient(due.recipient_id) == carrier.id
    assert await store.feedback_channel(carrier.id) == "mailto://x"
    await store.record_delivery(due.id, True, "", NOW, None)
    assert await store.feedback_sent(carrier.id) == ["件名"]


async def test_a_reporter_without_a_channel_hears_nothing(store: SqlStore) -> None:
    silent = await link(store, channel=None)
    case_id = await store.file_report(silent, HOME, "south", NOW)
    assert await store.case_reporters(case_id) == []
