from __future__ import annotations

import uuid

from fastapi import APIRouter, Header

from api.deps import AdmissionDep
from api.openapi_errors import CONFLICT, RATE_LIMITED
from api.schemas.attempts import AnswerCheck, AttemptCreate, AttemptResult, QuestionFeedback
from api.schemas.study_content import StudyContentType
from services import attempts
from services.owned import owned_study_content
from services.policy import Action

router = APIRouter(prefix="/v1/quizzes", tags=["quiz attempts"])


@router.post(
    "/{quiz_id}/attempts", response_model=AttemptResult, status_code=201, responses={**CONFLICT, **RATE_LIMITED}
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
    attempt = outcome.attempt
    return AttemptResult(
        attempt_id=attempt.id,
        quiz_id=attempt.study_content_id,
        score=attempt.score,
        total=attempt.total,
        percentage=float(attempt.percentage),
        passed=float(attempt.percentage) >= admission.settings.quiz_pass_threshold_pct,
        feedback=attempt.feedback,
        weak_topic_ids=attempt.weak_topics,
        remediation_plan_id=outcome.plan_id,
        created_at=attempt.created_at,
    )


@router.post("/{quiz_id}/check", response_model=QuestionFeedback, responses=CONFLICT)
async def check_answer(quiz_id: uuid.UUID, body: AnswerCheck, admission: AdmissionDep) -> QuestionFeedback:
    """Whether one answer is right, with the explanation: the quiz's question-by-question feedback
    mode and practising missed questions. Records nothing; the attempt is what counts."""
    quiz = await owned_study_content(admission.session, quiz_id, admission.actor, kind=StudyContentType.quiz)
    return QuestionFeedback.model_validate(attempts.check_answer(quiz, body.question_id, body.selected_index))
