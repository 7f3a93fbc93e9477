"""Shapes the LLM must return (sent as JSON schema, validated with pydantic)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


def _clean(text: str) -> str:
    return " ".join(text.split())


class _LlmDraft(BaseModel):
    # Models add keys nobody asked for; they are dropped, not a reason to reject the reply.
    model_config = ConfigDict(extra="ignore")


class OutlineTopicDraft(_LlmDraft):
    title: str = Field(min_length=1, max_length=300)
    summary: str = Field(default="", max_length=2000)

    _trim = field_validator("title", "summary", mode="before")(lambda v: _clean(v) if isinstance(v, str) else v)


class OutlineChapterDraft(_LlmDraft):
    title: str = Field(min_length=1, max_length=300)
    topics: list[OutlineTopicDraft] = Field(min_length=1)

    _trim = field_validator("title", mode="before")(lambda v: _clean(v) if isinstance(v, str) else v)


class CourseOutlineDraft(_LlmDraft):
    title: str = Field(min_length=1, max_length=300)
    chapters: list[OutlineChapterDraft] = Field(min_length=1)

    _trim = field_validator("title", mode="before")(lambda v: _clean(v) if isinstance(v, str) else v)


class TopicNotesDraft(_LlmDraft):
    explanation: str = Field(min_length=20)
    # Bounds in json_schema_extra shape the request (a grammar for local models: an unbounded list
    # item is where a small model runs on until max_tokens) without rejecting a longer reply.
    key_points: list[str] = Field(
        min_length=1,
        json_schema_extra={"minItems": 3, "maxItems": 7, "items": {"type": "string", "minLength": 3, "maxLength": 160}},
    )
    example: str = Field(default="", description="A worked or code example; empty if none fits")
    interview_questions: list[str] = Field(
        min_length=1,
        json_schema_extra={"minItems": 3, "maxItems": 5, "items": {"type": "string", "minLength": 3, "maxLength": 160}},
    )

    @field_validator("key_points", "interview_questions")
    @classmethod
    def _non_empty_items(cls, items: list[str]) -> list[str]:
        cleaned = [item.strip() for item in items if item and item.strip()]
        if not cleaned:
            raise ValueError("needs at least one non-empty item")
        return cleaned


# --- study content: records are loose here; activities/study_validation.py decides which to keep,
# so one bad record is dropped instead of failing the whole reply.
class QuizQuestionDraft(_LlmDraft):
    # json_schema_extra bounds shape the request (a grammar for local models) without failing the
    # whole reply in pydantic: study_validation.py drops a bad record on its own.
    question: str = Field(default="", json_schema_extra={"minLength": 8, "maxLength": 160})
    options: list[str] = Field(
        default_factory=list,
        json_schema_extra={"minItems": 4, "maxItems": 4, "items": {"type": "string", "minLength": 1, "maxLength": 80}},
    )
    answer: str = Field(default="", json_schema_extra={"maxLength": 80})
    answer_index: int | None = Field(
        default=None,
        json_schema_extra={"enum": [0, 1, 2, 3]},
        description="position of the correct option (0-3); used when `answer` does not match an option",
    )
    explanation: str = Field(default="", json_schema_extra={"maxLength": 160})
    key_points: list[str] = Field(
        default_factory=list, json_schema_extra={"maxItems": 3, "items": {"type": "string", "maxLength": 80}}
    )
    topic_ref: str = Field(default="", description="the T-number of the topic the question tests")
    # Only asked for when the course is built from the learner's material (the schema sent
    # otherwise leaves it out): the S-numbers of the excerpts the question comes from.
    source_refs: list[str] = Field(default_factory=list)


class QuizDraft(_LlmDraft):
    questions: list[QuizQuestionDraft] = Field(min_length=1)


class FlashcardDraft(_LlmDraft):
    front: str = Field(default="", json_schema_extra={"minLength": 3, "maxLength": 120})
    back: str = Field(default="", json_schema_extra={"minLength": 1, "maxLength": 160})
    topic_ref: str = ""
    source_refs: list[str] = Field(default_factory=list)


class FlashcardSetDraft(_LlmDraft):
    cards: list[FlashcardDraft] = Field(min_length=1)


class RemediationDraft(_LlmDraft):
    explanation: str = Field(min_length=20)
    key_points: list[str] = Field(
        min_length=1, json_schema_extra={"maxItems": 5, "items": {"type": "string", "maxLength": 120}}
    )
    practice_questions: list[QuizQuestionDraft] = Field(min_length=1)


class TutorAnswerDraft(_LlmDraft):
    answer: str = Field(default="", json_schema_extra={"maxLength": 500})
    citations: list[int] = Field(
        default_factory=list,
        description="numbers of the excerpts the answer rests on",
        json_schema_extra={"maxItems": 4},
    )
    # Bounded in the request; a small model's 3 or -1 is clamped rather than costing a retry.
    confidence: float = Field(default=0.0, json_schema_extra={"minimum": 0, "maximum": 1})
    answerable: bool = Field(default=False, description="false when the excerpts do not answer the question")

    @field_validator("confidence")
    @classmethod
    def _within_bounds(cls, value: float) -> float:
        return min(1.0, max(0.0, value))


class NudgeDraft(_LlmDraft):
    message: str = Field(min_length=10, max_length=280)


class SubjectSuggestionDraft(_LlmDraft):
    topic: str = Field(default="", json_schema_extra={"minLength": 3, "maxLength": 80})
    reason: str = Field(default="", json_schema_extra={"minLength": 10, "maxLength": 200})


class SubjectSuggestionsDraft(_LlmDraft):
    suggestions: list[SubjectSuggestionDraft] = Field(min_length=1, json_schema_extra={"maxItems": 3})


class LearnerContextDraft(_LlmDraft):
    summary: str = Field(min_length=40, json_schema_extra={"maxLength": 1200})


class EvidenceQuoteDraft(_LlmDraft):
    quote: str = Field(min_length=1, max_length=600, json_schema_extra={"maxLength": 300})
    speaker: str = Field(default="", max_length=100, json_schema_extra={"maxLength": 60})

    _trim = field_validator("quote", "speaker", mode="before")(lambda v: _clean(v) if isinstance(v, str) else v)


class SessionConceptDraft(_LlmDraft):
    name: str = Field(min_length=2, max_length=300, json_schema_extra={"maxLength": 120})
    difficulty: int = Field(default=5, json_schema_extra={"minimum": 1, "maximum": 10})
    learner_showed: str = Field(json_schema_extra={"enum": ["understood", "partial", "misconception"]})
    evidence: list[EvidenceQuoteDraft] = Field(default_factory=list, json_schema_extra={"maxItems": 3})

    _trim = field_validator("name", mode="before")(lambda v: _clean(v) if isinstance(v, str) else v)

    @field_validator("difficulty", mode="before")
    @classmethod
    def _clamped(cls, value) -> int:
        try:
            return min(10, max(1, round(float(value))))
        except (TypeError, ValueError):
            return 5

    @field_validator("learner_showed", mode="before")
    @classmethod
    def _verdict(cls, value) -> str:
        text = str(value or "").strip().casefold()
        if text.startswith("misconc") or text in ("wrong", "incorrect", "not understood"):
            return "misconception"
        if text.startswith("partial") or text in ("some", "mixed"):
            return "partial"
        return "understood"


def _short_items(limit: int):
    return Field(default_factory=list, json_schema_extra={"maxItems": limit, "items": {"maxLength": 200}})


class SessionInsightsDraft(_LlmDraft):
    """What one window of a tutoring session shows (sessions are analysed window by window)."""

    topics: list[str] = _short_items(4)
    concepts: list[SessionConceptDraft] = Field(default_factory=list, json_schema_extra={"maxItems": 6})
    strengths: list[str] = _short_items(3)
    areas_for_improvement: list[str] = _short_items(3)
    action_items: list[str] = _short_items(3)

    @field_validator("topics", "strengths", "areas_for_improvement", "action_items", mode="before")
    @classmethod
    def _texts(cls, value) -> list[str]:
        items = value if isinstance(value, list) else []
        return [_clean(v)[:300] for v in items if isinstance(v, str) and v.strip()]


# --- short answers (issue 34) -------------------------------------------------------------------
class RubricPointGradeDraft(_LlmDraft):
    point_id: str = Field(default="", description="the id of the rubric point, e.g. p1")
    score: float = Field(default=0.0, json_schema_extra={"enum": [0, 0.5, 1]})
    quote: str = Field(
        default="",
        description="the words of the learner's answer that cover the point, copied exactly; empty when none do",
        json_schema_extra={"maxLength": 300},
    )
    justification: str = Field(default="", json_schema_extra={"maxLength": 200})
    confidence: float = Field(default=0.5, json_schema_extra={"minimum": 0, "maximum": 1})

    @field_validator("confidence")
    @classmethod
    def _within_bounds(cls, value: float) -> float:
        return min(1.0, max(0.0, value))


class ShortAnswerGradeDraft(_LlmDraft):
    points: list[RubricPointGradeDraft] = Field(default_factory=list, json_schema_extra={"maxItems": 5})


class ShortAnswerRubricPointDraft(_LlmDraft):
    text: str = Field(default="", json_schema_extra={"minLength": 3, "maxLength": 160})
    weight: int = Field(default=1, json_schema_extra={"enum": [1, 2, 3]})
    source_quote: str = Field(
        default="",
        description="the excerpt's words the point rests on, copied exactly",
        json_schema_extra={"maxLength": 240},
    )


class ShortAnswerItemDraft(_LlmDraft):
    question: str = Field(default="", json_schema_extra={"minLength": 8, "maxLength": 200})
    model_answer: str = Field(default="", json_schema_extra={"minLength": 8, "maxLength": 400})
    rubric: list[ShortAnswerRubricPointDraft] = Field(
        default_factory=list, json_schema_extra={"minItems": 2, "maxItems": 5}
    )
    topic_ref: str = ""
    source_refs: list[str] = Field(default_factory=list)


class ShortAnswerSetDraft(_LlmDraft):
    items: list[ShortAnswerItemDraft] = Field(min_length=1)
