"""Fetch a resource only if the signed-in learner owns it; anything else is 404 (no existence leak)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import CurrentUser
from api.errors import ApiError
from db.models import Course, Topic


async def owned_course(session: AsyncSession, course_id: uuid.UUID, user: CurrentUser) -> Course:
    course = await session.scalar(select(Course).where(Course.id == course_id, Course.owner_id == user.id))
    if course is None:
        raise ApiError(404, f"course {course_id} not found")
    return course


async def owned_topic(session: AsyncSession, topic_id: uuid.UUID, user: CurrentUser) -> Topic:
    topic = await session.scalar(
        select(Topic)
        .join(Course, Course.id == Topic.course_id)
        .where(Topic.id == topic_id, Course.owner_id == user.id)
    )
    if topic is None:
        raise ApiError(404, f"topic {topic_id} not found")
    return topic
