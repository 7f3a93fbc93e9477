"""The schema sent to a grammar-constrained local model keeps the constraints the grammar can
express and nothing that would loosen or break it."""

from __future__ import annotations

from activities.llm import prompts
from activities.llm.json_schema_grammar import grammar_friendly
from activities.llm.prompts import CourseBrief
from studyflow.contracts.llm_drafts import QuizDraft, RemediationDraft, TopicNotesDraft


def _question_properties() -> dict:
    return grammar_friendly(QuizDraft.model_json_schema())["$defs"]["QuizQuestionDraft"]["properties"]


def test_an_optional_enum_is_asked_for_as_the_enum_alone():
    # With the null branch left in, llama.cpp builds the union first and ignores the enum: the
    # bundled model then wrote answer_index -1 for every question.
    assert _question_properties()["answer_index"] == {"type": "integer", "enum": [0, 1, 2, 3]}


def test_a_union_of_two_real_types_is_left_alone():
    schema = {"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]}
    assert grammar_friendly(schema) == schema


def test_every_property_is_required_and_long_bounds_are_dropped():
    notes = grammar_friendly(TopicNotesDraft.model_json_schema())
    assert set(notes["required"]) == set(notes["properties"])
    question = _question_properties()["question"]
    assert question["maxLength"] == 160 and question["minLength"] == 8
    assert grammar_friendly({"type": "string", "maxLength": 4000}) == {"type": "string"}


def test_the_remediation_request_asks_for_no_topic_ref_and_at_most_the_requested_questions():
    prompt = prompts.remediation(CourseBrief("SQL joins", "practical", "beginner", {}), "Joins", ["q?"], [], 2)
    schema = grammar_friendly(prompt.schema)
    practice = schema["$defs"]["QuizQuestionDraft"]["properties"]
    assert "topic_ref" not in practice and "topic_ref" not in schema["$defs"]["QuizQuestionDraft"]["required"]
    assert schema["properties"]["practice_questions"]["maxItems"] == 2
    # A reply shaped by that schema is still a valid remediation draft.
    reply = {
        "explanation": "A join matches rows of two tables on a condition.",
        "key_points": ["ON names the condition"],
        "practice_questions": [
            {
                "question": "Which join keeps unmatched left rows?",
                "options": ["INNER", "LEFT", "CROSS", "SELF"],
                "answer": "LEFT",
                "answer_index": 1,
                "explanation": "LEFT keeps every left row.",
                "key_points": [],
            }
        ],
    }
    assert RemediationDraft.model_validate(reply).practice_questions[0].answer == "LEFT"


def test_the_outline_request_has_the_exact_shape_asked_for():
    prompt = prompts.course_outline(CourseBrief("SQL joins", "practical", "beginner", {}), 3, 2, 4)
    schema = grammar_friendly(prompt.schema)
    assert (schema["properties"]["chapters"]["minItems"], schema["properties"]["chapters"]["maxItems"]) == (3, 3)
    topics = schema["$defs"]["OutlineChapterDraft"]["properties"]["topics"]
    assert (topics["minItems"], topics["maxItems"]) == (2, 4)


def test_study_content_requests_ask_for_exactly_the_count_with_known_topic_refs():
    brief = CourseBrief("SQL joins", "practical", "beginner", {})
    schema = grammar_friendly(prompts.quiz(brief, [("T1", "Inner"), ("T2", "Outer")], [], 3).schema)
    assert (schema["properties"]["questions"]["minItems"], schema["properties"]["questions"]["maxItems"]) == (3, 3)
    assert schema["$defs"]["QuizQuestionDraft"]["properties"]["topic_ref"] == {"type": "string", "enum": ["T1", "T2"]}
