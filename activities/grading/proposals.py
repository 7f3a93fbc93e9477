"""One answer's automatic grade, as stored and shown: per point a score, a confidence and the
learner's sentence it rests on (the embedded grader's best match, or the LLM's validated quote)."""

from __future__ import annotations

from studyflow.free_text.embedded_grader import AnswerGrade


def from_embedded(graded: AnswerGrade) -> dict:
    return {
        "grader": "embedded",
        "scores": graded.scores,
        "total": round(graded.total, 4),
        "confidence": round(graded.confidence, 4),
        "points": [
            {
                "point_id": p.point_id,
                "score": p.score,
                "confidence": round(p.confidence, 4),
                "quote": p.evidence,
                "justification": _why(p),
            }
            for p in graded.points
        ],
    }


def _why(point) -> str:
    if point.flipped and point.score == 0:
        return "says the opposite of this point"
    return f"closest match {point.similarity:.2f}"


def from_llm(graded, model: str) -> dict:
    return {
        "grader": "llm",
        "model": model,
        "scores": graded.scores,
        "total": round(graded.total, 4),
        "confidence": round(graded.confidence, 4),
        "points": [
            {
                "point_id": p.point_id,
                "score": p.score,
                "confidence": round(p.confidence, 4),
                "quote": p.quote,
                "justification": p.justification,
                **({"rejected": p.rejected} if p.rejected else {}),
            }
            for p in graded.points
        ],
    }
