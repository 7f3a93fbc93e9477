"""A short-answer item: a stem, a model answer and a rubric of 2-5 weighted key points, each
grounded in an excerpt. Scores per point are 0, 0.5 or 1; an answer's total is the weighted mean."""

from __future__ import annotations

from dataclasses import dataclass

SHORT_ANSWER = "short_answer"
POINT_SCORES = (0.0, 0.5, 1.0)
MIN_POINTS, MAX_POINTS = 2, 5
MAX_WEIGHT = 3
MAX_ANSWER_CHARS = 2000


@dataclass(frozen=True)
class RubricPoint:
    id: str
    text: str
    weight: int = 1
    excerpt_quote: str = ""

    @classmethod
    def of(cls, raw: dict) -> RubricPoint:
        return cls(str(raw["id"]), str(raw["text"]), int(raw.get("weight", 1)), str(raw.get("excerpt_quote", "")))


def is_short_answer(record: dict) -> bool:
    return record.get("kind") == SHORT_ANSWER


def rubric_of(record: dict) -> list[RubricPoint]:
    return [RubricPoint.of(p) for p in record.get("rubric", [])]


def total(rubric: list[RubricPoint], scores: dict[str, float]) -> float:
    """Σ weight × score / Σ weight, in [0, 1]; a point with no score counts 0."""
    weights = sum(p.weight for p in rubric)
    return sum(p.weight * float(scores.get(p.id, 0)) for p in rubric) / weights if weights else 0.0


def nearest_point_score(value: float) -> float:
    return min(POINT_SCORES, key=lambda s: abs(s - value))


def grade_problems(rubric: list[RubricPoint], scores: dict[str, float]) -> list[str]:
    """Why a grade (a tutor's) is not a grade of this rubric; empty when it is."""
    ids = {p.id for p in rubric}
    problems = []
    if missing := sorted(ids - set(scores)):
        problems.append(f"no score for point(s) {', '.join(missing)}")
    if unknown := sorted(set(scores) - ids):
        problems.append(f"unknown point(s) {', '.join(unknown)}")
    if bad := sorted(k for k, v in scores.items() if k in ids and float(v) not in POINT_SCORES):
        problems.append(f"scores must be 0, 0.5 or 1 (point(s) {', '.join(bad)})")
    return problems
