"""Small counts hidden. A figure of an area is read by many; a count of one or two
("1 report of 道に迷っている in the north this month") can point at one household, so
it is shown as "under 3", as small-area statistics hide their smallest cells. When a
table hides a single cell, its total (read from another table of the same reports)
would give it away, so the next smallest count is hidden with it."""

from __future__ import annotations

from collections.abc import Mapping

MIN_SHOWN = 3  # counts of 1 and 2 are hidden; 0 is shown (it points at no one)


def hide_small(counts: Mapping[str, int]) -> dict[str, int | None]:
    """``counts`` with each hidden count None."""
    shown: dict[str, int | None] = {
        k: (None if 0 < n < MIN_SHOWN else n) for k, n in counts.items()
    }
    hidden = [k for k, v in shown.items() if v is None]
    if len(hidden) == 1:
        rest = sorted((n, k) for k, n in counts.items() if n > 0 and shown[k] is not None)
        if rest:
            shown[rest[0][1]] = None
    return shown


def hide_small_number(n: int) -> int | None:
    return None if 0 < n < MIN_SHOWN else n
