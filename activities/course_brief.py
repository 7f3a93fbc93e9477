"""Load what a prompt needs to know about a course."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from activities.errors import SubjectGoneError
from activities.llm.prompts import CourseBrief
from db.models import Course


async def load_course(session: AsyncSession, course_id: uuid.UUID) -> Course:
    course = await session.get(Course, course_id)
    if course is None:
        raise SubjectGoneError(f"course {course_id} no longer exists")
    return course


def brief_of(course: Course) -> CourseBrief:
    return CourseBrief(
        topic=course.topic,
        course_type=course.course_type,
        difficulty=course.difficulty,
        preferences=course.preferences or {},
    )
