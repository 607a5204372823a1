"""What a reporter hears, through a real SMTP server (aiosmtpd) on the hub's virtual
clock: one message when the centre starts, one when it is done, in the reporter's
language, with the day they reported and nothing about the person; a message the
mail server refused is sent again when its retry comes due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mimamori.hub.alerts.channels import AppriseSender
from mimamori.hub.cases.feedback import FeedbackWorker, drafts
from mimamori.hub.model.cases import CaseState, Noticed, Partner, PartnerKind, ReportDraft, Step
from mimamori.hub.store.port_cases import CaseChange, Reporter
from mimamori.hub.store.sql_store import SqlStore
from tests.hub.helpers import HubClock
from tests.hub.receivers import smtp_server

NOW = datetime(2031, 5, 12, 3, 0, tzinfo=UTC)  # 12:00 in Japan


def test_the_messages_say_when_and_what_only() -> None:
    ja, en = Reporter(1, "ja", NOW), Reporter(2, "en", NOW)
    started = drafts(7, Step.TRIAGE, [ja, en])
    assert (
        "5月12日 12:00にお知らせいただいた件について、地域包括支援センターが対応を始めました。"
        in started[0].body
    )
    assert "the care centre" in started[1].body and "12 May 12:00" in started[1].body
    [done] = drafts(7, Step.CLOSE, [ja])
    assert "対応が終わりました。" in done.body
    assert {d.dedupe_key for d in (*started, done)} == {
        "case:7:triage:1", "case:7:triage:2", "case:7:close:1"
    }  # fmt: skip


async def test_feedback_the_mail_server_refused_is_sent_when_due_again(store: SqlStore) -> None:
    clock = HubClock(NOW)
    with smtp_server() as box:
        mail = f"mailto://127.0.0.1:{box.port}?from=hub@example.jp&mode=insecure&to=y@example.jp"
        await store.add_partner(Partner("news", "新聞", PartnerKind.NEWSPAPER, ("south",), NOW))
        link = await store.add_partner_link(
            "news", "山田", channel=mail, lang="ja", token_hash="t", at=NOW
        )
        report = ReportDraft(Noticed.MAIL_PILING, "", "hh-1", None)
        case_id = await store.file_report(link, report, "south", NOW)
        reporters = await store.case_reporters(case_id)
        change = CaseChange((CaseState.NEW,), Step.TRIAGE, "staff", "visit",
                            state=CaseState.TRIAGED,
                            feedback=drafts(case_id, Step.TRIAGE, reporters))  # fmt: skip
        assert await store.change_case(case_id, change, NOW)
        worker = FeedbackWorker(store, AppriseSender(timeout_s=10), clock)
        box.refuse = True
        assert await worker.deliver_due() == 1
        assert box.messages == [] and await store.feedback_sent(link.id) == []
        assert await worker.deliver_due() == 0  # not due before its retry
        box.refuse = False
        clock.advance(timedelta(seconds=30))  # the first retry (alerts' delivery: 30 s)
        assert await worker.deliver_due() == 1
        [message] = box.messages
        assert "対応を始めました" in message.get_body(("plain",)).get_content()
        assert await store.feedback_sent(link.id) == [message["Subject"]]
