"""Free-text answers of a quiz attempt (SPEC §14): admitted with the attempt (a grade row per
answer and GradingWorkflow recorded in the outbox, in the attempt's transaction), read back by
the learner, and reviewed by the reviewer assigned to each uncertain one — the review reaches
the waiting workflow as an Update, so the workflow stays the one writer of the final grade."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from db.models import GradingReview, StudyContent, User
from services.actor import Actor
from services.admission import Admission
from services.errors import ServiceError
from services.llm_allowance import Allowance, LlmWork
from services.outbox import StartRequest
from studyflow import search_attributes, start_inputs, workflow_ids, workflow_types
from studyflow.contracts.grading_io import ReviewInput, ReviewResult
from studyflow.contracts.workflow_inputs import GradingInput
from studyflow.free_text.rubric import grade_problems, rubric_of
from studyflow.statuses import ReviewStatus, SubjectKind


async def admit_grading(
    admission: Admission, attempt_id: uuid.UUID, quiz: StudyContent, answers: dict[str, str]
) -> None:
    session, settings, actor = admission.session, admission.settings, admission.actor
    items = {q["id"]: q for q in (quiz.payload or {}).get("questions", [])}
    for item_id, text in answers.items():
        item = items[item_id]
        await session.execute(
            insert(GradingReview)
            .values(
                attempt_id=attempt_id,
                item_id=item_id,
                learner_id=actor.id,
                topic_id=uuid.UUID(item["topic_id"]) if item.get("topic_id") else None,
                item={k: item.get(k) for k in ("question", "model_answer", "rubric", "topic_title")},
                answer=text,
            )
            .on_conflict_do_nothing(index_elements=["attempt_id", "item_id"])
        )
    # Over the learner's limit or budget the embedded grader grades alone; the bundled model is
    # no marker (bench/grading_bench.py), so with it the embedded grader does too.
    allowance = await admission.allow_llm(LlmWork.grading)
    llm = allowance == Allowance.llm and not settings.uses_bundled_model
    await admission.record(
        StartRequest(
            workflow_type=workflow_types.GRADING,
            argument=GradingInput(
                attempt_id=attempt_id,
                retry=start_inputs.llm_retry(settings),
                llm_allowed=llm,
                embedded_threshold=settings.grading_confidence_threshold,
                llm_threshold=settings.grading_llm_confidence_threshold,
                review_timeout_seconds=settings.grading_review_timeout_hours * 3600,
            ),
            workflow_id=workflow_ids.grading(attempt_id),
            task_queue=settings.task_queue_interactive,
            search_attributes=search_attributes.for_course(actor.id, quiz.course_id),
            subject_kind=SubjectKind.grading,
            subject_id=attempt_id,
        )
    )


async def attempt_grades(session: AsyncSession, attempt_id: uuid.UUID) -> list[GradingReview]:
    return list(
        (
            await session.scalars(
                select(GradingReview).where(GradingReview.attempt_id == attempt_id).order_by(GradingReview.item_id)
            )
        ).all()
    )


@dataclass(frozen=True)
class QueueEntry:
    review: GradingReview
    learner_name: str


async def review_queue(session: AsyncSession, actor: Actor, limit: int = 50) -> list[QueueEntry]:
    """The tasks waiting for this reviewer, oldest first."""
    rows = await session.execute(
        select(GradingReview, User.email, User.clerk_id)
        .join(User, User.id == GradingReview.learner_id)
        .where(GradingReview.reviewer_id == actor.id, GradingReview.status == ReviewStatus.pending_review)
        .order_by(GradingReview.routed_at, GradingReview.id)
        .limit(limit)
    )
    return [QueueEntry(review, email or clerk_id) for review, email, clerk_id in rows]


async def assigned_review(session: AsyncSession, actor: Actor, review_id: uuid.UUID) -> GradingReview:
    """A task only its assigned reviewer can see: anyone else gets 404, as for another's data."""
    review = await session.get(GradingReview, review_id)
    if review is None or review.reviewer_id != actor.id:
        raise ServiceError(404, f"review {review_id} not found")
    return review


async def submit_review(
    session: AsyncSession, client: Client, actor: Actor, review_id: uuid.UUID, scores: dict[str, float]
) -> ReviewResult:
    review = await assigned_review(session, actor, review_id)
    if review.status != ReviewStatus.pending_review:
        raise ServiceError(409, f"review {review_id} is already {review.outcome or review.status}: its grade is final")
    if problems := grade_problems(rubric_of(review.item), scores):
        raise ServiceError(422, "; ".join(problems))
    attempt_id, item_id = review.attempt_id, review.item_id
    # No transaction is held while the workflow records the grade.
    await session.rollback()
    handle = client.get_workflow_handle(workflow_ids.grading(attempt_id))
    try:
        return await handle.execute_update(
            workflow_types.GRADING_REVIEW_UPDATE,
            ReviewInput(item_id=item_id, reviewer_id=actor.id, scores=scores),
            result_type=ReviewResult,
        )
    except WorkflowUpdateFailedError as exc:
        raise ServiceError(409, f"the grade was not accepted: {exc.cause or exc}") from exc
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise ServiceError(409, "the review window has closed: the automatic grade stands") from exc
        raise
