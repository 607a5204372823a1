"""Check-in schedules in the household's zone, including both DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mimamori.edge.rules.schedule import Schedule

TOKYO = ZoneInfo("Asia/Tokyo")
LONDON = ZoneInfo("Europe/London")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_daily_in_tokyo_is_due_at_the_local_time() -> None:
    s = Schedule(TOKYO, time(10, 0))
    # 09:00 JST on 23 Nov = 00:00 UTC: due at 10:00 JST the same day = 01:00 UTC.
    assert s.due_after(utc(2026, 11, 23, 0, 0)) == utc(2026, 11, 23, 1, 0)
    # Exactly at the due time: the next one is tomorrow's.
    assert s.due_after(utc(2026, 11, 23, 1, 0)) == utc(2026, 11, 24, 1, 0)
    # 23:30 JST: tomorrow's.
    assert s.due_after(utc(2026, 11, 23, 14, 30)) == utc(2026, 11, 24, 1, 0)


def test_weekday_sets_skip_the_other_days() -> None:
    s = Schedule(TOKYO, time(21, 0), weekdays=frozenset({0, 3}))  # Mon, Thu
    # Tuesday 24 Nov 2026, noon JST -> Thursday 26 Nov 21:00 JST = 12:00 UTC.
    assert s.due_after(utc(2026, 11, 24, 3, 0)) == utc(2026, 11, 26, 12, 0)
    # Thursday after 21:00 -> Monday 30 Nov.
    assert s.due_after(utc(2026, 11, 26, 12, 0)) == utc(2026, 11, 30, 12, 0)


def test_every_n_days_counts_from_its_start() -> None:
    s = Schedule(TOKYO, time(10, 0), every_n_days=3, start=date(2026, 11, 1))
    assert s.due_after(utc(2026, 10, 1)) == utc(2026, 11, 1, 1, 0)  # before the start
    assert s.due_after(utc(2026, 11, 1, 2, 0)) == utc(2026, 11, 4, 1, 0)
    assert s.due_after(utc(2026, 11, 30, 2, 0)) == utc(2026, 12, 1, 1, 0)  # across months


def test_london_dues_follow_the_wall_clock_across_both_changes() -> None:
    s = Schedule(LONDON, time(10, 0))
    # Clocks go forward on Sunday 28 March 2027: 10:00 GMT, then 10:00 BST (09:00 UTC).
    saturday = s.due_after(utc(2027, 3, 27, 0, 0))
    sunday = s.due_after(saturday)
    assert (saturday, sunday) == (utc(2027, 3, 27, 10, 0), utc(2027, 3, 28, 9, 0))
    assert sunday - saturday == timedelta(hours=23)
    # Clocks go back on Sunday 31 October 2027: a 25-hour day.
    saturday = s.due_after(utc(2027, 10, 30, 0, 0))
    sunday = s.due_after(saturday)
    assert (saturday, sunday) == (utc(2027, 10, 30, 9, 0), utc(2027, 10, 31, 10, 0))
    assert sunday - saturday == timedelta(hours=25)


def test_a_due_time_skipped_by_the_spring_change_falls_due_an_hour_later() -> None:
    s = Schedule(LONDON, time(1, 30))  # 01:30 does not exist on 28 March 2027
    due = s.due_after(utc(2027, 3, 27, 12, 0))
    assert due == utc(2027, 3, 28, 1, 30)  # = 02:30 BST
    assert due.astimezone(LONDON).strftime("%H:%M %Z") == "02:30 BST"


def test_a_due_time_that_happens_twice_falls_due_the_first_time() -> None:
    s = Schedule(LONDON, time(1, 30))  # 01:30 happens twice on 31 October 2027
    due = s.due_after(utc(2027, 10, 30, 12, 0))
    assert due == utc(2027, 10, 31, 0, 30)  # 01:30 BST
    assert s.due_after(due) == utc(2027, 11, 1, 1, 30)  # once only


def test_every_n_days_needs_a_start() -> None:
    with pytest.raises(ValueError, match="go together"):
        Schedule(TOKYO, time(10, 0), every_n_days=2)


@settings(max_examples=300, deadline=None)
@given(
    # hypothesis takes naive bounds and adds the zone itself
    t=st.datetimes(
        min_value=datetime(2026, 1, 1),  # noqa: DTZ001
        max_value=datetime(2030, 12, 31),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    zone=st.sampled_from([TOKYO, LONDON, ZoneInfo("America/New_York")]),
    by=st.times(),
    kind=st.sampled_from(["daily", "weekdays", "n_days"]),
    days=st.frozensets(st.integers(0, 6), min_size=1),
    n=st.integers(1, 31),
)
def test_due_after_is_the_next_due_instant_of_the_schedule(
    *, t: datetime, zone: ZoneInfo, by: time, kind: str, days: frozenset[int], n: int
) -> None:
    if kind == "daily":
        s = Schedule(zone, by)
    elif kind == "weekdays":
        s = Schedule(zone, by, weekdays=days)
    else:
        s = Schedule(zone, by, every_n_days=n, start=date(2026, 1, 1))
    due = s.due_after(t)
    assert due > t
    day_of_due = due.astimezone(zone).date()
    assert s.is_due_day(day_of_due)
    assert due == s.due_on(day_of_due)
    # No due instant of the schedule lies strictly between t and due.
    local = t.astimezone(zone).date()
    for offset in range(-1, 40):
        day = local + timedelta(days=offset)
        if s.is_due_day(day):
            d = s.due_on(day)
            assert not (t < d < due)
