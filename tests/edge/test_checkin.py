"""The check-in rule on virtual time: periods, grace, the ladder, restarts, DST."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from mimamori.edge.rules.checkin import CheckinRule, CheckinState, Step
from mimamori.edge.rules.schedule import Schedule
from mimamori.protocol import EventKind
from mimamori.protocol.events import EventDraft

TOKYO = ZoneInfo("Asia/Tokyo")
LADDER = [
    Step(timedelta(0), 0),
    Step(timedelta(hours=23), 1),
    Step(timedelta(days=3), 2),
]
GRACE = timedelta(minutes=60)
H = timedelta(hours=1)


def jst(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TOKYO).astimezone(UTC)


def rule(now: datetime, state: CheckinState | None = None, **kw: Any) -> CheckinRule:
    schedule = kw.pop("schedule", Schedule(TOKYO, time(10, 0)))
    return CheckinRule(schedule, LADDER, kw.pop("grace", GRACE), now, state)


def levels(drafts: list[EventDraft]) -> list[int]:
    assert all(d.kind == EventKind.CHECKIN_MISSED for d in drafts)
    return [int(d.data["level"]) for d in drafts]


def run_ticks(r: CheckinRule, start: datetime, end: datetime, step: timedelta) -> list[int]:
    """Tick every ``step`` from ``start`` to ``end``; the levels fired, in order."""
    fired: list[int] = []
    t = start
    while t <= end:
        fired += levels(r.tick(t))
        t += step
    return fired


def test_a_press_before_the_due_time_closes_the_day() -> None:
    r = rule(jst(23, 7))
    [event] = r.press("btn", "genki", jst(23, 8))
    assert event.kind == EventKind.CHECKIN_DONE
    assert event.data["closed"] == "2026-11-23T01:00:00.000Z"  # 10:00 JST
    assert event.data["late"] is False
    assert event.data["next_due"] == "2026-11-24T01:00:00.000Z"
    assert run_ticks(r, jst(23, 8), jst(24, 9), timedelta(minutes=10)) == []
    assert r.period_state(jst(23, 12)) == ("ok", None)


def test_a_second_press_the_same_day_closes_nothing_more() -> None:
    r = rule(jst(23, 7))
    r.press("btn", "genki", jst(23, 8))
    [again] = r.press("btn", "genki", jst(23, 9))
    assert again.data["closed"] is None
    assert again.data["next_due"] == "2026-11-24T01:00:00.000Z"  # still tomorrow's


def test_cards_become_their_event_kinds_and_all_count_as_a_check_in() -> None:
    r = rule(jst(23, 7))
    assert r.press("btn", "soudan", jst(23, 8))[0].kind == EventKind.CHECKIN_CONSULT
    assert r.press("btn", "sos", jst(24, 8))[0].kind == EventKind.CHECKIN_SOS
    assert r.state.due == jst(25, 10)
    assert r.state.last_card == "sos"


def test_nobody_presses_each_ladder_step_fires_once_at_its_time() -> None:
    r = rule(jst(23, 7))
    fired_at: dict[int, datetime] = {}
    t = jst(23, 7)
    while t < jst(28, 0):
        for level in levels(r.tick(t)):
            assert level not in fired_at
            fired_at[level] = t
        t += timedelta(minutes=1)
    deadline = jst(23, 11)  # 10:00 due + 60 min grace
    assert fired_at == {0: deadline, 1: deadline + 23 * H, 2: deadline + 72 * H}
    assert r.period_state(jst(27, 12)) == ("missed", 2)


def test_the_period_is_due_between_the_due_time_and_the_first_alerting_step() -> None:
    r = rule(jst(23, 7))
    assert r.period_state(jst(23, 9)) == ("ok", None)
    r.tick(jst(23, 11))  # the reminder (level 0)
    assert r.period_state(jst(23, 11)) == ("due", None)
    r.tick(jst(24, 10))  # level 1
    assert r.period_state(jst(24, 10)) == ("missed", 1)


def test_a_press_within_the_grace_period_is_on_time() -> None:
    r = rule(jst(23, 7))
    [event] = r.press("btn", "genki", jst(23, 10, 40))
    assert event.data["closed"] == "2026-11-23T01:00:00.000Z"
    assert event.data["late"] is True  # after the due time, but no step fired
    assert run_ticks(r, jst(23, 10, 40), jst(24, 9), timedelta(minutes=5)) == []


def test_a_late_press_closes_the_missed_period_and_the_day_it_falls_in() -> None:
    r = rule(jst(23, 7))
    assert run_ticks(r, jst(23, 7), jst(24, 11), timedelta(minutes=5)) == [0, 1]
    [event] = r.press("btn", "genki", jst(24, 15))
    assert event.data["closed"] == "2026-11-23T01:00:00.000Z"
    assert event.data["late"] is True
    # 15:00 on the 24th lies in the period due at 10:00 on the 25th: that one is done too.
    assert event.data["next_due"] == "2026-11-26T01:00:00.000Z"
    assert r.period_state(jst(24, 16)) == ("ok", None)
    assert run_ticks(r, jst(24, 15), jst(26, 10, 59), timedelta(minutes=5)) == []


def test_a_new_period_escalates_again_from_the_start() -> None:
    r = rule(jst(23, 7))
    run_ticks(r, jst(23, 7), jst(24, 11), timedelta(minutes=30))
    r.press("btn", "genki", jst(24, 15))
    assert run_ticks(r, jst(24, 15), jst(27, 12), timedelta(minutes=30)) == [0, 1]


def test_a_restart_mid_period_neither_forgets_nor_repeats() -> None:
    r = rule(jst(23, 7))
    assert run_ticks(r, jst(23, 7), jst(23, 12), timedelta(minutes=5)) == [0]
    saved = r.state.to_json()
    # Down from noon on the 23rd to 09:00 on the 25th: level 1 fell due meanwhile.
    resumed = rule(jst(25, 9), CheckinState.from_json(saved))
    assert run_ticks(resumed, jst(25, 9), jst(25, 10), timedelta(minutes=5)) == [1]
    again = rule(jst(25, 10), CheckinState.from_json(resumed.state.to_json()))
    assert run_ticks(again, jst(25, 10), jst(26, 10), timedelta(minutes=5)) == []
    assert run_ticks(again, jst(26, 10), jst(26, 12), timedelta(minutes=5)) == [2]


def test_a_clock_not_yet_synced_fires_nothing() -> None:
    r = rule(jst(23, 7))
    r.press("btn", "genki", jst(23, 8))
    # A Pi without a real-time clock boots believing it is 1970 (or last week).
    assert r.tick(datetime(1970, 1, 1, tzinfo=UTC)) == []
    assert r.tick(jst(20, 12)) == []


def test_every_three_days_escalates_like_the_kurobe_volunteers() -> None:
    from datetime import date

    schedule = Schedule(TOKYO, time(18, 0), every_n_days=3, start=date(2026, 11, 22))
    r = rule(jst(22, 19), schedule=schedule, grace=timedelta(0))
    assert r.state.due == jst(25, 18)
    assert run_ticks(r, jst(22, 19), jst(25, 17, 55), timedelta(minutes=5)) == []
    assert run_ticks(r, jst(25, 18), jst(25, 18), timedelta(minutes=5)) == [0]


def test_the_ladder_runs_on_real_hours_across_a_dst_change() -> None:
    london = ZoneInfo("Europe/London")
    schedule = Schedule(london, time(10, 0))
    start = datetime(2027, 3, 26, 12, 0, tzinfo=london)
    r = rule(start.astimezone(UTC), schedule=schedule)
    r.press("btn", "genki", start.astimezone(UTC))
    assert r.state.due == datetime(2027, 3, 27, 10, 0, tzinfo=UTC)  # 10:00 GMT
    fired: dict[int, datetime] = {}
    t = start.astimezone(UTC)
    while t < datetime(2027, 4, 2, tzinfo=UTC):
        for level in levels(r.tick(t)):
            fired[level] = t
        t += timedelta(minutes=1)
    deadline = datetime(2027, 3, 27, 11, 0, tzinfo=UTC)
    # Level 1 is 23 real hours later even though the clocks went forward meanwhile.
    assert fired == {0: deadline, 1: deadline + 23 * H, 2: deadline + 72 * H}
    [event] = r.press("btn", "genki", datetime(2027, 3, 30, 8, 0, tzinfo=UTC))  # 09:00 BST
    assert event.data["next_due"] == "2027-03-31T09:00:00.000Z"  # 10:00 BST
