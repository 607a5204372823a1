"""When a gateway sends again what the hub has not confirmed: the rules of
``edge/resend.py`` on a virtual clock."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mimamori.edge.resend import RESEND_MAX_S, ResendPolicy


def test_a_reconnect_resends_everything_unconfirmed_only_while_the_hub_is_up() -> None:
    policy = ResendPolicy(30.0, now=0.0)
    policy.acked(40, 0.0)
    assert policy.hub_up  # nothing heard yet: a missing signal never stops resends
    assert policy.start_from(published_through=90) == 40
    policy.presence("mimamori-hub-w1", online=False)
    assert not policy.hub_up
    assert policy.start_from(published_through=90) == 90  # only what the broker never had
    policy.presence("mimamori-hub-w2", online=True)  # any worker online: up
    assert policy.hub_up and policy.start_from(published_through=90) == 40


def test_no_progress_for_resend_after_s_sends_again_then_backs_off() -> None:
    policy = ResendPolicy(30.0, now=0.0)
    assert not policy.resend_now(29.0, waiting=True)
    assert policy.resend_now(30.0, waiting=True)
    assert not policy.resend_now(89.0, waiting=True)  # then 60 s
    assert policy.resend_now(90.0, waiting=True)
    assert not policy.resend_now(209.0, waiting=True)  # then 120 s
    assert policy.resend_now(210.0, waiting=True)
    assert policy.acked(10, 211.0)  # progress: back to 30 s
    assert not policy.resend_now(240.0, waiting=True)
    assert policy.resend_now(241.0, waiting=True)


def test_nothing_is_sent_again_while_the_hub_is_away_or_nothing_waits() -> None:
    policy = ResendPolicy(30.0, now=0.0)
    policy.presence("mimamori-hub", online=False)
    assert not policy.resend_now(1000.0, waiting=True)
    policy.presence("mimamori-hub", online=True)
    # The hub is back: its queue at the broker gets resend_after_s before any copy.
    assert not policy.resend_now(1029.0, waiting=True)
    assert policy.resend_now(1030.0, waiting=True)
    assert not policy.resend_now(5000.0, waiting=False)
    assert not policy.resend_now(5000.0 + policy.delay - 1, waiting=True)


def test_an_older_ack_changes_nothing() -> None:
    policy = ResendPolicy(30.0, now=0.0)
    assert policy.acked(50, 1.0)
    assert not policy.acked(20, 2.0)  # another worker's older ack, published late
    assert policy.confirmed == 50


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0.0, 100.0), min_size=1, max_size=50))
def test_resends_never_come_closer_than_resend_after_s_nor_wait_past_the_ceiling(
    steps: list[float],
) -> None:
    policy = ResendPolicy(5.0, now=0.0)
    now, last = 0.0, 0.0
    for step in steps:
        now += step
        if policy.resend_now(now, waiting=True):
            assert now - last >= 5.0
            last = now
        assert 5.0 <= policy.delay <= RESEND_MAX_S
