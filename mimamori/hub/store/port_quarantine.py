"""The port of what the hub set aside: messages and rows it refused or failed to
handle (``sql_quarantine`` implements it on both engines).

Nothing from outside can stop the hub (docs/faults.md, "No poison"): a message that
cannot be decoded is refused, one whose handling fails is acknowledged anyway, and
both are kept here with the reason, so a technician can see what a gateway sent and
a developer what broke, while the next message is handled.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from mimamori.hub.model.quarantine import (
    Quarantined,
    QuarantineEntry,
)


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
