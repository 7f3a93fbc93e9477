"""Server-side grading of a quiz attempt (pure: no I/O)."""

from __future__ import annotations

from dataclasses import dataclass


class UnknownQuestionsError(ValueError):
    def __init__(self, ids: list[str]):
        super().__init__(f"unknown question ids: {', '.join(sorted(ids))}")
        self.ids = ids


@dataclass(frozen=True)
class Graded:
    score: int
    total: int
    percentage: float
    feedback: list[dict]
    weak_topic_ids: list[str]  # topics of wrong or unanswered questions, in quiz order


def grade(questions: list[dict], answers: dict[str, int]) -> Graded:
    known = {q["id"] for q in questions}
    unknown = [qid for qid in answers if qid not in known]
    if unknown:
        raise UnknownQuestionsError(unknown)
    feedback, weak = [], []
    score = 0
    for q in questions:
        selected = answers.get(q["id"])
        correct = selected == q["answer_index"]
        score += correct
        if not correct and q.get("topic_id") and q["topic_id"] not in weak:
            weak.append(q["topic_id"])
        feedback.append(
            {
                "question_id": q["id"],
                "selected_index": selected,
                "correct_index": q["answer_index"],
                "correct": correct,
                "explanation": q.get("explanation", ""),
                "key_points": q.get("key_points", []),
                "topic_id": q.get("topic_id"),
            }
        )
    total = len(questions)
    return Graded(score, total, round(100 * score / total, 2) if total else 0.0, feedback, weak)
