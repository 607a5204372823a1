"""Times as the wire and the store hold them: UTC, whole milliseconds, epoch milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mimamori.protocol.timefmt import format_ts, from_epoch_ms, to_epoch_ms, utc_ms

# Every millisecond a datetime can hold, in UTC.
FIRST_MS = -62_135_596_800_000  # 0001-01-01T00:00:00Z
LAST_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
ZONES = st.one_of(
    st.just(UTC),
    st.builds(
        lambda minutes: timezone(timedelta(minutes=minutes)),
        st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59),
    ),
)
AWARE = st.datetimes(
    min_value=datetime(2, 1, 1),  # noqa: DTZ001 - hypothesis takes naive bounds
    max_value=datetime(9998, 12, 31),  # noqa: DTZ001
    timezones=ZONES,
)


@given(st.integers(min_value=FIRST_MS, max_value=LAST_MS))
def test_epoch_milliseconds_round_trip_before_and_after_1970(ms: int) -> None:
    assert to_epoch_ms(from_epoch_ms(ms)) == ms


@given(AWARE)
def test_a_time_is_the_same_instant_in_utc_cut_to_its_millisecond(value: datetime) -> None:
    cut = utc_ms(value)
    assert cut.tzinfo is UTC
    assert cut.microsecond % 1000 == 0
    assert timedelta(0) <= value - cut < timedelta(milliseconds=1)
    assert utc_ms(cut) == cut
    assert to_epoch_ms(value) == to_epoch_ms(cut)
    assert from_epoch_ms(to_epoch_ms(value)) == cut


def test_the_wire_spelling_of_a_time_in_another_zone() -> None:
    jst = timezone(timedelta(hours=9))
    value = datetime(2026, 12, 3, 9, 0, 0, 123999, tzinfo=jst)
    assert format_ts(value) == "2026-12-03T00:00:00.123Z"
    assert to_epoch_ms(value) == 1_796_256_000_123


@pytest.mark.parametrize("convert", [utc_ms, to_epoch_ms, format_ts])
def test_naive_times_are_refused(convert: object) -> None:
    with pytest.raises(ValueError, match="naive"):
        convert(datetime(2026, 12, 3))  # type: ignore[operator]  # noqa: DTZ001
