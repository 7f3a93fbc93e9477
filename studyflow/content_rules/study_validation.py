"""Keep only records that are sound; report why each dropped one was dropped."""

from __future__ import annotations

from dataclasses import dataclass, field

from studyflow.contracts.llm_drafts import FlashcardSetDraft, QuizDraft

QUIZ_OPTIONS = 4


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def record_key(kind: str, record: dict) -> str:
    """What makes two records of a set the same record: the question, or the card's front."""
    return _key(record["question"] if kind == "quiz" else record["front"])


@dataclass
class Validated:
    records: list[dict] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def _correct_index(answer: str, answer_index: int | None, option_keys: list[str]) -> int | None:
    """The correct option: the answer text when it names exactly one option, else a letter
    (A-D) or the index the model gave. None when neither identifies exactly one option."""
    key = _key(answer)
    if option_keys.count(key) == 1:
        return option_keys.index(key)
    letter = key.rstrip(").:")
    if len(letter) == 1 and letter in "abcd":
        return "abcd".index(letter)
    if answer_index is not None and 0 <= answer_index < QUIZ_OPTIONS:
        return answer_index
    return None


def validate_quiz(draft: QuizDraft, topic_refs: set[str]) -> Validated:
    result = Validated()
    seen: set[str] = set()
    for index, q in enumerate(draft.questions):
        options = [" ".join(o.split()) for o in q.options]
        option_keys = [_key(o) for o in options]
        problem = None
        if not q.question.strip():
            problem = "empty question"
        elif len(options) != QUIZ_OPTIONS or any(not o for o in options):
            problem = f"needs exactly {QUIZ_OPTIONS} non-empty options"
        elif len(set(option_keys)) != QUIZ_OPTIONS:
            problem = "options are not distinct"
        elif (correct := _correct_index(q.answer, q.answer_index, option_keys)) is None:
            problem = "answer is not exactly one of the options"
        elif q.topic_ref not in topic_refs:
            problem = f"unknown topic_ref {q.topic_ref!r}"
        elif _key(q.question) in seen:
            problem = "duplicate question"
        if problem:
            result.dropped.append(f"question {index + 1}: {problem}")
            continue
        seen.add(_key(q.question))
        result.records.append(
            {
                "question": q.question.strip(),
                "options": options,
                "answer_index": correct,
                "explanation": q.explanation.strip(),
                "key_points": [p.strip() for p in q.key_points if p.strip()],
                "topic_ref": q.topic_ref,
                "source_refs": list(q.source_refs),
            }
        )
    return result


def validate_flashcards(draft: FlashcardSetDraft, topic_refs: set[str]) -> Validated:
    result = Validated()
    seen: set[str] = set()
    for index, card in enumerate(draft.cards):
        problem = None
        if not card.front.strip() or not card.back.strip():
            problem = "empty front or back"
        elif _key(card.front) in seen:
            problem = "duplicate front"
        elif card.topic_ref not in topic_refs:
            problem = f"unknown topic_ref {card.topic_ref!r}"
        if problem:
            result.dropped.append(f"card {index + 1}: {problem}")
            continue
        seen.add(_key(card.front))
        result.records.append(
            {
                "front": card.front.strip(),
                "back": card.back.strip(),
                "topic_ref": card.topic_ref,
                "source_refs": list(card.source_refs),
            }
        )
    return result


def validate_set(kind: str, draft: QuizDraft | FlashcardSetDraft, topic_refs: set[str]) -> Validated:
    if kind == "quiz" and isinstance(draft, QuizDraft):
        return validate_quiz(draft, topic_refs)
    if kind != "quiz" and isinstance(draft, FlashcardSetDraft):
        return validate_flashcards(draft, topic_refs)
    raise TypeError(f"a {type(draft).__name__} is not a {kind} draft")


def validate_one(kind: str, record, topic_refs: set[str]) -> dict | None:
    """One record of a set on its own (a rewrite): the validated record, or None."""
    draft = QuizDraft(questions=[record]) if kind == "quiz" else FlashcardSetDraft(cards=[record])
    return next(iter(validate_set(kind, draft, topic_refs).records), None)


def as_draft(kind: str, record: dict) -> dict:
    """A validated record in the shape the model wrote it (for a rewrite request)."""
    fields: tuple[str, ...]
    if kind == "quiz":
        fields = ("question", "options", "answer", "explanation", "key_points", "topic_ref")
        record = {**record, "answer": record["options"][record["answer_index"]]}
    else:
        fields = ("front", "back", "topic_ref")
    return {field: record[field] for field in fields}
