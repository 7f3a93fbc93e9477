from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class NotificationView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    reason: str | None
    message: str
    day: date
    created_at: datetime
    read_at: datetime | None
    link: str | None = Field(default=None, description="where the app opens it: a ready course, notes, set or plan")


class NotificationList(BaseModel):
    items: list[NotificationView]
    unread: int
    limit: int
    offset: int


class ReadAll(BaseModel):
    marked_read: int
