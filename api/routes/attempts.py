from __future__ import annotations

import uuid

from fastapi import APIRouter, Header
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import CurrentUserDep, SessionDep, SettingsDep, TemporalDep
from api.errors import ApiError
from api.openapi_errors import CONFLICT
from api.owned import owned_study_content
from api.schemas.attempts import AttemptCreate, AttemptResult
from api.schemas.study_content import StudyContentType
from api.workflow_launch import WorkflowNotStarted, launch
from db.goal_completion import complete_reached_goals, start_after_commit
from db.mastery import record_answer
from db.models import QuizAttempt, RemediationPlan
from db.user_counters import add_quiz_attempt, record_activity_day
from studyflow import search_attributes, start_inputs, workflow_ids
from studyflow.content_rules.grading import UnknownQuestionsError, grade
from studyflow.contracts.workflow_inputs import RemediationInput
from studyflow.local_day import today_in
from studyflow.settings import Settings
from studyflow.statuses import GenerationStatus
from studyflow.workflow_outbox import discard_start, record_start
from workflows.remediation import RemediationWorkflow

router = APIRouter(prefix="/v1/quizzes", tags=["quiz attempts"])


@router.post("/{quiz_id}/attempts", response_model=AttemptResult, status_code=201, responses=CONFLICT)
async def submit_attempt(
    *,
    quiz_id: uuid.UUID,
    body: AttemptCreate,
    idempotency_key: str | None = Header(default=None, max_length=200),
    user: CurrentUserDep,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
) -> AttemptResult:
    quiz = await owned_study_content(session, quiz_id, user, kind=StudyContentType.quiz)
    if idempotency_key and (previous := await _by_key(session, user.id, idempotency_key)):
        return await _replay(session, previous, quiz_id, settings)
    if quiz.status != GenerationStatus.completed:
        raise ApiError(409, f"quiz {quiz_id} is {quiz.status}; it can be attempted once generated")
    bad = [qid for qid, index in body.answers.items() if not 0 <= index <= 3]
    if bad:
        raise ApiError(422, f"answers must be option indexes 0-3 (question ids: {', '.join(sorted(bad))})")
    questions = (quiz.payload or {}).get("questions", [])
    try:
        graded = grade(questions, body.answers)
    except UnknownQuestionsError as exc:
        raise ApiError(422, str(exc)) from exc

    attempt_id = await session.scalar(
        insert(QuizAttempt)
        .values(
            user_id=user.id,
            study_content_id=quiz.id,
            course_id=quiz.course_id,
            idempotency_key=idempotency_key,
            answers=body.answers,
            score=graded.score,
            total=graded.total,
            percentage=graded.percentage,
            duration_seconds=body.duration_seconds,
            weak_topics=graded.weak_topic_ids,
            feedback=graded.feedback,
        )
        .on_conflict_do_nothing(index_elements=["user_id", "idempotency_key"])
        .returning(QuizAttempt.id)
    )
    if attempt_id is None:  # a concurrent retry with the same key got there first
        await session.rollback()
        return await _replay(session, await _by_key(session, user.id, idempotency_key), quiz_id, settings)

    await add_quiz_attempt(
        session, user.id, questions=graded.total, correct=graded.score, seconds=body.duration_seconds
    )
    today = today_in(settings.day_timezone)
    await record_activity_day(session, user.id, today)
    for item in graded.feedback:
        if item["topic_id"]:
            await record_answer(session, user.id, uuid.UUID(item["topic_id"]), item["correct"])
    # Minutes and mastery changed: goals they meet are completed with the attempt.
    goal_starts = await complete_reached_goals(session, temporal, settings, user.id, today)
    plan_id = None
    record = None
    if graded.percentage < settings.quiz_pass_threshold_pct and graded.weak_topic_ids:
        plan_id = await session.scalar(
            insert(RemediationPlan)
            .values(
                quiz_attempt_id=attempt_id,
                user_id=user.id,
                course_id=quiz.course_id,
                status=GenerationStatus.generating,
            )
            .returning(RemediationPlan.id)
        )
        record = await record_start(
            session,
            temporal,
            RemediationWorkflow,
            RemediationInput(plan_id=plan_id, retry=start_inputs.llm_retry(settings)),
            id=workflow_ids.remediation(attempt_id),
            task_queue=settings.task_queue_interactive,
            search_attributes=search_attributes.for_course(user.id, quiz.course_id),
        )
    await session.commit()
    await start_after_commit(session, temporal, goal_starts)
    if record is not None:
        await _start_remediation(session, temporal, settings, record, plan_id)
    attempt = await session.get(QuizAttempt, attempt_id)
    return _result(attempt, plan_id, settings)


async def _start_remediation(session, temporal, settings, record, plan_id) -> None:
    try:
        await launch(session, temporal, settings, record)
    except WorkflowNotStarted:
        # The graded attempt stands; the plan is marked so the learner sees why it is missing.
        await session.execute(
            update(RemediationPlan)
            .where(RemediationPlan.id == plan_id)
            .values(status=GenerationStatus.failed, error="could not start remediation; workflow service unavailable")
        )
        await discard_start(session, record.workflow_id)
        await session.commit()


async def _by_key(session: AsyncSession, user_id: uuid.UUID, key: str) -> QuizAttempt | None:
    return await session.scalar(
        select(QuizAttempt).where(QuizAttempt.user_id == user_id, QuizAttempt.idempotency_key == key)
    )


async def _replay(session: AsyncSession, attempt: QuizAttempt, quiz_id: uuid.UUID, settings: Settings) -> AttemptResult:
    if attempt.study_content_id != quiz_id:
        raise ApiError(422, "Idempotency-Key was already used for an attempt on another quiz")
    plan_id = await session.scalar(select(RemediationPlan.id).where(RemediationPlan.quiz_attempt_id == attempt.id))
    return _result(attempt, plan_id, settings)


def _result(attempt: QuizAttempt, plan_id: uuid.UUID | None, settings: Settings) -> AttemptResult:
    return AttemptResult(
        attempt_id=attempt.id,
        quiz_id=attempt.study_content_id,
        score=attempt.score,
        total=attempt.total,
        percentage=float(attempt.percentage),
        passed=float(attempt.percentage) >= settings.quiz_pass_threshold_pct,
        feedback=attempt.feedback,
        weak_topic_ids=attempt.weak_topics,
        remediation_plan_id=plan_id,
        created_at=attempt.created_at,
    )
