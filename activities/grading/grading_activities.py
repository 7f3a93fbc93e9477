"""Activities of GradingWorkflow. Every write is guarded by the grade's status (grading →
pending_review → final), so a retried activity, a late review and the timeout can never make a
grade final twice, and mastery — moved in the transaction that makes a grade final — moves once."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.embedders import Embedder
from activities.errors import SubjectGoneError
from activities.grading.llm_grader import llm_grade
from activities.grading.proposals import from_embedded, from_llm
from activities.llm.errors import LlmRequestRejectedError, LlmUnavailableError
from activities.llm.gateway import LlmGateway
from db.mastery import record_answer
from db.models import GradingLabel, GradingReview, QuizAttempt, User
from services.reviewers import reviewer_for
from studyflow.contracts.grading_io import AttemptRef, GradeAttemptInput, RecordReviewInput, ReviewResult, Routed
from studyflow.free_text import embedded_grader
from studyflow.free_text.embedded_grader import Item
from studyflow.free_text.rubric import rubric_of, total
from studyflow.settings import Settings
from studyflow.statuses import AttemptGrading, GradeOutcome, ReviewStatus

# A grade counts as a right answer for mastery (Bayesian Knowledge Tracing is binary) at half marks.
MASTERY_CREDIT = 0.5


async def finalize(
    session: AsyncSession,
    review_id: uuid.UUID,
    *,
    from_status: ReviewStatus,
    scores: dict[str, float],
    outcome: GradeOutcome,
    rubric,
    mastery_threshold: float,
) -> bool:
    """Makes one grade final and moves mastery, once: False when it was not in `from_status`.
    `mastery_threshold` is the level analytics count as mastered (a crossing is recorded)."""
    final_total = round(total(rubric, scores), 4)
    done = (
        await session.execute(
            update(GradingReview)
            .where(GradingReview.id == review_id, GradingReview.status == from_status)
            .values(
                status=ReviewStatus.final,
                outcome=outcome,
                final={"scores": scores, "total": final_total},
                finalized_at=func.now(),
            )
            .returning(GradingReview.learner_id, GradingReview.topic_id)
        )
    ).first()
    if done and done.topic_id:
        await record_answer(session, done.learner_id, done.topic_id, final_total >= MASTERY_CREDIT, mastery_threshold)
    return done is not None


class GradingActivities:
    def __init__(
        self, settings: Settings, sessions: async_sessionmaker[AsyncSession], llm: LlmGateway, embedder: Embedder
    ):
        self._settings = settings
        self._sessions = sessions
        self._llm = llm
        self._embedder = embedder

    async def _propose(self, review: GradingReview, data: GradeAttemptInput) -> tuple[dict, float]:
        """The automatic grade of one answer and the threshold it is judged against."""
        item = Item(review.item["question"], review.item.get("model_answer") or "", rubric_of(review.item))
        vectors = await self._embedder.embed(embedded_grader.texts_to_embed(item, review.answer))
        embedded = embedded_grader.grade(item, review.answer, vectors)
        if not data.llm_allowed:
            return from_embedded(embedded), data.embedded_threshold
        try:
            graded = await llm_grade(
                self._llm,
                question=item.question,
                rubric=item.rubric,
                answer=review.answer,
                embedded_scores=embedded.scores,
                embedded_confidence=embedded.confidence,
                idempotency_key=f"grading:{review.attempt_id}:{review.item_id}",
                subject_id=str(review.attempt_id),
                user_id=review.learner_id,
            )
        except (LlmUnavailableError, LlmRequestRejectedError):
            # The model is down past its retries: the embedded grade, judged as such.
            return from_embedded(embedded), data.embedded_threshold
        return from_llm(graded, graded.model), data.llm_threshold

    @activity.defn
    async def grade_and_route(self, data: GradeAttemptInput) -> Routed:
        async with self._sessions() as session:
            if await session.get(QuizAttempt, data.attempt_id) is None:
                raise SubjectGoneError(f"attempt {data.attempt_id} no longer exists")
            waiting = (
                await session.scalars(
                    select(GradingReview).where(
                        GradingReview.attempt_id == data.attempt_id, GradingReview.status == ReviewStatus.grading
                    )
                )
            ).all()
        proposals = [(review, *await self._propose(review, data)) for review in waiting]
        async with self._sessions.begin() as session:
            reviewer = await reviewer_for(session, waiting[0].learner_id) if waiting else None
            for review, proposal, threshold in proposals:
                if proposal["confidence"] >= threshold or reviewer is None:
                    outcome = GradeOutcome.auto if proposal["confidence"] >= threshold else GradeOutcome.no_reviewer
                    await self._propose_values(session, review.id, proposal)
                    await finalize(
                        session,
                        review.id,
                        from_status=ReviewStatus.grading,
                        scores=proposal["scores"],
                        outcome=outcome,
                        rubric=rubric_of(review.item),
                        mastery_threshold=self._settings.analytics_mastery_threshold,
                    )
                else:
                    await session.execute(
                        update(GradingReview)
                        .where(GradingReview.id == review.id, GradingReview.status == ReviewStatus.grading)
                        .values(
                            status=ReviewStatus.pending_review,
                            reviewer_id=reviewer,
                            routed_at=func.now(),
                            **self._proposal_columns(proposal),
                        )
                    )
            pending = (
                await session.scalars(
                    select(GradingReview.item_id)
                    .where(
                        GradingReview.attempt_id == data.attempt_id,
                        GradingReview.status == ReviewStatus.pending_review,
                    )
                    .order_by(GradingReview.item_id)
                )
            ).all()
        return Routed(pending=list(pending))

    @staticmethod
    def _proposal_columns(proposal: dict) -> dict:
        return {"proposal": proposal, "confidence": proposal["confidence"], "grader": proposal["grader"]}

    async def _propose_values(self, session: AsyncSession, review_id: uuid.UUID, proposal: dict) -> None:
        await session.execute(
            update(GradingReview)
            .where(GradingReview.id == review_id, GradingReview.status == ReviewStatus.grading)
            .values(**self._proposal_columns(proposal))
        )

    @activity.defn
    async def record_review(self, data: RecordReviewInput) -> ReviewResult:
        """The reviewer's grade becomes final (once) and is kept as a label."""
        async with self._sessions.begin() as session:
            review = await session.scalar(
                select(GradingReview).where(
                    GradingReview.attempt_id == data.attempt_id, GradingReview.item_id == data.item_id
                )
            )
            if review is None:
                raise SubjectGoneError(f"attempt {data.attempt_id} has no item {data.item_id}")
            scores = {k: float(v) for k, v in data.scores.items()}
            if await finalize(
                session,
                review.id,
                from_status=ReviewStatus.pending_review,
                scores=scores,
                outcome=GradeOutcome.reviewed,
                rubric=rubric_of(review.item),
                mastery_threshold=self._settings.analytics_mastery_threshold,
            ):
                await session.execute(
                    insert(GradingLabel)
                    .values(
                        review_id=review.id,
                        labelled_by=data.reviewer_id,
                        question=review.item["question"],
                        rubric=review.item["rubric"],
                        answer=review.answer,
                        scores=scores,
                        proposal_scores=(review.proposal or {}).get("scores"),
                    )
                    .on_conflict_do_nothing(index_elements=["review_id"])
                )
            await session.refresh(review)
        final = review.final or {}
        return ReviewResult(
            item_id=review.item_id,
            outcome=review.outcome or review.status,
            total=float(final.get("total", 0.0)),
            scores=final.get("scores", {}),
        )

    @activity.defn
    async def finalize_unreviewed(self, ref: AttemptRef) -> int:
        """The review window closed: each grade still waiting stands as proposed, marked not reviewed."""
        async with self._sessions.begin() as session:
            waiting = (
                await session.scalars(
                    select(GradingReview).where(
                        GradingReview.attempt_id == ref.attempt_id,
                        GradingReview.status == ReviewStatus.pending_review,
                    )
                )
            ).all()
            done = 0
            for review in waiting:
                done += await finalize(
                    session,
                    review.id,
                    from_status=ReviewStatus.pending_review,
                    scores=(review.proposal or {}).get("scores", {}),
                    outcome=GradeOutcome.not_reviewed,
                    rubric=rubric_of(review.item),
                    mastery_threshold=self._settings.analytics_mastery_threshold,
                )
        return done

    @activity.defn
    async def complete_attempt_grading(self, ref: AttemptRef) -> bool:
        """Every grade is final: the attempt's score and percentage count them (once)."""
        async with self._sessions.begin() as session:
            attempt = await session.scalar(
                select(QuizAttempt)
                .where(QuizAttempt.id == ref.attempt_id, QuizAttempt.grading_status == AttemptGrading.grading)
                .with_for_update()
            )
            if attempt is None:
                return False
            finals = (
                await session.scalars(select(GradingReview.final).where(GradingReview.attempt_id == ref.attempt_id))
            ).all()
            credits = [float((f or {}).get("total", 0.0)) for f in finals]
            choice_right = sum(1 for item in attempt.feedback if item.get("correct"))
            full = sum(1 for c in credits if c >= 1.0)
            attempt.score = choice_right + full
            attempt.percentage = Decimal(str(round(100 * (choice_right + sum(credits)) / attempt.total, 2)))
            attempt.grading_status = AttemptGrading.graded
            await session.execute(
                update(User)
                .where(User.id == attempt.user_id)
                .values(quiz_correct=User.quiz_correct + sum(1 for c in credits if c >= MASTERY_CREDIT))
            )
        return True
