"""Server-side grading of a quiz attempt (pure: no I/O). Multiple-choice questions are graded
here, at once; short-answer items are graded by GradingWorkflow (studyflow/free_text) and only
listed here as pending."""

from __future__ import annotations

from dataclasses import dataclass, field

from studyflow.free_text.rubric import is_short_answer


class UnknownQuestionsError(ValueError):
    def __init__(self, ids: list[str]):
        super().__init__(f"unknown question ids: {', '.join(sorted(ids))}")
        self.ids = ids


class WrongAnswerTypeError(ValueError):
    pass


@dataclass(frozen=True)
class Graded:
    score: int
    total: int
    percentage: float
    feedback: list[dict]
    weak_topic_ids: list[str]  # topics of wrong or unanswered questions, in quiz order
    short_answers: dict[str, str] = field(default_factory=dict)  # item id → the learner's text
    multiple_choice: int = 0  # how many items were graded here

    @property
    def choice_percentage(self) -> float:
        """The share right of the items graded now (the pass mark is judged on them at submit)."""
        return round(100 * self.score / self.multiple_choice, 2) if self.multiple_choice else 100.0


def grade(questions: list[dict], answers: dict[str, int | str]) -> Graded:
    known = {q["id"] for q in questions}
    unknown = [qid for qid in answers if qid not in known]
    if unknown:
        raise UnknownQuestionsError(unknown)
    wrong_type = [
        q["id"] for q in questions if q["id"] in answers and isinstance(answers[q["id"]], str) != is_short_answer(q)
    ]
    if wrong_type:
        raise WrongAnswerTypeError(
            "short-answer items take text and multiple-choice questions an option index "
            f"(question ids: {', '.join(sorted(wrong_type))})"
        )
    feedback, weak, short = [], [], {}
    score = choice = 0
    for q in questions:
        if is_short_answer(q):
            short[q["id"]] = str(answers.get(q["id"], "")).strip()
            continue
        choice += 1
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
    return Graded(score, total, round(100 * score / total, 2) if total else 0.0, feedback, weak, short, choice)
