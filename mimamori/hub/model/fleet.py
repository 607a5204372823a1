"""What the hub's database knows of its gateways, read for the technician's fleet
page in a few queries for the whole town (``store.fleet_facts``), never one per row."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

# A receiver's rate is kept per quarter hour of the hub's clock: a day is 96 points,
# fine enough to show a deaf half hour, and 500 gateways' day is ~50,000 small rows.
RATE_BUCKET = timedelta(minutes=15)
# Kept two days (the sparkline draws one): the purge runs every few hours.
RATE_DAYS = 2


def rate_bucket(at: datetime) -> datetime:
    """The start of the quarter hour ``at`` is in (UTC)."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return epoch + (at - epoch) // RATE_BUCKET * RATE_BUCKET


@dataclass(frozen=True)
class GatewayRecord:
    """One gateway's row of the ``gateways`` table."""

    gateway_id: str
    online: bool | None  # None: never sent a status
    status: str | None  # its last status message, as JSON
    status_at: datetime | None  # when the hub received it (the hub's clock)
    clock_offset_ms: int | None  # how far its clock was last found off (+: behind)
    clock_wrong: bool


@dataclass(frozen=True)
class OpenAlert:
    id: int
    kind: str
    subject: str  # gateway:ID or receiver:ID/RECEIVER


@dataclass(frozen=True)
class RateBucket:
    """What a receiver heard in one quarter hour: the whole minutes the hub took in from
    its statuses then (fewer when the gateway was offline) and the adverts in them."""

    start: datetime
    minutes: int
    adverts: int

    @property
    def per_min(self) -> float:
        return self.adverts / self.minutes if self.minutes else 0.0


@dataclass(frozen=True)
class FleetFacts:
    records: dict[str, GatewayRecord] = field(default_factory=dict)
    since: dict[str, datetime] = field(default_factory=dict)  # its last online/offline change
    starts: dict[str, int] = field(default_factory=dict)  # gateway.online since the window
    alerts: dict[str, list[OpenAlert]] = field(default_factory=dict)  # open, by gateway
    # gateway -> receiver -> its quarter hours since the window, oldest first
    rates: dict[str, dict[str, list[RateBucket]]] = field(default_factory=dict)


# What became of a gateway's config: the hub's states, then the gateway's word.
CONFIG_STATES = ("proposed", "sent", "applied", "rolled_back", "refused")


@dataclass(frozen=True)
class GatewayConfigVersion:
    """One version of a gateway's YAML as the hub keeps it (``gateway_configs``)."""

    gateway_id: str
    version: int
    yaml: str
    sha256: str  # of the YAML's UTF-8 bytes, as the command carries it
    created_by: str
    created_at: datetime
    state: str  # one of CONFIG_STATES
    sent_at: datetime | None = None
    reason: str | None = None  # the gateway's, with its result
    config_hash: str | None = None  # the config the gateway runs after its result
    result_at: datetime | None = None
