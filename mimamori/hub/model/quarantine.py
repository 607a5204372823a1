"""Messages and rows the hub refused or failed to handle, kept aside for a person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

# mqtt: a gateway's message; federation: a peer's request; line: a LINE webhook's
# event; alerts / escalation / delivery / live: a row a background loop could not handle.
Source = Literal["mqtt", "federation", "line", "alerts", "escalation", "delivery", "live"]


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
