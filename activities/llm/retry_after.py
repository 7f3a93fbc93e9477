"""How long a provider asked us to wait, read from its 429/503 reply.

OpenAI-compatible servers send `retry-after-ms` or `Retry-After` (seconds, or an HTTP date). The
wait is capped so a misbehaving provider cannot park a learner's generation for hours."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime


def requested_wait(headers: Mapping[str, str], *, cap: timedelta, now: datetime | None = None) -> timedelta | None:
    wait = _from_milliseconds(headers.get("retry-after-ms")) or _from_retry_after(
        headers.get("retry-after"), now or datetime.now(UTC)
    )
    if wait is None or wait <= timedelta(0):
        return None
    return min(wait, cap)


def _from_milliseconds(value: str | None) -> timedelta | None:
    try:
        return timedelta(milliseconds=float(value)) if value else None
    except ValueError:
        return None


def _from_retry_after(value: str | None, now: datetime) -> timedelta | None:
    if not value:
        return None
    try:
        return timedelta(seconds=float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when - now
