"""The pure content rules, without any server: outline shape, quiz and card validation, grading."""

from __future__ import annotations

import pytest

from studyflow.content_rules.grading import UnknownQuestionsError, grade
from studyflow.content_rules.outline_shape import manual_outline, normalize_outline
from studyflow.content_rules.study_validation import validate_flashcards, validate_quiz
from studyflow.contracts.llm_drafts import CourseOutlineDraft, FlashcardSetDraft, QuizDraft
from studyflow.contracts.workflow_inputs import OutlineShape

SHAPE = OutlineShape(chapters=3, min_topics=2, max_topics=3)


def _outline(chapters: list[list[str]]) -> CourseOutlineDraft:
    return CourseOutlineDraft.model_validate(
        {
            "title": "SQL",
            "chapters": [{"title": f"C{i}", "topics": [{"title": t} for t in ts]} for i, ts in enumerate(chapters)],
        }
    )


def test_an_outline_is_cut_padded_and_deduplicated_to_the_shape():
    draft = _outline([["Joins", "joins ", "Keys", "Indexes", "Views"], ["Keys"], ["A"], ["extra chapter"]])
    shaped = normalize_outline(draft, SHAPE, "SQL")
    titles = [[t.title for t in c.topics] for c in shaped.chapters]
    assert len(shaped.chapters) == 3
    assert titles[0] == ["Joins", "Keys", "Indexes"]  # duplicate dropped, capped at max_topics
    assert "Keys" not in titles[1] and len(titles[1]) == 2  # a topic repeated across chapters goes
    assert all(SHAPE.min_topics <= len(t) <= SHAPE.max_topics for t in titles)
    flat = [t.casefold() for ts in titles for t in ts]
    assert len(flat) == len(set(flat))


def test_titles_that_name_the_same_thing_are_duplicates_in_an_outline():
    draft = CourseOutlineDraft.model_validate(
        {
            "title": "SQL",
            "chapters": [
                {
                    "title": "SQL joins",
                    "topics": [{"title": "The event loop"}, {"title": "Event loop"}, {"title": "Keys"}],
                },
                {"title": "Joins in SQL!", "topics": [{"title": "Keys!"}, {"title": "Views"}, {"title": "Indexes"}]},
                {"title": "Aggregation", "topics": [{"title": "GROUP BY"}, {"title": "HAVING"}]},
            ],
        }
    )
    shaped = normalize_outline(draft, SHAPE, "SQL")
    assert [c.title for c in shaped.chapters] == ["SQL joins", "Core concepts of SQL", "Aggregation"]
    assert [t.title for t in shaped.chapters[0].topics] == ["The event loop", "Keys"]
    assert [t.title for t in shaped.chapters[1].topics] == ["Views", "Indexes"]


def test_too_few_chapters_are_completed_and_the_manual_outline_has_the_shape():
    shaped = normalize_outline(_outline([["Joins", "Keys"]]), SHAPE, "SQL")
    assert [c.title for c in shaped.chapters][1:] == ["Core concepts of SQL", "Applying SQL in practice"]
    manual = manual_outline("SQL", OutlineShape(chapters=6, min_topics=7, max_topics=8))
    assert len(manual.chapters) == 6 and manual.chapters[5].title == "SQL: chapter 6"
    assert all(len(c.topics) == 7 for c in manual.chapters)


def _question(**overrides) -> dict:
    return {
        "question": "Which join keeps unmatched rows?",
        "options": ["INNER", "LEFT", "CROSS", "SELF"],
        "answer": "LEFT",
        "explanation": "LEFT keeps them.",
        "key_points": ["outer"],
        "topic_ref": "T1",
        **overrides,
    }


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"question": "  "}, "empty question"),
        ({"options": ["a", "b", "c"]}, "needs exactly 4 non-empty options"),
        ({"options": ["a", "A ", "b", "c"], "answer": "b"}, "options are not distinct"),
        ({"answer": "FULL", "answer_index": None}, "answer is not exactly one of the options"),
        ({"topic_ref": "T9"}, "unknown topic_ref 'T9'"),
    ],
)
def test_an_unsound_question_is_dropped_with_its_reason(overrides, problem):
    result = validate_quiz(QuizDraft.model_validate({"questions": [_question(**overrides)]}), {"T1"})
    assert result.records == [] and result.dropped == [f"question 1: {problem}"]


def test_the_correct_option_is_found_by_text_letter_or_index():
    drafts = [
        _question(),
        _question(question="Q2 letter?", answer="b)"),
        _question(question="Q3 index?", answer="", answer_index=1),
        _question(question="which JOIN keeps unmatched rows?"),
    ]
    result = validate_quiz(QuizDraft.model_validate({"questions": drafts}), {"T1"})
    assert [r["answer_index"] for r in result.records] == [1, 1, 1]
    assert result.dropped == ["question 4: duplicate question"]


def test_cards_need_both_sides_a_known_topic_and_a_fresh_front():
    draft = FlashcardSetDraft.model_validate(
        {
            "cards": [
                {"front": "What is a key?", "back": "An identifier", "topic_ref": "T1"},
                {"front": "what is a  KEY?", "back": "dup", "topic_ref": "T1"},
                {"front": "Empty back?", "back": " ", "topic_ref": "T1"},
                {"front": "Stray?", "back": "x", "topic_ref": "T7"},
            ]
        }
    )
    result = validate_flashcards(draft, {"T1"})
    assert [r["front"] for r in result.records] == ["What is a key?"]
    assert result.dropped == [
        "card 2: duplicate front",
        "card 3: empty front or back",
        "card 4: unknown topic_ref 'T7'",
    ]


QUESTIONS = [
    {"id": "q1", "answer_index": 1, "topic_id": "t1", "explanation": "e1"},
    {"id": "q2", "answer_index": 0, "topic_id": "t2"},
    {"id": "q3", "answer_index": 2, "topic_id": "t1"},
]


def test_grading_scores_and_lists_weak_topics_once_in_quiz_order():
    graded = grade(QUESTIONS, {"q1": 1, "q2": 3})
    assert (graded.score, graded.total, graded.percentage) == (1, 3, 33.33)
    assert graded.weak_topic_ids == ["t2", "t1"]  # q2 wrong, q3 unanswered
    assert [f["correct"] for f in graded.feedback] == [True, False, False]
    assert graded.feedback[2]["selected_index"] is None


def test_grading_rejects_answers_to_questions_the_quiz_does_not_have():
    with pytest.raises(UnknownQuestionsError, match="unknown question ids: q7, q9"):
        grade(QUESTIONS, {"q9": 0, "q7": 1})
    assert grade([], {}).percentage == 0.0
