from __future__ import annotations

import uuid

from fastapi import APIRouter, Header
from sqlalchemy import select

from api.deps import AdmissionDep, CurrentUserDep, SessionDep, SettingsDep
from api.errors import ApiError
from api.grading_views import learner_feedback
from api.openapi_errors import CONFLICT, NOT_FOUND, RATE_LIMITED
from api.schemas.attempts import AnswerCheck, AttemptCreate, AttemptResult, QuestionFeedback
from api.schemas.study_content import StudyContentType
from db.models import QuizAttempt, RemediationPlan
from services import attempts, grading
from services.owned import owned_study_content
from services.policy import Action, LearnerData, authorize

router = APIRouter(prefix="/v1", tags=["quiz attempts"])


async def _result(session, attempt: QuizAttempt, plan_id: uuid.UUID | None, pass_pct: float) -> AttemptResult:
    grades = await grading.attempt_grades(session, attempt.id)
    return AttemptResult(
        attempt_id=attempt.id,
        quiz_id=attempt.study_content_id,
        score=attempt.score,
        total=attempt.total,
        percentage=float(attempt.percentage),
        passed=float(attempt.percentage) >= pass_pct,
        feedback=attempt.feedback,
        weak_topic_ids=attempt.weak_topics,
        remediation_plan_id=plan_id,
        created_at=attempt.created_at,
        grading_status=attempt.grading_status,
        short_answers=[learner_feedback(review) for review in grades],
    )


@router.post(
    "/quizzes/{quiz_id}/attempts",
    response_model=AttemptResult,
    status_code=201,
    responses={**CONFLICT, **RATE_LIMITED},
)
async def submit_attempt(
    *,
    quiz_id: uuid.UUID,
    body: AttemptCreate,
    idempotency_key: str | None = Header(default=None, max_length=200),
    admission: AdmissionDep,
) -> AttemptResult:
    quiz = await owned_study_content(
        admission.session, quiz_id, admission.actor, kind=StudyContentType.quiz, action=Action.study
    )
    outcome = await attempts.submit_attempt(admission, quiz, body.answers, body.duration_seconds, idempotency_key)
    return await _result(
        admission.session, outcome.attempt, outcome.plan_id, admission.settings.quiz_pass_threshold_pct
    )


@router.post("/quizzes/{quiz_id}/check", response_model=QuestionFeedback, responses=CONFLICT)
async def check_answer(quiz_id: uuid.UUID, body: AnswerCheck, admission: AdmissionDep) -> QuestionFeedback:
    """Whether one answer is right, with the explanation: the quiz's question-by-question feedback
    mode and practising missed questions. Records nothing; the attempt is what counts."""
    quiz = await owned_study_content(
        admission.session, quiz_id, admission.actor, kind=StudyContentType.quiz, action=Action.study
    )
    return QuestionFeedback.model_validate(attempts.check_answer(quiz, body.question_id, body.selected_index))


@router.get("/attempts/{attempt_id}", response_model=AttemptResult, responses={**NOT_FOUND})
async def get_attempt(
    attempt_id: uuid.UUID, user: CurrentUserDep, session: SessionDep, settings: SettingsDep
) -> AttemptResult:
    """An attempt with its grades: poll it while `grading_status` is `grading` (free-text answers
    are graded by a workflow, and an uncertain one waits for the tutor)."""
    attempt = await session.get(QuizAttempt, attempt_id)
    if attempt is None:
        raise ApiError(404, f"attempt {attempt_id} not found")
    # The learner's, and readable by their linked tutor and their organisation's admins.
    await authorize(session, user, attempt.user_id, LearnerData.attempt, Action.read, f"attempt {attempt_id}")
    plan_id = await session.scalar(select(RemediationPlan.id).where(RemediationPlan.quiz_attempt_id == attempt.id))
    return await _result(session, attempt, plan_id, settings.quiz_pass_threshold_pct)
