"""The hub's acknowledgement chain as pure logic: batches of a gateway's outbox, in any
order, with any cap drops, and the seq the hub may confirm."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mimamori.hub.ingest.ack_chain import MAX_LINKS, Range, advance


def batches_of(held: list[int], size: int) -> list[tuple[Range, list[int]]]:
    """What a gateway sends: its held seqs in order, in batches of ``size``, each
    vouching from the highest seq held below its first (0 if none)."""
    out = []
    for i in range(0, len(held), size):
        events = held[i : i + size]
        after = held[i - 1] if i else 0
        out.append(((after, events[-1]), events))
    return out


def contiguous(stored: set[int], dropped: set[int], top: int) -> int:
    """The highest c such that every seq 1..c is stored or dropped."""
    c = 0
    while c < top and (c + 1 in stored or c + 1 in dropped):
        c += 1
    return c


def test_batches_in_order_join_one_after_another() -> None:
    chain = advance(0, [], [(0, 100)])
    assert (chain.confirmed, chain.moved, chain.links) == (100, True, frozenset())
    chain = advance(100, chain.links, [(100, 200)])
    assert chain.confirmed == 200


def test_a_batch_above_a_gap_waits_and_joins_when_the_gap_fills() -> None:
    chain = advance(100, [], [(200, 300)])
    assert (chain.confirmed, chain.moved) == (100, False)
    assert chain.links == {(200, 300)}
    chain = advance(chain.confirmed, chain.links, [(100, 200)])
    assert (chain.confirmed, chain.links) == (300, frozenset())


def test_a_batch_the_chain_covers_already_says_its_gateway_missed_the_ack() -> None:
    chain = advance(300, [], [(100, 200)])
    assert (chain.confirmed, chain.moved, chain.repeated) == (300, False, True)
    assert chain.links == frozenset()


def test_beyond_the_bound_the_links_farthest_from_the_head_are_forgotten() -> None:
    links = [(1000 + 10 * i, 1005 + 10 * i) for i in range(MAX_LINKS + 5)]
    chain = advance(0, [], links)
    assert len(chain.links) == MAX_LINKS
    assert chain.links == set(sorted(links)[:MAX_LINKS])


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(1, 120),
    drop=st.sets(st.integers(1, 120)),
    size=st.integers(1, 10),
    lost=st.sets(st.integers(0, 40)),
    seed=st.integers(0, 2**32 - 1),
    max_links=st.sampled_from([2, 8, MAX_LINKS]),
)
def test_any_arrival_order_and_any_cap_drops_never_confirm_past_a_missing_event(
    n: int, drop: set[int], size: int, *, lost: set[int], seed: int, max_links: int
) -> None:
    """Batches arrive in any order, some never (lost in a crashed broker), with links
    forgotten past the bound; at every step the chain is at most the contiguous prefix
    of stored or dropped events; once the gateway has sent again what it still holds,
    it reaches its last event."""
    rng = random.Random(seed)
    dropped = {seq for seq in drop if seq <= n}
    held = [seq for seq in range(1, n + 1) if seq not in dropped]
    sent = batches_of(held, size)
    arriving = [b for i, b in enumerate(sent) if i not in lost]
    rng.shuffle(arriving)
    confirmed, links, stored = 0, frozenset[Range](), set[int]()
    for (after, last), events in arriving:
        stored |= set(events)
        chain = advance(confirmed, links, [(after, last)], max_links=max_links)
        assert chain.confirmed >= confirmed
        assert chain.confirmed <= contiguous(stored, dropped, n)
        confirmed, links = chain.confirmed, chain.links
    # The gateway sends again, from its oldest unconfirmed event, in order.
    resend = batches_of([seq for seq in held if seq > confirmed], size)
    for (after, last), events in resend:
        stored |= set(events)
        chain = advance(confirmed, links, [(after, last)], max_links=max_links)
        confirmed, links = chain.confirmed, chain.links
    # Up to the last event held: drops above it are vouched for by later batches only.
    assert confirmed == (held[-1] if held else 0)
    assert confirmed <= contiguous(stored, dropped, n)


@pytest.mark.parametrize("order", ["forward", "backward"])
def test_a_window_out_of_order_chains_whole(order: str) -> None:
    held = list(range(1, 1601))
    sent = [r for r, _ in batches_of(held, 100)]
    confirmed, links = 0, frozenset[Range]()
    for r in sent if order == "forward" else reversed(sent):
        chain = advance(confirmed, links, [r])
        confirmed, links = chain.confirmed, chain.links
    assert (confirmed, links) == (1600, frozenset())
