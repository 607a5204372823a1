"""The port of end-to-end acknowledgement (``sql_acks`` implements it on both
engines): per gateway and outbox epoch, the confirmed seq and the ranges waiting for
a gap to fill (``hub/ingest/ack_chain.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from mimamori.hub.model.acks import AckUpdate
from mimamori.protocol.codec import Claim


class AckStore(Protocol):
    async def advance_acks(
        self, claims: Sequence[tuple[str, Claim]], now: datetime
    ) -> list[AckUpdate]:
        """Join the claims of batches whose events are committed (gateway id, claim) to
        their chains, in one transaction. Returns the acks to publish: where the
        confirmed seq moved, and where a batch came that it covered already (its
        gateway has evidently not heard the ack)."""
        ...

    async def ack_of(self, gateway_id: str, epoch: str) -> int | None:
        """The confirmed seq of one outbox epoch; None if it was never seen."""
        ...
