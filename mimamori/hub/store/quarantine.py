"""What the hub set aside: messages and rows it refused or failed to handle (types and
the port; ``sqlite_quarantine`` implements it for both engines).

Nothing from outside can stop the hub (docs/faults.md, "No poison"): a message that
cannot be decoded is refused, one whose handling fails is acknowledged anyway, and
both are kept here with the reason, so a technician can see what a gateway sent and
a developer what broke, while the next message is handled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

# mqtt: a gateway's message; federation: a peer's request; alerts / escalation /
# delivery / live: a row a background loop could not handle.
Source = Literal["mqtt", "federation", "alerts", "escalation", "delivery", "live"]

MAX_PAYLOAD_KEPT = 16 * 1024  # enough to see what was wrong; the rest is counted
KEPT_PER_KIND = 100  # rows kept per (source, gateway, reason): a flood rolls over itself


@dataclass(frozen=True)
class Quarantined:
    source: Source
    reason: str  # a counter name: "not_json", "too_deep", "event", "store", ...
    detail: str  # what went wrong, for people
    failure: bool  # True: handling failed (a bug, or the database refused a row)
    gateway_id: str | None = None
    topic: str | None = None
    payload: bytes | None = None


@dataclass(frozen=True)
class QuarantineEntry:
    id: int
    at: datetime
    item: Quarantined
    size: int  # the payload's size as it came (what is kept may be cut)


class QuarantineStore(Protocol):
    async def quarantine(self, items: Sequence[Quarantined], at: datetime) -> None:
        """Keep these aside (payloads cut to ``MAX_PAYLOAD_KEPT``), at most
        ``KEPT_PER_KIND`` of each source, gateway and reason (the newest)."""
        ...

    async def quarantined(
        self, limit: int, *, before_id: int | None = None, failures_only: bool = False
    ) -> list[QuarantineEntry]:
        """The newest entries first."""
        ...

    async def quarantine_entry(self, entry_id: int) -> QuarantineEntry | None: ...

    async def quarantine_counts(self, since: datetime) -> dict[str, int]:
        """``rejected`` and ``failed`` entries since ``since``."""
        ...

    async def clear_quarantine(self, up_to_id: int) -> int:
        """Forget entries up to this id (a technician has looked); how many."""
        ...
