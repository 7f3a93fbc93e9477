"""Writing a notification once: keyed by the event it announces, so a retried activity or a
repeated request never announces it twice. The inbox and the event stream (a database trigger)
pick it up when the transaction commits."""

from __future__ import annotations

import uuid

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Notification


async def notify(
    session: AsyncSession, user_id: uuid.UUID, kind: str, message: str, *, key: str, link: str | None = None
) -> bool:
    """True when this call wrote it (what was announced before is not announced again)."""
    written = await session.scalar(
        insert(Notification)
        .values(
            user_id=user_id,
            kind=kind,
            message=message[:2000],
            day=func.current_date(),
            dedupe_key=key[:200],
            link=link,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"], index_where=Notification.dedupe_key.is_not(None))
        .returning(Notification.id)
    )
    return written is not None
