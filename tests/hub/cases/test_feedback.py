"""What a reporter hears, through a real SMTP server (aiosmtpd) on the hub's virtual
clock: one message when the centre starts, one when it is done, in the reporter's
language, with the day they reported and nothing about the person. Feedback is a
notification of the hub's one queue (alerts/delivery.py): a message the mail server
refused is sent again when its retry comes due, and once only however many delivery
workers run; what an older hub queued in its own table moves to the queue."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mimamori.hub.alerts.channels import AppriseSender
from mimamori.hub.alerts.delivery import DeliveryWorker
from mimamori.hub.cases.feedback import drafts
from mimamori.hub.model.cases import CaseState, Noticed, Partner, PartnerKind, ReportDraft, Step
from mimamori.hub.store.port_cases import CaseChange, Reporter
from mimamori.hub.store.schema import MIGRATIONS
from mimamori.hub.store.sql_store import SqlStore
from tests.hub.helpers import HubClock, open_test_store
from tests.hub.receivers import smtp_server
from tests.hub.store.schemas import an_older_store

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


def mail_to(port: int) -> str:
    return f"mailto://127.0.0.1:{port}?from=hub@example.jp&mode=insecure&to=y@example.jp"


async def test_feedback_survives_a_failing_channel_and_is_delivered_once(store: SqlStore) -> None:
    clock = HubClock(NOW)
    with smtp_server() as box:
        await store.add_partner(Partner("news", "新聞", PartnerKind.NEWSPAPER, ("south",), NOW))
        link = await store.add_partner_link(
            "news", "山田", channel=mail_to(box.port), lang="ja", token_hash="t", at=NOW
        )
        report = ReportDraft(Noticed.MAIL_PILING, "", "hh-1", None)
        case_id = await store.file_report(link, report, "south", NOW)
        reporters = await store.case_reporters(case_id)
        change = CaseChange((CaseState.NEW, CaseState.TRIAGED), Step.TRIAGE, "staff", "visit",
                            state=CaseState.TRIAGED,
                            feedback=drafts(case_id, Step.TRIAGE, reporters))  # fmt: skip
        assert await store.change_case(case_id, change, NOW)
        assert await store.change_case(case_id, change, NOW)  # triaged again: the same key
        # Two hub workers, each with the one queue's delivery worker.
        first, second = (DeliveryWorker(store, AppriseSender(timeout_s=10), clock=clock)
                         for _ in range(2))  # fmt: skip
        box.refuse = True
        assert await first.deliver_due() == 1
        assert await second.deliver_due() == 0  # not due before its retry
        assert box.messages == [] and await store.feedback_sent(link.id) == []
        [failed] = await store.notification_log()
        assert failed["state"] == "pending" and failed["attempts"] == 1
        box.refuse = False
        clock.advance(timedelta(seconds=30))  # the queue's first retry
        tried = await asyncio.gather(first.deliver_due(), second.deliver_due())
        assert sorted(tried) == [0, 1]  # leased: one worker sends it
        clock.advance(timedelta(hours=6))
        assert await first.deliver_due() == 0 and await second.deliver_due() == 0
        [message] = box.messages
        assert "対応を始めました" in message.get_body(("plain",)).get_content()
        assert await store.feedback_sent(link.id) == [message["Subject"]]


async def test_feedback_an_older_hub_queued_is_delivered_from_the_queue(tmp_path: Path) -> None:
    # The schema just before feedback moved to the queue (found, not numbered: the lead
    # renumbers migrations when merging).
    [moved] = [i for i, m in enumerate(MIGRATIONS) if "DROP TABLE case_feedback" in m.sql]
    at = int(NOW.timestamp() * 1000)
    with smtp_server() as box:
        inserts = [
            "INSERT INTO partners (id, name, kind, areas, created_at) "
            "VALUES ('news', '新聞', 'newspaper', '[\"south\"]', {0})",
            "INSERT INTO partner_links (partner_id, label, channel, lang, token_hash, "
            "created_at) VALUES ('news', '山田', '{1}', 'ja', 't', {0})",
            "INSERT INTO case_feedback (link_id, dedupe_key, title, body, state, next_at) "
            "VALUES (1, 'case:1:triage:1', '件名', '本文', 'pending', {0})",
        ]
        await an_older_store(
            tmp_path,
            moved,
            sqlite=[s.format("?", mail_to(box.port)) for s in inserts],
            postgres=[s.format("$1", mail_to(box.port)) for s in inserts],
            rows=[(at,)],
        )
        store = await open_test_store(tmp_path)
        try:
            worker = DeliveryWorker(store, AppriseSender(timeout_s=10), clock=HubClock(NOW))
            assert await worker.deliver_due() == 1
            [message] = box.messages
            assert message["Subject"] == "件名"
            assert await store.feedback_sent(1) == ["件名"]
        finally:
            await store.close()
