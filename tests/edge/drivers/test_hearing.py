"""HearingMeter: a receiver's adverts per whole minute, on a virtual clock."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from mimamori.edge.clock import VirtualClock
from mimamori.edge.drivers.hearing import MINUTE_S, HearingMeter
from mimamori.protocol.status import HEARD_MINUTES


def hear(meter: HearingMeter, clock: VirtualClock, n: int) -> None:
    for _ in range(n):
        meter.heard(clock.monotonic(), clock.now())


def test_a_receiver_that_just_started_has_no_whole_minute_yet() -> None:
    clock = VirtualClock()
    meter = HearingMeter(clock)
    hear(meter, clock, 3)
    clock.advance(59.9)
    heard = meter.status()
    assert heard.per_min == [] and heard.last_min == 0 and heard.until is None
    assert heard.last_advert == clock.now() - timedelta(seconds=59.9)


def test_adverts_are_counted_in_the_whole_minute_they_were_heard_in() -> None:
    clock = VirtualClock()
    start = clock.now()
    meter = HearingMeter(clock)
    hear(meter, clock, 5)
    clock.advance(59.0)
    hear(meter, clock, 2)  # still the first minute
    clock.advance(1.0)
    hear(meter, clock, 4)  # the second minute begins
    clock.advance(30.0)
    heard = meter.status()
    assert heard.per_min == [7] and heard.last_min == 7
    assert heard.until == start + timedelta(seconds=60)
    clock.advance(30.0)
    heard = meter.status()
    assert heard.per_min == [7, 4] and heard.last_min == 4
    assert heard.until == start + timedelta(seconds=120)
    assert heard.last_advert == start + timedelta(seconds=60)


def test_a_receiver_that_stops_hearing_shows_zeros_minute_by_minute() -> None:
    clock = VirtualClock()
    meter = HearingMeter(clock)
    for _ in range(3):
        hear(meter, clock, 10)
        clock.advance(MINUTE_S)
    last = clock.now() - timedelta(seconds=MINUTE_S)
    clock.advance(4 * MINUTE_S)
    heard = meter.status()
    assert heard.per_min == [10, 10, 10, 0, 0, 0, 0]
    assert heard.last_min == 0
    assert heard.last_advert == last


def test_the_history_keeps_the_last_fifteen_minutes_and_a_long_silence_is_all_zeros() -> None:
    clock = VirtualClock()
    meter = HearingMeter(clock)
    for minute in range(20):
        hear(meter, clock, minute + 1)
        clock.advance(MINUTE_S)
    assert meter.status().per_min == list(range(6, 21))
    clock.advance(10 * 86_400)  # ten days deaf
    assert meter.status().per_min == [0] * HEARD_MINUTES
    hear(meter, clock, 1)
    clock.advance(MINUTE_S)
    assert meter.status().per_min == [0] * (HEARD_MINUTES - 1) + [1]


@given(
    gaps=st.lists(st.floats(min_value=0.0, max_value=200.0), min_size=0, max_size=200),
    tail=st.floats(min_value=0.0, max_value=1200.0),
)
def test_each_whole_minute_holds_exactly_the_adverts_heard_in_it(
    gaps: list[float], tail: float
) -> None:
    clock = VirtualClock()
    start = clock.monotonic()
    meter = HearingMeter(clock)
    times: list[float] = []
    for gap in gaps:
        clock.advance(gap)
        times.append(clock.monotonic())
        meter.heard(clock.monotonic(), clock.now())
    clock.advance(tail)
    heard = meter.status()
    whole = int((clock.monotonic() - start) // MINUTE_S)
    expected = [
        sum(1 for t in times if m * MINUTE_S <= t - start < (m + 1) * MINUTE_S)
        for m in range(max(0, whole - HEARD_MINUTES), whole)
    ]
    assert heard.per_min == expected
    assert heard.last_min == (expected[-1] if expected else 0)


def test_a_shortened_minute_is_said_in_the_status_and_the_usual_one_is_not() -> None:
    clock = VirtualClock()
    start = clock.now()
    short = HearingMeter(clock, minute_s=1.0)
    usual = HearingMeter(clock)
    for meter in (short, usual):
        hear(meter, clock, 3)
    clock.advance(2.5)
    heard = short.status()
    assert heard.per_min == [3, 0] and heard.minute_s == 1.0
    assert heard.until == start + timedelta(seconds=2) and heard.minute == timedelta(seconds=1)
    assert usual.status().minute_s is None and usual.status().minute == timedelta(minutes=1)
