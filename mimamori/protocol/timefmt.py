"""Times on the wire: UTC, ISO 8601, millisecond precision, ``Z`` suffix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# Every time on the wire lies in [EARLIEST, LATEST): a Pi without a real-time clock
# may still say 1970 before NTP syncs (the hub places such events on its own clock),
# but year 1 or 9999 is not a clock, only a number that overflows what stores it.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)

# utc_ms and to_epoch_ms run for every event the hub stores (decoding, then its row),
# so they do only what a value needs: a time already in UTC on a whole millisecond is
# returned as it is, and the epoch is integer arithmetic, exact for any date. Before:
# 1.9 and 4.1 us a call; now 0.2-0.8 and 0.5-1.1 us (docs/performance.md, 2026-12-03).


def utc_ms(value: datetime) -> datetime:
    """``value`` in UTC, cut to whole milliseconds (what the wire can carry)."""
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetime: times must carry a zone")
        value = value.astimezone(UTC)
    sub_ms = value.microsecond % 1000
    return value - timedelta(microseconds=sub_ms) if sub_ms else value


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
    """Milliseconds since 1970 (UTC), sub-milliseconds cut off (towards the past)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: times must carry a zone")
    return (value - _EPOCH) // _MS


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
