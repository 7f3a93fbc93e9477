"""Reading the answer out of a tutor reply that is still streaming, and the reply's bounds."""

from __future__ import annotations

from activities.llm.partial_json import partial_string_field
from studyflow.contracts.llm_drafts import TutorAnswerDraft


def test_the_answer_grows_as_the_json_arrives_and_escapes_are_decoded_whole():
    reply = '{"answer": "Base cases stop\\n recursion \\u00e9 \\"here\\"", "citations": [1]}'
    seen = [partial_string_field(reply[:end], "answer") for end in range(len(reply) + 1)]
    assert seen[0] == "" and seen[-1] == 'Base cases stop\n recursion é "here"'
    assert all(
        later.startswith(earlier) for earlier, later in zip(seen, seen[1:], strict=False)
    )  # never shrinks or garbles
    assert partial_string_field('{"confidence": 0.5', "answer") == ""


def test_a_small_models_out_of_range_confidence_is_clamped_not_rejected():
    assert TutorAnswerDraft.model_validate({"answer": "x", "confidence": 3}).confidence == 1.0
    assert TutorAnswerDraft.model_validate({"answer": "x", "confidence": -1}).confidence == 0.0
