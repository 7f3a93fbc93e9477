"""What "today" is for quotas, streaks and nudges: the calendar day in the configured time zone.

Activities pass the instant they are about (never the wall clock, which a retry would move)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


def today_in(tz_name: str, now: datetime | None = None) -> date:
    return (now or datetime.now(ZoneInfo(tz_name))).astimezone(ZoneInfo(tz_name)).date()


def seconds_until_tomorrow(tz_name: str, now: datetime | None = None) -> int:
    current = (now or datetime.now(ZoneInfo(tz_name))).astimezone(ZoneInfo(tz_name))
    midnight = datetime.combine(current.date() + timedelta(days=1), datetime.min.time(), current.tzinfo)
    return max(1, int((midnight - current).total_seconds()) + 1)
