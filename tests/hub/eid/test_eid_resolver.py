"""The resolver on a virtual clock: drift window, clock learning, replays, late events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mimamori.bench.eid import measure
from mimamori.hub.eid.resolver import SKEW_S, EidResolver, Outcome, TagClock
from mimamori.protocol.eid import compute_eid

K = 10  # 1,024 s periods
P = 1 << K
T0 = 1_790_000_000.0  # Unix time when the tests begin
OFFSET = 65_280 - int(T0)  # counter 65,280 at T0, as a new tag starts


def key(n: int) -> bytes:
    return bytes([n % 256, n // 256]) + bytes(14)


def clock(n: int, offset: int = OFFSET, exponent: int = K) -> TagClock:
    return TagClock(f"eid:tag-{n}", key(n), exponent, offset, offset)


def shown(n: int, at: float, offset: int = OFFSET, exponent: int = K) -> bytes:
    """What tag n, whose clock really runs at ``offset``, shows at ``at``."""
    return compute_eid(key(n), exponent, int(at) + offset)


def resolver(tags: int = 3, **kwargs: int) -> EidResolver:
    return EidResolver([clock(n) for n in range(tags)], now=T0, **kwargs)


def test_an_eid_of_a_known_tag_resolves_to_its_registry_id_and_period() -> None:
    r = resolver()
    found = r.resolve(shown(1, T0 + 5), T0 + 5)
    assert (found.outcome, found.tag_id, found.period) == (Outcome.RESOLVED, "eid:tag-1", 63)


def test_an_eid_of_no_tag_of_ours_is_unknown() -> None:
    r = resolver()
    assert r.resolve(compute_eid(key(99), K, 65_280), T0).outcome == Outcome.UNKNOWN
    assert r.resolve(bytes(8), T0).outcome == Outcome.UNKNOWN


def test_the_table_holds_the_window_and_the_history_of_every_tag() -> None:
    # counter 65,280 is period 63: periods 0..63+2 exist, 63-2-8 .. 63+2 are kept
    assert len(resolver(tags=5, window=2, history=8)) == 5 * (2 + 1 + 2 + 8)
    assert len(resolver(tags=5, window=1, history=0)) == 5 * 3


@pytest.mark.parametrize("periods_off", [-2, -1, 1, 2])
def test_a_tag_whose_clock_drifted_within_the_window_still_resolves(periods_off: int) -> None:
    r = resolver(window=2)
    drifted = OFFSET + periods_off * P
    found = r.resolve(shown(0, T0 + 10, drifted), T0 + 10)
    assert found.outcome == Outcome.RESOLVED and found.tag_id == "eid:tag-0"


def test_a_tag_far_ahead_of_the_window_is_not_found() -> None:
    r = resolver(window=2)
    assert r.resolve(shown(0, T0 + 10, OFFSET + 3 * P), T0 + 10).outcome == Outcome.UNKNOWN


def test_an_id_played_back_after_its_window_is_rejected_as_a_replay() -> None:
    r = resolver(window=2, history=8)
    recorded = shown(0, T0)
    later = T0 + 4 * P  # four periods on: outside the window, inside the history
    r.advance(later)
    found = r.resolve(recorded, later)
    assert found.outcome == Outcome.REPLAYED and found.tag_id == "eid:tag-0"
    assert "period 63 heard in period 67" in found.detail
    # ...and it taught the resolver nothing: the tag's own id still resolves
    assert r.take_learned() == []
    assert r.resolve(shown(0, later), later).outcome == Outcome.RESOLVED


def test_an_id_behind_one_already_seen_is_a_replay_even_inside_the_window() -> None:
    r = resolver(window=2)
    r.advance(T0 + 2 * P)
    assert r.resolve(shown(0, T0 + 2 * P), T0 + 2 * P).outcome == Outcome.RESOLVED
    # one period behind: a tag may switch ids a little late, so that is allowed
    assert r.resolve(shown(0, T0 + P), T0 + 2 * P + 1).outcome == Outcome.RESOLVED
    # two behind, after the tag was heard further on: its counter never runs back
    found = r.resolve(shown(0, T0), T0 + 2 * P + 2)
    assert found.outcome == Outcome.REPLAYED and "after period 65" in found.detail


def test_time_moving_on_slides_each_tag_by_one_period_for_one_eid() -> None:
    r = resolver(tags=4)
    before, size = r.computed, len(r)
    # the next boundary: counter 65,536 (period 64), 256 s after T0
    assert r.advance(T0 + 255) == 0
    assert r.advance(T0 + 256) == 4
    assert len(r) == size and r.computed == before + 4
    assert r.resolve(shown(2, T0 + 256 + 2 * P), T0 + 256).outcome == Outcome.RESOLVED


def test_a_long_pause_rebuilds_each_tag_once() -> None:
    r = resolver(tags=2, window=2, history=8)
    computed = r.advance(T0 + 30 * 86_400)  # a month without an advert
    assert computed == 2 * 13 and len(r) == 2 * 13
    at = T0 + 30 * 86_400 + 5
    assert r.resolve(shown(1, at), at).outcome == Outcome.RESOLVED


def test_sightings_narrow_what_is_known_of_a_tags_clock() -> None:
    # Registered 300 s off (programmed five minutes after 'tag add' printed its counter),
    # within the period of uncertainty registration allows; a gateway reports the tag
    # every 30 s. The sightings either side of the period boundary pin the clock down.
    true_offset = OFFSET - 300
    r = EidResolver([TagClock("eid:tag-0", key(0), K, OFFSET - P, OFFSET + P)], now=T0)
    for at in range(int(T0), int(T0) + 1200, 30):
        r.advance(at)
        assert r.resolve(shown(0, at, true_offset), at).outcome == Outcome.RESOLVED
    lo, hi = r.clock("eid:tag-0")
    assert lo <= true_offset <= hi
    assert hi - lo <= 30 + 2 * SKEW_S + 1
    assert r.take_learned() == [("eid:tag-0", lo, hi)]
    assert r.take_learned() == []


def test_a_sighting_that_contradicts_the_clock_starts_it_again() -> None:
    # a battery change: the tag restored its counter from a day-old copy, 3 periods back
    r = EidResolver([clock(0)], now=T0, window=4)
    jumped = OFFSET - 3 * P
    assert r.resolve(shown(0, T0 + 10, jumped), T0 + 10).outcome == Outcome.RESOLVED
    lo, hi = r.clock("eid:tag-0")
    assert lo <= jumped <= hi and hi - lo <= P + 2 * SKEW_S


def test_the_window_follows_a_clock_that_keeps_drifting() -> None:
    # A clock losing a period every 10 periods: after 100 periods it is 10 behind what
    # it was registered with, five times the window. Sighted every period, it is never
    # lost; a resolver that never saw it in between no longer finds it.
    followed = EidResolver([clock(0)], now=T0, window=2, history=2)
    ignorant = EidResolver([clock(0)], now=T0, window=2, history=2)
    for n in range(101):
        at = T0 + n * P + 10
        true_offset = OFFSET - (n // 10) * P
        followed.advance(at)
        assert followed.resolve(shown(0, at, true_offset), at).outcome == Outcome.RESOLVED, n
    ignorant.advance(at)
    assert ignorant.resolve(shown(0, at, true_offset), at).outcome == Outcome.UNKNOWN
    lo, hi = followed.clock("eid:tag-0")
    assert lo - P <= true_offset <= hi + P


def test_a_late_event_from_an_outbox_resolves_in_its_own_time() -> None:
    r = resolver(window=2, history=2)
    now = T0 + 86_400
    r.advance(now)
    heard = T0 + 3_600  # a gateway was offline for most of a day
    found = r.resolve(shown(1, heard), heard)
    assert (found.outcome, found.tag_id) == (Outcome.RESOLVED, "eid:tag-1")
    # the same id claimed for now is a stranger's as far as the table knows
    assert r.resolve(shown(1, heard), now).outcome == Outcome.UNKNOWN
    # ...and a run of late events reuses the table built for their stretch of time
    computed = r.computed
    assert r.resolve(shown(2, heard + 30), heard + 30).outcome == Outcome.RESOLVED
    assert r.computed == computed


def test_a_late_event_claiming_a_time_its_id_does_not_belong_to_is_a_replay() -> None:
    # today's id, sent as if heard yesterday morning
    r = resolver(window=2, history=2)
    now = T0 + 86_400
    r.advance(now)
    found = r.resolve(shown(1, now), T0 + 3_600)
    assert found.outcome == Outcome.REPLAYED


def test_eids_between_is_what_a_gateway_needs_for_a_search_window() -> None:
    r = resolver(window=2)
    start = datetime.fromtimestamp(T0, UTC)
    got = r.eids_between("eid:tag-1", start, start + timedelta(hours=1))
    # counters 65,280..68,880 are periods 63..67; two more either side for drift
    assert got == [compute_eid(key(1), K, p << K) for p in range(61, 70)]
    with pytest.raises(KeyError):
        r.eids_between("eid:nobody", start, start)


def test_a_tag_registered_on_a_small_exponent_rotates_quickly() -> None:
    r = EidResolver([clock(7, exponent=3)], now=T0, window=1, history=0)
    for step in range(0, 80, 8):
        at = T0 + step
        r.advance(at)
        assert r.resolve(shown(7, at, exponent=3), at).outcome == Outcome.RESOLVED


def test_the_benchmark_resolves_every_advert_of_its_own_tags() -> None:
    # `mimamori bench eid` prints figures; here only that what it times is right
    row = measure(tags=20, lookups=200, naive_lookups=5)
    assert row["resolved"] == "200/200"
    assert row["table_entries"] == 20 * (2 + 1 + 2 + 8)
    assert row["eids_computed_per_period"] >= 20  # every tag slid at least once
