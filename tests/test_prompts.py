"""Prompts are finished where they are built: the few-shot example is added by the builder, and
the gateway sends what it is given without reaching back into the prompts."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from activities.llm import prompts
from studyflow.contracts.llm_drafts import TutorAnswerDraft

BRIEF = prompts.CourseBrief("SQL joins", "practical", "beginner", {})


def test_a_worked_example_sits_between_the_system_message_and_the_request_when_asked_for():
    plain = prompts.topic_notes(BRIEF, "Basics", "Inner joins", "")
    shown = prompts.topic_notes(BRIEF, "Basics", "Inner joins", "", few_shot=True)
    assert [m["role"] for m in plain.messages] == ["system", "user"]
    assert [m["role"] for m in shown.messages] == ["system", "user", "assistant", "user"]
    assert shown.messages[0] == plain.messages[0] and shown.messages[-1] == plain.messages[-1]
    assert "explanation" in json.loads(shown.messages[2]["content"])
    assert plain.version == shown.version == prompts.PROMPT_VERSION


def test_requests_without_a_worked_example_are_left_as_they_are():
    # Cards and quizzes have none on purpose: the small model copied them verbatim.
    assert prompts.quiz(BRIEF, [("T1", "Inner")], [], 3, few_shot=True) == prompts.quiz(BRIEF, [("T1", "Inner")], [], 3)


def test_the_gateway_does_not_import_the_prompts():
    gateway = Path(prompts.__file__).with_name("gateway.py")
    imported = {node.module for node in ast.walk(ast.parse(gateway.read_text())) if isinstance(node, ast.ImportFrom)}
    assert "activities.llm.prompts" not in imported and "activities.llm.request" in imported


def test_the_tutor_example_is_a_valid_cited_answer_and_excerpts_are_the_only_citable_numbers():
    shown = prompts.tutor_answer("Why?", ["a.md, § A: first", "a.md, § B: second"], [], few_shot=True)
    example = TutorAnswerDraft.model_validate_json(shown.messages[2]["content"])
    assert example.answerable and example.citations == [2]
    assert shown.schema["properties"]["citations"]["items"]["enum"] == [1, 2]
    assert "[1] a.md, § A: first\n[2] a.md, § B: second" in shown.messages[-1]["content"]
