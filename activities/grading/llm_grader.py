"""The LLM grader: one call per answer scoring every rubric point with a justification that
quotes the answer; quotes are checked against the answer (`studyflow.free_text.llm_grades`), and
the embedded grader is the second marker whose agreement sets the confidence."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from activities.heartbeat import heartbeating
from activities.llm import prompts
from activities.llm.errors import LlmOutputInvalidError
from activities.llm.gateway import LlmGateway
from studyflow.contracts.llm_drafts import ShortAnswerGradeDraft
from studyflow.free_text.llm_grades import CheckedPoint, check_reply, with_second_opinion
from studyflow.free_text.rubric import RubricPoint


@dataclass(frozen=True)
class LlmGrade:
    points: list[CheckedPoint]
    total: float
    confidence: float
    model: str

    @property
    def scores(self) -> dict[str, float]:
        return {p.point_id: p.score for p in self.points}

    @property
    def rejected_quotes(self) -> int:
        return sum(1 for p in self.points if p.rejected == "quote not found in the answer")


async def llm_grade(
    gateway: LlmGateway,
    *,
    question: str,
    rubric: list[RubricPoint],
    answer: str,
    embedded_scores: dict[str, float],
    embedded_confidence: float,
    idempotency_key: str | None,
    subject_id: str | None = None,
    user_id: uuid.UUID | None = None,
) -> LlmGrade:
    """A reply that is not valid JSON even after the gateway's repair round grades nothing: every
    point falls back to the embedded grade with no confidence (the answer goes to a human)."""
    if not answer.strip():
        points = [CheckedPoint(p.id, 0.0, 1.0, "", "The answer is empty.") for p in rubric]
        return LlmGrade(points, 0.0, 1.0, "none")
    prompt = prompts.short_answer_grade(question, [(p.id, p.text) for p in rubric], answer)
    try:
        async with heartbeating():
            result = await gateway.generate(
                prompt, ShortAnswerGradeDraft, idempotency_key=idempotency_key, subject_id=subject_id, user_id=user_id
            )
        reply, model = [p.model_dump() for p in result.value.points], result.model
    except LlmOutputInvalidError:
        reply, model = [], "invalid"
    checked = check_reply(rubric, answer, reply, embedded_scores)
    confidence = with_second_opinion(checked, embedded_scores, embedded_confidence)
    return LlmGrade(checked.points, checked.total, confidence, model)
