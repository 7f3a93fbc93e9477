"""A quiz attempt: graded on the server, stored once per idempotency key, counters and mastery
moved atomically, goals the attempt meets completed with it, and below the pass mark a
remediation plan admitted (written by the LLM, or from the quiz itself when the learner's
allowance for plans is used up)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.mastery import record_answer
from db.models import QuizAttempt, RemediationPlan, StudyContent
from db.user_counters import add_quiz_attempt, record_activity_day
from services import grading
from services.admission import Admission
from services.assignment_targets import complete_by_attempt
from services.errors import ServiceError
from services.goal_completion import complete_reached_goals
from services.learner_context import mark_stale
from services.llm_allowance import Allowance, LlmWork
from services.outbox import StartRequest
from studyflow import search_attributes, start_inputs, workflow_ids, workflow_types
from studyflow.content_rules.grading import UnknownQuestionsError, WrongAnswerTypeError, grade
from studyflow.contracts.workflow_inputs import RemediationInput
from studyflow.statuses import AttemptGrading, GenerationStatus, SubjectKind


@dataclass(frozen=True)
class AttemptOutcome:
    attempt: QuizAttempt
    plan_id: uuid.UUID | None


async def submit_attempt(
    admission: Admission,
    quiz: StudyContent,
    answers: dict[str, int | str],
    duration_seconds: int,
    idempotency_key: str | None,
) -> AttemptOutcome:
    session, actor, settings = admission.session, admission.actor, admission.settings
    if idempotency_key and (previous := await _by_key(session, actor.id, idempotency_key)):
        return await _replay(session, previous, quiz.id)
    if quiz.status != GenerationStatus.completed:
        raise ServiceError(409, f"quiz {quiz.id} is {quiz.status}; it can be attempted once generated")
    bad = [qid for qid, index in answers.items() if isinstance(index, int) and not 0 <= index <= 3]
    if bad:
        raise ServiceError(422, f"answers must be option indexes 0-3 (question ids: {', '.join(sorted(bad))})")
    questions = (quiz.payload or {}).get("questions", [])
    try:
        graded = grade(questions, answers)
    except (UnknownQuestionsError, WrongAnswerTypeError) as exc:
        raise ServiceError(422, str(exc)) from exc
    await admission.allow_llm(LlmWork.attempt, per=quiz.id)

    attempt_id = await session.scalar(
        insert(QuizAttempt)
        .values(
            user_id=actor.id,
            study_content_id=quiz.id,
            course_id=quiz.course_id,
            idempotency_key=idempotency_key,
            answers=answers,
            score=graded.score,
            total=graded.total,
            percentage=graded.percentage,
            duration_seconds=duration_seconds,
            weak_topics=graded.weak_topic_ids,
            feedback=graded.feedback,
            grading_status=AttemptGrading.grading if graded.short_answers else AttemptGrading.graded,
        )
        .on_conflict_do_nothing(index_elements=["user_id", "idempotency_key"])
        .returning(QuizAttempt.id)
    )
    if attempt_id is None:  # a concurrent retry with the same key got there first
        await admission.rollback()
        previous = await _by_key(session, actor.id, idempotency_key) if idempotency_key else None
        if previous is None:
            raise RuntimeError(f"an attempt on quiz {quiz.id} conflicted on a key no attempt holds")
        return await _replay(session, previous, quiz.id)

    await add_quiz_attempt(session, actor.id, questions=graded.total, correct=graded.score, seconds=duration_seconds)
    await record_activity_day(session, actor.id, admission.today)
    for item in graded.feedback:
        if item["topic_id"]:
            await record_answer(
                session, actor.id, uuid.UUID(item["topic_id"]), item["correct"], settings.analytics_mastery_threshold
            )
    # Minutes and mastery changed: goals they meet are completed with the attempt, assignments of
    # this quiz are done, and the learner's tutors' context of them is due to be written again.
    admission.adopt(await complete_reached_goals(session, settings, actor, admission.today))
    await complete_by_attempt(session, actor.id, quiz, graded.percentage)
    admission.adopt(await mark_stale(session, settings, actor.id))
    if graded.short_answers:
        # Free-text answers are graded by a workflow; their mastery moves when each grade is final.
        await grading.admit_grading(admission, attempt_id, quiz, graded.short_answers)
    plan_id: uuid.UUID | None = None
    # The pass mark is judged at submit on what is graded at submit (the multiple-choice part).
    if graded.choice_percentage < settings.quiz_pass_threshold_pct and graded.weak_topic_ids:
        allowance = await admission.allow_llm(LlmWork.remediation)
        plan_id = (
            await session.execute(
                insert(RemediationPlan)
                .values(
                    quiz_attempt_id=attempt_id,
                    user_id=actor.id,
                    course_id=quiz.course_id,
                    status=GenerationStatus.generating,
                    engine="llm" if allowance == Allowance.llm else "template",
                )
                .returning(RemediationPlan.id)
            )
        ).scalar_one()
        await admission.record(
            StartRequest(
                workflow_type=workflow_types.REMEDIATION,
                argument=RemediationInput(plan_id=plan_id, retry=start_inputs.llm_retry(settings)),
                workflow_id=workflow_ids.remediation(attempt_id),
                task_queue=settings.task_queue_interactive,
                search_attributes=search_attributes.for_course(actor.id, quiz.course_id),
                subject_kind=SubjectKind.remediation,
                subject_id=plan_id,
            )
        )
    await admission.commit()
    return AttemptOutcome(await session.get_one(QuizAttempt, attempt_id), plan_id)


async def _by_key(session: AsyncSession, user_id: uuid.UUID, key: str) -> QuizAttempt | None:
    return await session.scalar(
        select(QuizAttempt).where(QuizAttempt.user_id == user_id, QuizAttempt.idempotency_key == key)
    )


async def _replay(session: AsyncSession, attempt: QuizAttempt, quiz_id: uuid.UUID) -> AttemptOutcome:
    if attempt.study_content_id != quiz_id:
        raise ServiceError(422, "Idempotency-Key was already used for an attempt on another quiz")
    plan_id = await session.scalar(select(RemediationPlan.id).where(RemediationPlan.quiz_attempt_id == attempt.id))
    return AttemptOutcome(attempt, plan_id)


def check_answer(quiz: StudyContent, question_id: str, selected_index: int) -> dict:
    """One question's feedback, for the quiz's feedback mode and for practising missed questions:
    the learner asked to see the answer, so nothing is recorded (an attempt is)."""
    if quiz.status != GenerationStatus.completed:
        raise ServiceError(409, f"quiz {quiz.id} is {quiz.status}; it can be answered once generated")
    question = next((q for q in (quiz.payload or {}).get("questions", []) if q["id"] == question_id), None)
    if question is None:
        raise ServiceError(422, f"unknown question ids: {question_id}")
    return grade([question], {question_id: selected_index}).feedback[0]
