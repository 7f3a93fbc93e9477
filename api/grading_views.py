"""Free-text grades as the learner and the reviewer see them."""

from __future__ import annotations

from datetime import timedelta

from api.schemas.attempts import PointFeedback, ShortAnswerFeedback
from api.schemas.grading import Proposal, ReviewTask, RubricPointView
from db.models import GradingReview
from studyflow.statuses import GradeOutcome, ReviewStatus


def learner_feedback(review: GradingReview) -> ShortAnswerFeedback:
    final = review.status == ReviewStatus.final
    proposal = review.proposal or {}
    shown = {p["point_id"]: p for p in proposal.get("points", [])} if final else {}
    scores = (review.final or {}).get("scores", {}) if final else {}
    points = []
    for point in review.item.get("rubric", []):
        proposed = shown.get(point["id"], {})
        score = scores.get(point["id"]) if final else None
        # A tutor's grade may differ from the proposal: quote the learner's words only for credit given.
        quote = proposed.get("quote", "") if score else ""
        points.append(
            PointFeedback(
                point_id=point["id"],
                text=point["text"],
                weight=point.get("weight", 1),
                score=score,
                quote=quote,
                justification=proposed.get("justification", "") if review.outcome != GradeOutcome.reviewed else "",
            )
        )
    return ShortAnswerFeedback(
        question_id=review.item_id,
        question=review.item["question"],
        answer=review.answer,
        status=review.status,
        outcome=review.outcome,
        grader=review.grader,
        total=(review.final or {}).get("total") if final else None,
        confidence=review.confidence,
        uncertain=review.outcome in (GradeOutcome.no_reviewer, GradeOutcome.not_reviewed),
        model_answer=review.item.get("model_answer") if final else None,
        points=points,
        topic_id=review.topic_id,
    )


def review_task(review: GradingReview, learner: str, timeout_hours: float) -> ReviewTask:
    proposal = review.proposal or {}
    return ReviewTask(
        id=review.id,
        attempt_id=review.attempt_id,
        item_id=review.item_id,
        learner=learner,
        question=review.item["question"],
        model_answer=review.item.get("model_answer") or "",
        rubric=[RubricPointView(id=p["id"], text=p["text"], weight=p.get("weight", 1)) for p in review.item["rubric"]],
        answer=review.answer,
        proposal=Proposal.model_validate({k: proposal.get(k) for k in ("grader", "total", "confidence", "points")}),
        status=review.status,
        routed_at=review.routed_at,
        due_at=review.routed_at + timedelta(hours=timeout_hours) if review.routed_at else None,
    )
