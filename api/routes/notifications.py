from __future__ import annotations

import uuid
from typing import Any, cast

from fastapi import APIRouter, Query
from sqlalchemy import CursorResult, func, select, update

from api.deps import CurrentUserDep, SessionDep
from api.errors import ApiError
from api.schemas.notifications import NotificationList, NotificationView, ReadAll
from db.models import Notification

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])


@router.get("", response_model=NotificationList)
async def list_notifications(
    *,
    limit: int = Query(20, ge=1, le=100),
    # Bounded: PostgreSQL's OFFSET is a bigint, and no learner pages past a million rows.
    offset: int = Query(0, ge=0, le=1_000_000),
    user: CurrentUserDep,
    session: SessionDep,
) -> NotificationList:
    rows = await session.scalars(
        select(Notification)
        .where(Notification.user_id == user.id)
        # Unread first, newest first within each group.
        .order_by(Notification.read_at.is_not(None), Notification.created_at.desc(), Notification.id)
        .limit(limit)
        .offset(offset)
    )
    unread = await session.scalar(
        select(func.count()).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )
    return NotificationList(
        items=[NotificationView.model_validate(n) for n in rows], unread=unread or 0, limit=limit, offset=offset
    )


@router.post("/read-all", response_model=ReadAll)
async def read_all(user: CurrentUserDep, session: SessionDep) -> ReadAll:
    result = await session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=func.now())
    )
    await session.commit()
    # execute() is typed as returning a Result; for an UPDATE it is a CursorResult.
    return ReadAll(marked_read=cast(CursorResult[Any], result).rowcount)


@router.post("/{notification_id}/read", response_model=NotificationView)
async def read_one(
    notification_id: uuid.UUID,
    user: CurrentUserDep,
    session: SessionDep,
) -> NotificationView:
    notification = await session.scalar(
        update(Notification)
        .where(Notification.id == notification_id, Notification.user_id == user.id)
        .values(read_at=func.coalesce(Notification.read_at, func.now()))
        .returning(Notification)
    )
    if notification is None:
        raise ApiError(404, f"notification {notification_id} not found")
    await session.commit()
    return NotificationView.model_validate(notification)
