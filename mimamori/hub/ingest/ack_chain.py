"""How far the hub has stored a gateway's outbox: the chain of acknowledged batches,
as pure logic (the store keeps it, ``store/sqlite_acks.py``; ``acks.py`` publishes it).

A batch of outbox ``epoch`` vouches for a range (after, last]: every seq in it is in
the batch, or will never come (the gateway's cap dropped it, or the hub confirmed it
before). Once the batch's events are committed, its range joins the chain when
``after <= confirmed``, and ``confirmed`` becomes ``max(confirmed, last)``. So
``confirmed`` is the highest seq such that every event of the epoch up to it is
stored, refused for good, or dropped: never beyond an event that may still come.

Ranges arrive out of order (hub workers share the events through an MQTT v5 shared
subscription, and a gateway has 16 batches in flight), and after a broker crash a
gap may stay open until the gateway sends again. Such ranges wait as *links* and
join as soon as the gap below them fills. At most ``MAX_LINKS`` wait per epoch:
beyond that the ones farthest from the chain's head are forgotten (the gateway sends
them again when its ack stops moving), because the nearest are the ones the chain
reaches first.

Cost: O(k log k) for k = links + new ranges (one sort, one pass).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# A window is 16 batches; four windows cover the out-of-order arrivals of several
# workers and the batches a gateway sends while a gap waits for its resend.
MAX_LINKS = 64

Range = tuple[int, int]  # (after, last), after < last


@dataclass(frozen=True)
class Chain:
    confirmed: int
    links: frozenset[Range]  # ranges waiting for the gap below them
    moved: bool  # confirmed went up
    repeated: bool  # a new range was covered already: its gateway missed the ack


def advance(
    confirmed: int,
    links: Iterable[Range],
    ranges: Iterable[Range],
    *,
    max_links: int = MAX_LINKS,
) -> Chain:
    """Join the ``ranges`` of newly committed batches to a chain at ``confirmed``
    with its waiting ``links``."""
    new = set(ranges)
    start = confirmed
    waiting: list[Range] = []
    # Sorted by ``after``: once one range cannot join, none after it can (each later
    # ``after`` is at least as high, and ``confirmed`` only moves when one joins).
    for after, last in sorted(set(links) | new):
        if after <= confirmed:
            confirmed = max(confirmed, last)
        else:
            waiting.append((after, last))
    return Chain(
        confirmed=confirmed,
        links=frozenset(waiting[:max_links]),
        moved=confirmed > start,
        repeated=any(last <= start for _, last in new),
    )
