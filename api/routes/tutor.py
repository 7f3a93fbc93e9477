"""The tutor's (and the admin's) workspace: their learners, what a learner is working on, the
context to read before a session, and the hand-offs sent to them."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, BackgroundTasks, Query, Request

from api.deps import ClockDep, CurrentUserDep, SessionDep, SettingsDep
from api.errors import ApiError
from api.openapi_errors import FORBIDDEN, NOT_FOUND
from api.schemas.organizations import (
    CourseMastery,
    HandoffList,
    LearnerContextView,
    TutorLearnerList,
    TutorLearnerView,
)
from api.views.handoffs import handoff_view
from services import handoffs, learner_context, tutor_workspace
from services.outbox import record_start
from services.policy import Action, LearnerData, authorize
from studyflow.local_day import today_in
from studyflow.statuses import HandoffStatus

router = APIRouter(prefix="/v1/tutor", tags=["tutor workspace"])


@router.get("/learners", response_model=TutorLearnerList, responses=FORBIDDEN)
async def my_learners(
    user: CurrentUserDep, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> TutorLearnerList:
    rows = await tutor_workspace.my_learners(session, user, today_in(settings.day_timezone, clock()))
    return TutorLearnerList(
        learners=[
            TutorLearnerView(**{**row.__dict__, "courses": [CourseMastery(**c) for c in row.courses]}) for row in rows
        ]
    )


@router.get("/learners/{learner_id}/context", response_model=LearnerContextView, responses={**NOT_FOUND, **FORBIDDEN})
async def learner_context_view(
    learner_id: uuid.UUID,
    request: Request,
    background: BackgroundTasks,
    user: CurrentUserDep,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> LearnerContextView:
    """Facts read now; the summary as last written by its workflow (never in this request). A
    stale or missing summary has its writer started after this answer."""
    await authorize(session, user, learner_id, LearnerData.mastery, Action.read, f"learner {learner_id}")
    org = user.organization_id
    if org is None:  # a learner reading their own in the personal space: no tutor, no context
        raise ApiError(403, "a learner's context is read by their tutors, within an organisation")
    today = today_in(settings.day_timezone, clock())
    facts = await learner_context.facts_of(session, org, learner_id, today=today, tz=settings.day_timezone)
    stored = await learner_context.stored(session, org, learner_id)
    if stored.stale:
        await learner_context.ensure_row(session, org, learner_id)
        record = await record_start(session, learner_context.context_start(settings, org, learner_id))
        await session.commit()
        background.add_task(request.app.state.workflow_starter.start, [record])
    return LearnerContextView(
        learner_id=learner_id,
        name=facts.name,
        summary=stored.summary,
        summary_by=stored.model,
        summary_written_at=stored.generated_at,
        stale=stored.stale,
        profile={
            "streak": facts.streak,
            "last_active": facts.last_active,
            "study_minutes": facts.study_minutes,
            "courses": facts.courses,
        },
        recent_sessions=facts.recent_sessions,
        current_challenges=facts.challenges,
        recommended_focus=facts.recommended_focus,
        strengths=facts.strengths,
        practice_history=facts.practice,
        open_assignments=facts.open_assignments,
        goals=facts.goals,
    )


@router.get("/handoffs", response_model=HandoffList, responses=FORBIDDEN)
async def handoff_inbox(
    user: CurrentUserDep,
    session: SessionDep,
    status: HandoffStatus | None = Query(default=None, description="only hand-offs in this status"),
) -> HandoffList:
    rows = await handoffs.inbox(session, user, status)
    return HandoffList(handoffs=[handoff_view(r.handoff, r.learner_name, r.tutor_name) for r in rows])
