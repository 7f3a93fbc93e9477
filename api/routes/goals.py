from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Query, Response
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import CurrentUser
from api.deps import ClockDep, CurrentUserDep, SessionDep, SettingsDep, TemporalDep
from api.errors import ApiError
from api.openapi_errors import CONFLICT, NOT_FOUND
from api.owned import owned_course, owned_goal
from api.schemas.goals import GoalCreate, GoalList, GoalProgressView, GoalUpdate, GoalView
from db.goal_completion import complete_reached_goals, mark_met, start_after_commit
from db.goal_measures import goal_rows, measures_of
from db.models import Goal
from studyflow.goal_progress import describe, progress
from studyflow.local_day import today_in
from studyflow.settings import Settings
from studyflow.statuses import GoalStatus

router = APIRouter(prefix="/v1/goals", tags=["goals"])


def goal_view(row: dict, today: date) -> GoalView:
    measures = measures_of(row)
    p = progress(measures, today)
    return GoalView(
        **{
            k: row[k]
            for k in (
                "id",
                "kind",
                "course_id",
                "course_topic",
                "days",
                "due_date",
                "start_date",
                "status",
                "met_at",
                "created_at",
            )
        },
        target=float(row["target"]),
        description=describe(measures),
        progress=GoalProgressView(current=p.current, target=p.target, percent=p.percent, state=p.state, pace=p.pace),
    )


async def load_goal_view(
    session: AsyncSession, settings: Settings, user_id: uuid.UUID, goal_id: uuid.UUID, today: date
) -> GoalView:
    [row] = await goal_rows(
        session, user_id, today, settings.day_timezone, statuses=tuple(s.value for s in GoalStatus), goal_id=goal_id
    )
    return goal_view(row, today)


def _today(settings: Settings, clock) -> date:
    return today_in(settings.day_timezone, clock())


def refuse_past_date(due: date | None, today: date) -> None:
    if due is not None and due < today:
        raise ApiError(422, f"due_date {due} is in the past (today is {today})")


async def create_goal(session: AsyncSession, user: CurrentUser, body, today: date) -> Goal:
    """Adds the goal to the session (the caller commits): 404 for a course that is not the
    learner's, 422 for a past date, 409 for a second active goal of the same kind and course."""
    if body.kind in ("course_by_date", "mastery"):
        await owned_course(session, body.course_id, user)
    refuse_past_date(getattr(body, "due_date", None), today)
    course_id = getattr(body, "course_id", None)
    duplicate = await session.scalar(
        select(Goal.id).where(
            Goal.user_id == user.id,
            Goal.kind == body.kind,
            Goal.status == GoalStatus.active,
            Goal.course_id == course_id if course_id else Goal.course_id.is_(None),
        )
    )
    if duplicate is not None:
        raise ApiError(409, f"an active {body.kind} goal{' for this course' if course_id else ''} exists: {duplicate}")
    goal = Goal(
        user_id=user.id,
        kind=body.kind,
        course_id=course_id,
        target=100 if body.kind == "course_by_date" else body.target,
        days=getattr(body, "days", None),
        due_date=getattr(body, "due_date", None),
        start_date=today,
    )
    session.add(goal)
    await session.flush()
    return goal


@router.post("", status_code=201, response_model=GoalView, responses={**NOT_FOUND, **CONFLICT})
async def add_goal(
    body: GoalCreate,
    user: CurrentUserDep,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    clock: ClockDep,
) -> GoalView:
    today = _today(settings, clock)
    goal = await create_goal(session, user, body, today)
    # A goal the learner has already reached (a finished course) is met as soon as it is set.
    starts = await complete_reached_goals(session, temporal, settings, user.id, today)
    await session.commit()
    await start_after_commit(session, temporal, starts)
    return await load_goal_view(session, settings, user.id, goal.id, today)


@router.get("", response_model=GoalList)
async def list_goals(
    user: CurrentUserDep,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    status: GoalStatus | None = Query(default=None, description="only goals in this status"),
) -> GoalList:
    today = _today(settings, clock)
    statuses = (status.value,) if status else tuple(s.value for s in GoalStatus)
    rows = await goal_rows(session, user.id, today, settings.day_timezone, statuses=statuses)
    return GoalList(goals=[goal_view(row, today) for row in rows])


@router.get("/{goal_id}", response_model=GoalView, responses=NOT_FOUND)
async def get_goal(
    goal_id: uuid.UUID, user: CurrentUserDep, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> GoalView:
    await owned_goal(session, goal_id, user)
    return await load_goal_view(session, settings, user.id, goal_id, _today(settings, clock))


@router.patch("/{goal_id}", response_model=GoalView, responses={**NOT_FOUND, **CONFLICT})
async def update_goal(
    goal_id: uuid.UUID,
    body: GoalUpdate,
    user: CurrentUserDep,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> GoalView:
    today = _today(settings, clock)
    goal = await owned_goal(session, goal_id, user, lock=True)
    if goal.status == GoalStatus.met:
        raise ApiError(409, f"goal {goal_id} is met; set a new goal instead")
    if body.due_date is not None:
        if goal.kind in ("daily_minutes", "daily_reviews"):
            raise ApiError(409, f"a {goal.kind} goal has no date: it counts days, not a deadline")
        refuse_past_date(body.due_date, today)
        goal.due_date = body.due_date
    if body.status is not None:
        goal.status = body.status
    await session.commit()
    return await load_goal_view(session, settings, user.id, goal_id, today)


@router.post("/{goal_id}/complete", response_model=GoalView, responses={**NOT_FOUND, **CONFLICT})
async def complete_goal(
    goal_id: uuid.UUID,
    user: CurrentUserDep,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    clock: ClockDep,
) -> GoalView:
    """The learner says the goal is met. Repeating it changes nothing (one suggestions run)."""
    goal = await owned_goal(session, goal_id, user, lock=True)
    if goal.status == GoalStatus.abandoned:
        raise ApiError(409, f"goal {goal_id} was abandoned; take it up again (PATCH status=active) first")
    starts = await mark_met(session, temporal, settings, user.id, [goal_id])
    await session.commit()
    await start_after_commit(session, temporal, starts)
    return await load_goal_view(session, settings, user.id, goal_id, _today(settings, clock))


@router.delete("/{goal_id}", status_code=204, response_class=Response, responses=NOT_FOUND)
async def delete_goal(goal_id: uuid.UUID, user: CurrentUserDep, session: SessionDep) -> Response:
    await owned_goal(session, goal_id, user)
    await session.execute(delete(Goal).where(Goal.id == goal_id, Goal.user_id == user.id))
    await session.commit()
    return Response(status_code=204)
