"""Days are calendar days in DAY_TIMEZONE; statements take a day's bounds as instants, so the
indexes on `created_at`-like columns serve them (a `::date` cast would not)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Day:
    day: date
    start: datetime  # the first instant of the day
    end: datetime  # the first instant of the next day

    @classmethod
    def of(cls, day: date, tz_name: str) -> Day:
        zone = ZoneInfo(tz_name)
        return cls(
            day,
            datetime.combine(day, time.min, zone),
            datetime.combine(day + timedelta(days=1), time.min, zone),
        )


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
