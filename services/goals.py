"""Goals: set, changed and completed by the learner, under the rules a learner would expect (a
course of theirs, no date in the past, one active goal of a kind per course)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from db.models import Goal
from services.admission import Admission
from services.errors import ServiceError
from services.goal_completion import complete_reached_goals, mark_met
from services.llm_allowance import LlmWork
from services.owned import owned_course
from studyflow.statuses import GoalStatus


@dataclass(frozen=True)
class GoalSpec:
    kind: str  # course_by_date | mastery | daily_minutes | daily_reviews
    course_id: uuid.UUID | None = None
    target: float | None = None  # a course goal's target is its whole course
    days: int | None = None
    due_date: date | None = None


def refuse_past_date(due: date | None, today: date) -> None:
    if due is not None and due < today:
        raise ServiceError(422, f"due_date {due} is in the past (today is {today})")


async def create_goal(admission: Admission, spec: GoalSpec, today: date) -> Goal:
    """Adds the goal to the transaction (the caller commits): 404 for a course that is not the
    learner's, 422 for a past date, 409 for a second active goal of the same kind and course."""
    session, actor = admission.session, admission.actor
    if spec.kind in ("course_by_date", "mastery"):
        if spec.course_id is None:
            raise ServiceError(422, f"a {spec.kind} goal needs a course_id")
        await owned_course(session, spec.course_id, actor)
    refuse_past_date(spec.due_date, today)
    course_id = spec.course_id
    duplicate = await session.scalar(
        select(Goal.id).where(
            Goal.user_id == actor.id,
            Goal.kind == spec.kind,
            Goal.status == GoalStatus.active,
            Goal.course_id == course_id if course_id else Goal.course_id.is_(None),
        )
    )
    if duplicate is not None:
        raise ServiceError(
            409, f"an active {spec.kind} goal{' for this course' if course_id else ''} exists: {duplicate}"
        )
    goal = Goal(
        user_id=actor.id,
        kind=spec.kind,
        course_id=course_id,
        target=100 if spec.kind == "course_by_date" else spec.target,
        days=spec.days,
        due_date=spec.due_date,
        start_date=today,
    )
    session.add(goal)
    await session.flush()
    return goal


async def add_goal(admission: Admission, spec: GoalSpec, today: date) -> Goal:
    await admission.allow_llm(LlmWork.goal)
    goal = await create_goal(admission, spec, today)
    # A goal the learner has already reached (a finished course) is met as soon as it is set.
    admission.adopt(await complete_reached_goals(admission.session, admission.settings, admission.actor, today))
    await admission.commit()
    return goal


async def complete_goal(admission: Admission, goal: Goal) -> None:
    """The learner says the goal is met. Repeating it changes nothing (one suggestions run)."""
    if goal.status == GoalStatus.abandoned:
        raise ServiceError(409, f"goal {goal.id} was abandoned; take it up again (PATCH status=active) first")
    admission.adopt(await mark_met(admission.session, admission.settings, admission.actor, [goal.id]))
    await admission.commit()
