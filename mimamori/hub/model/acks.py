"""End-to-end acknowledgement: what the hub tells a gateway it has stored."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AckUpdate:
    """An ack to publish: ``gateway_id``'s outbox ``epoch`` is stored up to ``confirmed``."""

    gateway_id: str
    epoch: str
    confirmed: int
