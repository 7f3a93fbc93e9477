"""An LLM grader's reply, checked: every point it credits must quote the learner's answer, and a
quote that is not in the answer is rejected (a model that invents the learner's words has not
read them). A rejected or missing point falls back to the embedded grader's score with no
confidence, so the answer goes to a human whenever a tutor can take it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from studyflow.free_text.rubric import RubricPoint, nearest_point_score, total

_QUOTE_MARKS = "\"'“”‘’«»`"


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def quote_in_answer(quote: str, answer: str) -> bool:
    """Copied from the answer, ignoring case, spacing, punctuation and the marks around it;
    an ellipsis may join two copied parts."""
    parts = [p for p in re.split(r"\.\.\.|…", quote.strip(_QUOTE_MARKS + " ")) if _norm(p)]
    target = _norm(answer)
    return bool(parts) and all(_norm(p) in target for p in parts)


@dataclass(frozen=True)
class CheckedPoint:
    point_id: str
    score: float
    confidence: float
    quote: str
    justification: str
    rejected: str = ""  # why the model's grade of this point was not kept


@dataclass(frozen=True)
class CheckedGrade:
    points: list[CheckedPoint]
    total: float
    confidence: float

    @property
    def rejected(self) -> list[CheckedPoint]:
        return [p for p in self.points if p.rejected]


def check_reply(
    rubric: list[RubricPoint],
    answer: str,
    reply_points: list[dict],
    fallback_scores: dict[str, float],
) -> CheckedGrade:
    """`reply_points`: the model's {point_id, score, quote, justification, confidence}.
    `fallback_scores`: the embedded grader's, for points the model's grade cannot stand for."""
    by_id: dict[str, dict] = {}
    for reply in reply_points:
        by_id.setdefault(str(reply.get("point_id", "")).strip(), reply)
    checked = []
    for point in rubric:
        raw = by_id.get(point.id)
        fallback = fallback_scores.get(point.id, 0.0)
        if raw is None:
            checked.append(CheckedPoint(point.id, fallback, 0.0, "", "", rejected="the model did not grade this point"))
            continue
        score = nearest_point_score(float(raw.get("score", 0)))
        quote = str(raw.get("quote", "")).strip()
        justification = str(raw.get("justification", "")).strip()
        confidence = min(1.0, max(0.0, float(raw.get("confidence", 0.5))))
        if quote and not quote_in_answer(quote, answer):
            checked.append(
                CheckedPoint(point.id, fallback, 0.0, "", justification, rejected="quote not found in the answer")
            )
        elif score > 0 and not quote:
            checked.append(CheckedPoint(point.id, fallback, 0.0, "", justification, rejected="credit without a quote"))
        else:
            checked.append(CheckedPoint(point.id, score, confidence, quote if score > 0 else "", justification))
    scores = {p.point_id: p.score for p in checked}
    # The answer is as certain as its least certain point.
    confidence = min((p.confidence for p in checked), default=0.0)
    return CheckedGrade(checked, total(rubric, scores), confidence)


def with_second_opinion(checked: CheckedGrade, embedded_scores: dict[str, float], embedded_confidence: float) -> float:
    """A model's own confidence is not calibrated; the embedded grader's is (on the labelled set),
    and it is the second marker. Where the model marked every point as the embedded grader did,
    the answer is as certain as the embedded grader is of that grade. Elsewhere the model's
    confidence counts, shrunk where the two disagree (by half a mark: halved; by a whole mark: to
    nothing), so with the default threshold (the embedded grader's) a disagreement goes to a human
    until the threshold is chosen on the model's own figures (`bench.grading_bench --configured`)."""
    agree = not checked.rejected and all(p.score == embedded_scores.get(p.point_id, p.score) for p in checked.points)
    if agree:
        return embedded_confidence
    factors = {0.0: 1.0, 0.5: 0.5, 1.0: 0.0}
    return min(
        (p.confidence * factors[abs(p.score - embedded_scores.get(p.point_id, p.score))] for p in checked.points),
        default=0.0,
    )
