"""The pace of LINE pushes on virtual time: no one-second window holds more starts
than the rate, a push never waits longer than its turn, and a quiet hub never waits."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mimamori.hub.line.pace import Pace

RATE = 8  # a power of two: the gaps (1/8 s) add up exactly in floating point


class VirtualTime:
    """A clock that moves only when told to, or when a caller sleeps. ``advance``: a
    sleep moves it (one caller at a time); else each sleep is recorded as the moment its
    caller wakes and time stands still (callers at once)."""

    def __init__(self, advance: bool = False) -> None:
        self.now = 0.0
        self.advance = advance
        self.wakes: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.wakes.append(self.now + seconds)
        if self.advance:
            self.now += seconds
        await asyncio.sleep(0)  # the other callers run

    def pace(self, per_s: float = RATE) -> Pace:
        return Pace(per_s, monotonic=self.monotonic, sleep=self.sleep)


def most_in_one_second(starts: list[float]) -> int:
    starts = sorted(starts)
    return max(sum(1 for other in starts if start <= other < start + 1.0) for start in starts)


async def test_pushes_in_a_burst_wait_their_turn_and_no_second_holds_more_than_the_rate() -> None:
    time = VirtualTime()
    pace = time.pace()
    await asyncio.gather(*(pace.turn() for _ in range(100)))
    starts = [0.0, *time.wakes]  # the first goes at once, each other when it wakes
    assert starts == [n / RATE for n in range(100)]
    assert most_in_one_second(starts) == RATE
    assert pace.waited == 99


async def test_a_hub_pushing_below_the_rate_never_waits() -> None:
    time = VirtualTime()
    pace = time.pace()
    for _ in range(50):
        await pace.turn()
        time.now += 1.0 / RATE  # a push takes as long as its turn
    assert time.wakes == [] and pace.waited == 0


@given(st.lists(st.floats(min_value=0.0, max_value=0.5), min_size=1, max_size=60))
def test_each_push_starts_when_it_comes_or_one_gap_after_the_one_before(
    arrivals: list[float],
) -> None:
    async def walk() -> list[float]:
        time = VirtualTime(advance=True)
        pace = time.pace()
        starts: list[float] = []
        for gap in arrivals:  # a push comes ``gap`` seconds after the last one started
            time.now += gap
            await pace.turn()
            starts.append(time.now)
        return starts

    starts = asyncio.run(walk())
    for before, start, gap in zip(starts, starts[1:], arrivals[1:], strict=False):
        assert start == pytest.approx(max(before + gap, before + 1.0 / RATE))
    assert most_in_one_second(starts) <= RATE + 1  # float sums: a start may land on an edge


def test_a_pace_needs_a_positive_rate() -> None:
    with pytest.raises(ValueError, match="positive rate"):
        Pace(0)
