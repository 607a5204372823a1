"""A household's summary reads the check-ins as the protocol's typed models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from mimamori.hub.households.summary import detail, summary
from mimamori.hub.model.reminders import Reminder
from mimamori.hub.store.sql_store import SqlStore
from mimamori.hub.web.household_view import calendar
from mimamori.hub.web.i18n import texts
from mimamori.protocol import EventDraft, EventKind, format_ts, new_event_id
from tests.hub.helpers import hub_document, registry_of_doc

DUE = datetime(2031, 5, 12, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo


async def test_a_missed_step_counts_whatever_offset_its_due_time_was_written_with(
    store: SqlStore, tmp_path: Path
) -> None:
    """The wire takes any time with a zone; the same instant as ``+09:00`` is the open
    period's due time as much as its ``Z`` spelling (it was once compared as text)."""
    [home] = registry_of_doc(hub_document(tmp_path, 1883, 8080)).households.values()
    press = EventDraft(
        EventKind.CHECKIN_DONE,
        DUE - timedelta(days=1),
        {"device": "door", "card": "genki", "next_due": format_ts(DUE)},
    ).numbered(new_event_id(), 1)
    in_tokyo = DUE.astimezone(ZoneInfo("Asia/Tokyo")).isoformat(timespec="milliseconds")
    assert in_tokyo == "2031-05-12T10:00:00.000+09:00"
    step = EventDraft(
        EventKind.CHECKIN_MISSED, DUE + timedelta(hours=1), {"level": 1, "due": in_tokyo}
    ).numbered(new_event_id(), 2)
    now = DUE + timedelta(hours=2)
    await store.ingest([("gw-home", press), ("gw-home", step)], [], now)
    view = await summary(store, home, now)
    assert (view.state, view.level, view.next_due) == ("missed", 1, format_ts(DUE))
    assert view.last_checkin is not None and view.last_checkin.card == "genki"
    days = (await detail(store, home, now)).history
    assert days[-1].missed_level == 1 and [c.card for c in days[-2].checkins] == ["genki"]


async def test_the_calendar_says_how_the_person_was_really_reminded(
    store: SqlStore, tmp_path: Path
) -> None:
    """Not a fixed 「本人に通知」: the button, LINE, that nothing could reach them, or that
    the one way there was failed."""
    [home] = registry_of_doc(hub_document(tmp_path, 1883, 8080)).households.values()
    zone = ZoneInfo(home.timezone)
    days = [DUE - timedelta(days=n) for n in (2, 1, 0, 3)]
    steps = [
        EventDraft(EventKind.CHECKIN_MISSED, day, {"level": 0, "due": format_ts(day)}).numbered(
            new_event_id(), n
        )
        for n, day in enumerate(days, start=1)
    ]
    now = DUE + timedelta(hours=1)
    await store.ingest([("gw-home", s) for s in steps], [], now)
    done = [
        # Two days ago: the button beeped, and her own LINE was told.
        Reminder(steps[0].id, "button", home.id, "gw-home", days[0], "sent"),
        Reminder(steps[0].id, "line", home.id, "gw-home", days[0], "queued"),
        # Yesterday: the gateway was offline and she has no phone of her own.
        Reminder(steps[1].id, "button", home.id, "gw-home", days[1], "not_possible"),
        # Today: the broker refused, her e-mail was queued.
        Reminder(steps[2].id, "button", home.id, "gw-home", days[2], "failed"),
        Reminder(steps[2].id, "mailto", home.id, "gw-home", days[2], "queued"),
        # Three days ago: the button was the only way, and the broker refused it.
        Reminder(steps[3].id, "button", home.id, "gw-home", days[3], "failed"),
    ]
    cursor = await store.reminder_cursor()
    assert await store.record_reminders(cursor, cursor, done, [], now)
    view = await detail(store, home, now)
    assert [d.reminded for d in view.history[-4:]] == [
        ["failed"],
        ["button", "line"],
        ["none"],
        ["mail"],
    ]
    assert view.history[-5].reminded == []
    notes = [d.title for d in calendar(view, zone, texts("ja")).days[-4:]]
    assert notes == [
        "連絡なし / お知らせを送れませんでした",
        "連絡なし / ボタンでお知らせ / LINEでお知らせ",
        "連絡なし / お知らせできる手段なし",
        "連絡なし / メールでお知らせ",
    ]
