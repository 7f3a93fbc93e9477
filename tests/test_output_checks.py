"""The checks every model-written text goes through (studyflow/content_rules/output_checks.py and
the one-concept modules it combines), on the outputs quoted in issue 30 and on clean text that
must pass. Pure functions: milliseconds."""

from __future__ import annotations

import pytest

from activities.llm import prompts
from studyflow.content_rules.item_flaws import Flaw
from studyflow.content_rules.json_debris import json_fragment
from studyflow.content_rules.markup import raw_html, unclosed_fence
from studyflow.content_rules.output_checks import (
    answer_problems,
    notes_problems,
    outline_problems,
    plain_reason,
    remediation_problems,
    text_findings,
)
from studyflow.content_rules.prompt_echo import PromptReference, prompt_echo
from studyflow.content_rules.quality_gate import findings
from studyflow.content_rules.schema_echo import schema_echo
from studyflow.content_rules.truncation import truncated
from studyflow.contracts.llm_drafts import CourseOutlineDraft, RemediationDraft, TopicNotesDraft

BRIEF = prompts.CourseBrief("How TCP congestion control works", "practical", "beginner", {})
SPEC = ["Slow start doubles the congestion window every round-trip time until it reaches ssthresh."]


def _outline(title: str, chapters: list[tuple[str, list[str]]], summaries: dict[str, str]) -> CourseOutlineDraft:
    return CourseOutlineDraft(
        title=title,
        chapters=[
            {"title": chapter, "topics": [{"title": t, "summary": summaries.get(t, "")} for t in topics]}
            for chapter, topics in chapters
        ],
    )


def _flaws(found) -> set[str]:
    return {f.flaw.value for f in found}


# --- the PDF course of issue 30 ---------------------------------------------------------------
def test_the_git_course_copied_from_the_outline_example_is_caught():
    prompt = prompts.course_outline(BRIEF, 3, 3, 5, few_shot=True, material=SPEC)
    reference = prompts.reference_for(prompt, [BRIEF.topic, *SPEC])
    draft = _outline(
        "TCP congestion control specification, revised edition",
        [
            ("Getting started", ["Installing Git", "First repository"]),
            ("Working with branches", ["Creating branches"]),
            ("<h1>Understanding what it does</h1>", ["Slow start"]),
        ],
        summaries={"Installing Git": "Install Git and set your name and email."},
    )
    found = outline_problems(draft, reference)
    assert {"prompt_echo", "raw_html"} <= _flaws(found)
    echoed = {f.detail for f in found if f.flaw == Flaw.PROMPT_ECHO}
    assert any("Installing Git" in d for d in echoed) and any("Working with branches" in d for d in echoed)
    assert "copied its instructions" in plain_reason(found)


def test_a_course_of_its_own_passes_the_outline_checks():
    prompt = prompts.course_outline(BRIEF, 2, 2, 3, few_shot=True, material=SPEC)
    reference = prompts.reference_for(prompt, [BRIEF.topic, *SPEC])
    draft = _outline(
        "How TCP congestion control works",
        [("Growing the window", ["Slow start", "Congestion avoidance"]), ("Recovering from loss", ["Fast retransmit"])],
        summaries={"Slow start": "Why the window doubles each round trip.", "Fast retransmit": "Three duplicate ACKs."},
    )
    assert outline_problems(draft, reference) == []


def test_flashcards_made_of_the_prompt_are_dropped_by_the_gate():
    topics = [("T1", "Slow start")]
    prompt = prompts.flashcards(BRIEF, topics, SPEC, 6, few_shot=True, source_refs=["S1"])
    reference = prompts.reference_for(prompt, [BRIEF.topic, "Slow start", *SPEC])
    card = {"front": "Cite in source_refs the S-number of the excerpt each card comes from.", "back": "S1"}
    assert "prompt_echo" in _flaws(findings("flashcards", card, [], [], reference=reference))
    good = {"front": "How fast does the window grow in slow start?", "back": "It doubles every round-trip time."}
    assert findings("flashcards", good, [], [], reference=reference) == []


# --- the quiz of issue 30 ---------------------------------------------------------------------
@pytest.mark.parametrize("option", ["answer_index:2,", "key_points:", "explanation:", "answer_index:106798"])
def test_json_debris_shown_as_options_is_caught(option):
    question = {
        "question": "What does slow start do to the congestion window?",
        "options": ["It doubles it every round trip", option, "It halves it", "It keeps it fixed"],
        "answer_index": 0,
        "explanation": "",
        "key_points": [],
    }
    assert _flaws(findings("quiz", question, [], [])) & {"json_fragment", "schema_field_echo", "debris"}


def test_a_correct_answer_reading_explanation_numbering_is_caught():
    question = {
        "question": "Which phase doubles the window?",
        "options": ["1. Explanation, 2.", "Congestion avoidance", "Fast recovery", "Timeout"],
        "answer_index": 0,
        "explanation": "",
        "key_points": [],
    }
    assert "schema_field_echo" in _flaws(findings("quiz", question, [], []))


# --- the notes of issue 30 --------------------------------------------------------------------
def test_notes_holding_the_prompt_field_names_and_an_open_fence_are_caught():
    prompt = prompts.topic_notes(BRIEF, "Growing the window", "Slow start", "", few_shot=True, context=SPEC)
    reference = prompts.reference_for(prompt, [BRIEF.topic, "Growing the window", "Slow start", *SPEC])
    draft = TopicNotesDraft(
        explanation="Fields: explanation, key_points, example; Explanation in clear and several paragraphs, "
        "markdown allowed. ```python\nwindow = 1\n## Key points swallowed by the fence",
        key_points=["explanation", "key_points", "The window doubles each round trip"],
        example="",
        interview_questions=["What is slow start?"],
    )
    found = notes_problems(draft, reference)
    assert {"schema_field_echo", "unclosed_fence"} <= _flaws(found)
    assert "names of the fields" in plain_reason(found)


def test_clean_notes_pass():
    prompt = prompts.topic_notes(BRIEF, "Growing the window", "Slow start", "", few_shot=True, context=SPEC)
    reference = prompts.reference_for(prompt, [BRIEF.topic, "Growing the window", "Slow start", *SPEC])
    draft = TopicNotesDraft(
        explanation="Slow start lets a new connection probe the path. Each acknowledgment adds one segment to "
        "the window, so the window doubles every round trip until it reaches the threshold.",
        key_points=["The window grows by one MSS per ACK", "Growth is exponential", "It stops at ssthresh"],
        example="```text\n10 → 20 → 40 → 80 segments\n```",
        interview_questions=["Why is slow start called slow?", "What ends slow start?"],
    )
    assert notes_problems(draft, reference) == []


# --- remediation plans and chat answers ---------------------------------------------------------
def test_a_remediation_plan_copying_its_example_is_caught():
    prompt = prompts.remediation(BRIEF, "Slow start", ["What doubles?"], SPEC, 3, few_shot=True)
    reference = prompts.reference_for(prompt, [BRIEF.topic, "Slow start", "What doubles?", *SPEC])
    draft = RemediationDraft.model_validate(
        {
            "explanation": "git merge joins the history of another branch into the current one.",
            "key_points": ["merge into the current branch", "conflicts must be resolved by hand"],
            "practice_questions": [{"question": "q?", "options": ["a", "b", "c", "d"], "answer": "a"}],
        }
    )
    assert "prompt_echo" in _flaws(remediation_problems(draft, reference))


def test_a_chat_answer_with_json_or_cut_off_is_caught():
    reference = prompts.reference_for(prompts.tutor_answer("How fast?", SPEC, []), ["How fast?", *SPEC])
    assert "json_fragment" in _flaws(answer_problems('answer": "it doubles", "citations": [1]', reference))
    assert "truncated" in _flaws(answer_problems("The window doubles every round trip until it reaches the", reference))
    assert answer_problems("The window doubles every round-trip time during slow start.", reference) == []


# --- each check alone ---------------------------------------------------------------------------
def test_each_check_on_its_own():
    assert (
        json_fragment('{"front": "x"')
        and json_fragment("confidence:0.9, answerable")
        and json_fragment("topic_ref: T1")
    )
    assert (
        json_fragment("The ratio is 3:1, roughly.") is None and json_fragment("Note: a window is a byte count.") is None
    )
    assert schema_echo("key_points") == "key_points" and schema_echo("Explanation") == "explanation"
    assert schema_echo("The explanation of slow start is simple.") is None
    assert raw_html("<h1>Understanding what it does</h1>") and raw_html("use `<div>` for blocks") is None
    assert raw_html("a < b and c > d") is None
    assert unclosed_fence("```python\nx = 1\n") and not unclosed_fence("```python\nx = 1\n```")
    assert (
        truncated("It grows until the")
        and not truncated("A function that keeps the scope it was defined in", sentence=False)
        and truncated("The congestion window is cut in half when three duplicate ACKs")
    )
    assert not truncated("Slow start") and not truncated("It doubles every round trip.")
    reference = PromptReference.of(["Each card: a short question or term on the front, a precise answer on the back"])
    assert prompt_echo("A short question or term on the front", reference)
    assert not prompt_echo("What does a short timeout cause?", reference)
    assert text_findings("front", "", reference) == []
