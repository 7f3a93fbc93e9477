from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Query, Response
from sqlalchemy import delete

from api.deps import AdmissionDep, ClockDep, CurrentUserDep, SessionDep, SettingsDep
from api.errors import ApiError
from api.openapi_errors import CONFLICT, NOT_FOUND, RATE_LIMITED
from api.schemas.goals import GoalCreate, GoalList, GoalUpdate, GoalView
from api.views.goals import goal_view, load_goal_view
from db.analytics.dirty import mark_dirty
from db.analytics.org_days import goal_end_day
from db.goal_measures import goal_rows
from db.models import Goal
from services import goals
from services.owned import owned_goal
from services.policy import Action
from studyflow.local_day import today_in
from studyflow.settings import Settings
from studyflow.statuses import GoalStatus

router = APIRouter(prefix="/v1/goals", tags=["goals"])


def _today(settings: Settings, clock) -> date:
    return today_in(settings.day_timezone, clock())


@router.post("", status_code=201, response_model=GoalView, responses={**NOT_FOUND, **CONFLICT, **RATE_LIMITED})
async def add_goal(body: GoalCreate, admission: AdmissionDep, clock: ClockDep) -> GoalView:
    today = _today(admission.settings, clock)
    spec = goals.GoalSpec(
        kind=body.kind,
        course_id=getattr(body, "course_id", None),
        target=getattr(body, "target", None),
        days=getattr(body, "days", None),
        due_date=getattr(body, "due_date", None),
    )
    goal = await goals.add_goal(admission, spec, today)
    return await load_goal_view(admission.session, admission.settings, admission.actor.id, goal.id, today)


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
    goal = await owned_goal(session, goal_id, user, action=Action.read)
    return await load_goal_view(session, settings, goal.user_id, goal_id, _today(settings, clock))


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
        goals.refuse_past_date(body.due_date, today)
        await mark_dirty(session, goal.user_id, goal_end_day(goal), today)
        goal.due_date = body.due_date
    if body.status is not None:
        goal.status = body.status
    await session.commit()
    return await load_goal_view(session, settings, user.id, goal_id, today)


@router.post("/{goal_id}/complete", response_model=GoalView, responses={**NOT_FOUND, **CONFLICT, **RATE_LIMITED})
async def complete_goal(goal_id: uuid.UUID, admission: AdmissionDep, clock: ClockDep) -> GoalView:
    """The learner says the goal is met. Repeating it changes nothing (one suggestions run)."""
    await goals.complete_goal(admission, await owned_goal(admission.session, goal_id, admission.actor, lock=True))
    today = _today(admission.settings, clock)
    return await load_goal_view(admission.session, admission.settings, admission.actor.id, goal_id, today)


@router.delete("/{goal_id}", status_code=204, response_class=Response, responses=NOT_FOUND)
async def delete_goal(
    goal_id: uuid.UUID, user: CurrentUserDep, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> Response:
    goal = await owned_goal(session, goal_id, user)
    await mark_dirty(session, goal.user_id, goal_end_day(goal), _today(settings, clock))
    await session.execute(delete(Goal).where(Goal.id == goal_id, Goal.user_id == user.id))
    await session.commit()
    return Response(status_code=204)
