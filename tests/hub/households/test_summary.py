"""A household's summary reads the check-ins as the protocol's typed models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from mimamori.hub.households.summary import detail, summary
from mimamori.hub.store.sql_store import SqlStore
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
