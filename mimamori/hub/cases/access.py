"""Who may see and handle partners and cases: the desk's rule (``access/policy.py``),
applied to their areas. A case lies in its care centre's area; a partner in its areas
(a newspaper delivering across two districts is managed by staff of both, or an
admin)."""

from __future__ import annotations

from collections.abc import Iterable

from mimamori.hub.access.policy import Principal, Verdict, verdict
from mimamori.hub.desk.service import DeskRefused


def check(who: Principal, areas: Iterable[str] | None, what: str) -> None:
    """DeskRefused unless ``who`` may see and handle something lying in ``areas``
    (None: there is no such thing; ``[]``: the desk at all)."""
    found = verdict(who, None if areas is None else list(areas))
    if found is Verdict.FORBIDDEN:
        raise DeskRefused(403, f"this {what} is not yours to see")
    if found is Verdict.MISSING:
        raise DeskRefused(404, f"no such {what}")


def scope(who: Principal) -> list[str] | None:
    """The areas whose cases ``who`` sees (None: all, admins)."""
    return None if who.everywhere else list(who.areas) if who.role == "staff" else []
