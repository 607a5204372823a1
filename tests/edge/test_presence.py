"""Presence rule on a virtual clock: arrived -> seen -> left, smoothing, hysteresis."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mimamori.edge.clock import VirtualClock
from mimamori.edge.rules.presence import PresenceParams, PresenceTracker
from mimamori.protocol import EventKind

TAG = "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:1:2"
OTHER = "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:1:3"
PARAMS = PresenceParams(
    enter_rssi=-80, exit_rssi=-90, smoothing=0.5, leave_after_s=30, report_interval_s=10
)


def advert(t: PresenceTracker, clock: VirtualClock, rssi: int, tag: str = TAG) -> list[EventKind]:
    return [d.kind for d in t.observe(tag, rssi, "r1", clock.monotonic(), clock.now())]


def test_a_strong_advert_makes_the_tag_arrive_once() -> None:
    clock = VirtualClock()
    t = PresenceTracker(PARAMS)
    assert advert(t, clock, -60) == [EventKind.TAG_ARRIVED]
    clock.advance(1)
    assert advert(t, clock, -60) == []
    assert t.is_present(TAG)


def test_one_lucky_advert_from_afar_is_smoothed_away() -> None:
    clock = VirtualClock()
    t = PresenceTracker(PARAMS)
    for _ in range(5):
        assert advert(t, clock, -95) == []
        clock.advance(1)
    # -95 then -70 averages to -82.5 with smoothing 0.5: still below the enter level.
    assert advert(t, clock, -70) == []
    assert not t.is_present(TAG)


def test_seen_is_reported_at_most_once_per_report_interval() -> None:
    clock = VirtualClock()
    t = PresenceTracker(PARAMS)
    kinds: list[EventKind] = []
    for _ in range(35):  # 35 s of one advert a second
        kinds += advert(t, clock, -60)
        clock.advance(1)
    assert kinds == [EventKind.TAG_ARRIVED] + [EventKind.TAG_SEEN] * 3


def test_seen_carries_the_smoothed_rssi_and_the_number_of_adverts() -> None:
    clock = VirtualClock()
    t = PresenceTracker(PARAMS)
    t.observe(TAG, -60, "r1", clock.monotonic(), clock.now())
    drafts = []
    for _ in range(10):
        clock.advance(1)
        drafts += t.observe(TAG, -70, "r1", clock.monotonic(), clock.now())
    assert [d.kind for d in drafts] == [EventKind.TAG_SEEN]
    assert drafts[0].data["adverts"] == 10
    assert -71 <= drafts[0].data["rssi"] <= -69


def test_tag_left_is_emitted_when_the_site_goes_quiet() -> None:
    clock = VirtualClock()
    t = PresenceTracker(PARAMS)
    advert(t, clock, -60)
    arrived = clock.now()
    clock.advance(5)
    advert(t, clock, -62)
    last = clock.now()
    clock.advance(29)
    assert t.expire(clock.monotonic(), clock.now()) == []
    clock.advance(1)  # 30 s after the last advert, with no other advert at all
    [left] = t.expire(clock.monotonic(), clock.now())
    assert left.kind is EventKind.TAG_LEFT
    assert left.data["tag"] == TAG
    assert left.data["last_seen"] == last.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert left.data["arrived_at"] == arrived.isoformat(timespec="milliseconds").replace(
        "+00:00", "Z"
    )
    assert not t.is_present(TAG)
    assert len(t) == 0


def test_hysteresis_keeps_a_tag_between_exit_and_enter_levels_present() -> None:
    clock = VirtualClock()
    t = PresenceTracker(PARAMS)
    advert(t, clock, -60)
    for _ in range(100):  # -85 is below enter (-80) but above exit (-90)
        clock.advance(2)
        advert(t, clock, -85)
        assert t.expire(clock.monotonic(), clock.now()) == []
    assert t.is_present(TAG)


def test_adverts_below_the_exit_level_do_not_hold_a_tag() -> None:
    clock = VirtualClock()
    t = PresenceTracker(PARAMS)
    advert(t, clock, -60)
    kinds: list[EventKind] = []
    for _ in range(40):
        clock.advance(1)
        kinds += advert(t, clock, -100)
        kinds += [d.kind for d in t.expire(clock.monotonic(), clock.now())]
    assert kinds == [EventKind.TAG_LEFT]


def test_a_tag_that_comes_back_arrives_again() -> None:
    clock = VirtualClock()
    t = PresenceTracker(PARAMS)
    advert(t, clock, -60)
    clock.advance(31)
    assert [d.kind for d in t.expire(clock.monotonic(), clock.now())] == [EventKind.TAG_LEFT]
    assert advert(t, clock, -60) == [EventKind.TAG_ARRIVED]


def test_each_tag_leaves_on_its_own_timer() -> None:
    clock = VirtualClock()
    t = PresenceTracker(PARAMS)
    advert(t, clock, -60, TAG)
    clock.advance(10)
    advert(t, clock, -60, OTHER)
    clock.advance(21)
    assert [d.data["tag"] for d in t.expire(clock.monotonic(), clock.now())] == [TAG]
    clock.advance(10)
    assert [d.data["tag"] for d in t.expire(clock.monotonic(), clock.now())] == [OTHER]


def test_faint_candidates_are_forgotten() -> None:
    clock = VirtualClock()
    t = PresenceTracker(PARAMS)
    advert(t, clock, -99)
    assert len(t) == 1
    clock.advance(31)
    assert t.expire(clock.monotonic(), clock.now()) == []
    assert len(t) == 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(-127, 0), st.floats(0, 20)), max_size=200))
def test_events_of_a_tag_always_alternate_arrived_then_left(steps: list[tuple[int, float]]) -> None:
    clock = VirtualClock()
    t = PresenceTracker(PARAMS)
    kinds: list[EventKind] = []
    for rssi, gap in steps:
        kinds += advert(t, clock, rssi)
        clock.advance(gap)
        kinds += [d.kind for d in t.expire(clock.monotonic(), clock.now())]
    clock.advance(PARAMS.leave_after_s + 1)
    kinds += [d.kind for d in t.expire(clock.monotonic(), clock.now())]
    present = False
    for kind in kinds:
        if kind is EventKind.TAG_ARRIVED:
            assert not present
            present = True
        else:
            assert present
            if kind is EventKind.TAG_LEFT:
                present = False
    assert not present  # everything that arrived has left once the site went quiet
