"""When check-ins are due: local wall-clock times in the household's zone, as UTC instants.

Three kinds: every day, some weekdays, or every N days from a start date, each
"by HH:MM". Cron expressions cannot say "every 3 days from 1 November" (a day-of-month
step restarts every month), and the rest is a few lines over ``zoneinfo``, so this is
written here rather than taken from a cron library.

Daylight saving time, for zones that have it: a due time that does not exist that day
(skipped by the spring change) falls due at the same wall time on the old offset, i.e.
one hour later on the new clock; a due time that happens twice (the autumn change)
falls due at its first occurrence. Both follow from ``fold=0``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Schedule:
    zone: ZoneInfo
    by: time
    weekdays: frozenset[int] | None = None  # 0 = Monday; None: every day
    every_n_days: int | None = None
    start: date | None = None

    def __post_init__(self) -> None:
        if (self.every_n_days is None) != (self.start is None):
            raise ValueError("every_n_days and start go together")
        if self.weekdays is not None and not self.weekdays:
            raise ValueError("weekdays must not be empty")

    def is_due_day(self, day: date) -> bool:
        if self.every_n_days is not None and self.start is not None:
            return day >= self.start and (day - self.start).days % self.every_n_days == 0
        return self.weekdays is None or day.weekday() in self.weekdays

    def due_on(self, day: date) -> datetime:
        """The due instant (UTC) of ``day``, whether or not it is a due day."""
        return datetime.combine(day, self.by, tzinfo=self.zone).astimezone(UTC)

    def _first_day(self, day: date) -> date:
        if self.start is not None and day < self.start:
            return self.start
        return day

    def due_after(self, t: datetime) -> datetime:
        """The first due instant strictly after ``t``."""
        day = self._first_day(t.astimezone(self.zone).date() - _ONE_DAY)
        for _ in range(400):  # at most every_n_days (31) + a few days are ever needed
            if self.is_due_day(day):
                due = self.due_on(day)
                if due > t:
                    return due
            day += _ONE_DAY
        raise AssertionError("no due day within 400 days")  # unreachable by construction

    def due_at_or_after(self, t: datetime) -> datetime:
        return self.due_after(t - timedelta(microseconds=1))
