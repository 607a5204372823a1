"""Times on the wire: UTC, ISO 8601, millisecond precision, ``Z`` suffix."""

from __future__ import annotations

from datetime import UTC, datetime

# Every time on the wire lies in [EARLIEST, LATEST): a Pi without a real-time clock
# may still say 1970 before NTP syncs (the hub places such events on its own clock),
# but year 1 or 9999 is not a clock, only a number that overflows what stores it.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def utc_ms(value: datetime) -> datetime:
    """``value`` in UTC, cut to whole milliseconds (what the wire can carry)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: times must carry a zone")
    value = value.astimezone(UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def on_the_wire(value: datetime) -> datetime:
    """``utc_ms(value)``, refused when outside what a clock can say (ValueError)."""
    value = utc_ms(value)
    if not EARLIEST <= value < LATEST:
        raise ValueError("a time on the wire lies between 1970 and 2199")
    return value


def format_ts(value: datetime) -> str:
    value = utc_ms(value)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def to_epoch_ms(value: datetime) -> int:
    value = utc_ms(value)
    return int(value.timestamp()) * 1000 + value.microsecond // 1000


def from_epoch_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC).replace(microsecond=(ms % 1000) * 1000)


def to_epoch_ms_or_none(value: datetime | None) -> int | None:
    """A time the store may leave empty (an expiry, an acknowledgement not yet made)."""
    return None if value is None else to_epoch_ms(value)


def from_epoch_ms_or_none(ms: int | None) -> datetime | None:
    return None if ms is None else from_epoch_ms(ms)


def from_iso(value: str) -> datetime:
    """Parse a wire time (``...Z`` or with an offset) into an aware UTC datetime."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return utc_ms(parsed)
