"""Accepting or dismissing a suggested next subject."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func

from db.analytics.dirty import mark_dirty
from db.models import SubjectSuggestion
from services.admission import Admission
from services.courses import CourseAdmitted, CourseRequest, admit_course
from services.errors import ServiceError
from services.goals import GoalSpec, create_goal
from studyflow.local_day import today_in
from studyflow.statuses import SuggestionStatus


async def accept(
    admission: Admission,
    suggestion: SubjectSuggestion,
    *,
    days: int,
    course_type: str,
    difficulty: str,
) -> tuple[CourseAdmitted, uuid.UUID]:
    """Makes the suggested course under the normal limits (over them: 429 and nothing is made)
    with a goal to finish it within `days`; returns the course and the goal's id."""
    if suggestion.status != SuggestionStatus.open:
        raise ServiceError(409, f"suggestion {suggestion.id} is already {suggestion.status}")
    today = admission.today
    due = today + timedelta(days=days - 1)  # today counts: within 1 day means by today
    goal_ids: list[uuid.UUID] = []

    async def goal_and_decision(course_id: uuid.UUID) -> None:
        spec = GoalSpec(kind="course_by_date", course_id=course_id, due_date=due)
        goal_ids.append((await create_goal(admission, spec, today)).id)
        suggestion.status, suggestion.course_id, suggestion.decided_at = (
            SuggestionStatus.accepted,
            course_id,
            func.now(),
        )
        # Acceptance counts on the day it was offered, which may be rolled up already.
        offered = today_in(admission.settings.day_timezone, suggestion.created_at)
        await mark_dirty(admission.session, suggestion.user_id, offered, today)

    request = CourseRequest(topic=suggestion.topic, course_type=course_type, difficulty=difficulty)
    admitted = await admit_course(admission, request, with_rows=goal_and_decision)
    return admitted, goal_ids[0]


async def dismiss(admission: Admission, suggestion: SubjectSuggestion) -> None:
    if suggestion.status == SuggestionStatus.accepted:
        raise ServiceError(409, f"suggestion {suggestion.id} was accepted; delete its course instead")
    suggestion.status, suggestion.decided_at = SuggestionStatus.dismissed, func.now()
    await admission.commit()
