"""The cases assigned to someone (issue 16): staff's "my cases", and the only view of
cases a 民生委員 (volunteer) has. A case may be assigned to its area's staff or to the
volunteer of its household (``service.assignees``). A volunteer sees only the open
cases assigned to them, and of each the minimum they need to go and look: what was
noticed, where (the home's address, as a partner sees it), and what to do (the
centre's triage); never who reported, their notes, the timeline or the outcome.
Each case shown to a volunteer is audited (``case.read``, "assigned"), as a staff
member's read of a case is.
"""

from __future__ import annotations

from dataclasses import dataclass

from mimamori.hub.access.policy import Principal
from mimamori.hub.desk.service import DeskRefused, actor
from mimamori.hub.model.cases import Case, Noticed
from mimamori.hub.server.state import HubState

LIMIT = 200  # a volunteer visits a handful of homes; a busy staff member, dozens


@dataclass(frozen=True)
class Assigned:
    case: Case
    noticed: tuple[Noticed, ...]  # what the reports said, each once, first first


async def mine(hub: HubState, who: Principal) -> list[Assigned]:
    """The open cases assigned to ``who``; DeskRefused(403) for families and tokens
    without an account."""
    if who.user_id is None or who.role not in ("staff", "admin", "volunteer"):
        raise DeskRefused(403, "no cases are assigned to this account")
    cases = await hub.store.cases(None, LIMIT, assigned_to=who.user_id)
    if who.role == "staff":  # moved to another centre since: no longer theirs to see
        cases = [c for c in cases if who.in_area(c.area)]
    found = []
    for case in cases:
        timeline = await hub.store.case_timeline(case.id)
        noticed = tuple(dict.fromkeys(e.noticed for e in timeline if e.noticed is not None))
        found.append(Assigned(case, noticed))
    if who.role == "volunteer":
        by = actor(who, "cases")
        for item in found:
            await hub.store.audit(hub.clock(), who=by.who, role=by.role, action="case.read",
                                  subject=f"case:{item.case.id}", detail="assigned")  # fmt: skip
    return found
