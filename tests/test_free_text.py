"""The free-text grading rules on their own (issue 34): agreement figures, the threshold choice,
quote validation of an LLM grader's reply, the short-answer item checks, extractive items, and
the embedded grader on a few answers of the labelled set (MiniLM, as the product runs it)."""

from __future__ import annotations

import pytest

from activities.embedders.local import LocalEmbedder
from bench.grading_data import load, split
from studyflow.extractive.sentences import Sentence
from studyflow.extractive.short_answers import short_answer_items
from studyflow.extractive.study_set import TopicMaterial
from studyflow.free_text import cues, embedded_grader
from studyflow.free_text.agreement import band, exact_agreement, quadratic_weighted_kappa
from studyflow.free_text.calibration import Graded, at_threshold, choose_threshold
from studyflow.free_text.item_checks import short_answer_flaws, texts_to_embed
from studyflow.free_text.llm_grades import check_reply, quote_in_answer, with_second_opinion
from studyflow.free_text.rubric import RubricPoint, grade_problems, total

RUBRIC = [RubricPoint("p1", "Chlorophyll absorbs light energy", 1), RubricPoint("p2", "Water is split", 2)]
ANSWER = "Light is absorbed by chlorophyll. The energy splits water, so oxygen is released."


def test_kappa_and_exact_agreement():
    assert quadratic_weighted_kappa([0, 1, 2, 3, 4], [0, 1, 2, 3, 4], 5) == 1.0
    assert quadratic_weighted_kappa([0, 4, 0, 4], [4, 0, 4, 0], 5) < 0
    # One step off on one of four: quadratic weights forgive it more than a far miss.
    near = quadratic_weighted_kappa([0, 1, 2, 4], [0, 1, 3, 4], 5)
    far = quadratic_weighted_kappa([0, 1, 2, 4], [0, 1, 2, 0], 5)
    assert 0.8 < near < 1.0 and far < near
    assert exact_agreement([1, 2, 3], [1, 2, 0]) == pytest.approx(2 / 3)
    assert [band(x) for x in (0, 0.1, 0.2, 0.375, 0.6, 0.9, 1)] == [0, 0, 1, 2, 2, 4, 4]


def test_the_threshold_is_the_lowest_whose_automatic_share_reaches_the_target():
    sure = [Graded(t, 0.9, t) for t in (0, 0.25, 0.5, 0.75, 1.0) * 6]
    unsure = [Graded(1.0, 0.3, 0.0), Graded(0.0, 0.2, 1.0)] * 6
    chosen = choose_threshold(sure + unsure, target_kappa=0.85)
    assert 0.3 < chosen.threshold <= 0.9 and chosen.auto_kappa == 1.0
    assert chosen.routed_share == pytest.approx(12 / 42)
    # Nothing reaches it: everything goes to a human.
    assert choose_threshold(unsure, target_kappa=0.85).routed_share == 1.0
    assert at_threshold(sure, 0.0).auto_count == len(sure)


def test_totals_and_grade_shapes():
    assert total(RUBRIC, {"p1": 1, "p2": 0.5}) == pytest.approx(2 / 3)
    assert grade_problems(RUBRIC, {"p1": 1, "p2": 0.5}) == []
    assert grade_problems(RUBRIC, {"p1": 0.7}) == [
        "no score for point(s) p2",
        "scores must be 0, 0.5 or 1 (point(s) p1)",
    ]
    assert grade_problems(RUBRIC, {"p1": 1, "p2": 1, "p9": 0}) == ["unknown point(s) p9"]


def test_quotes_must_come_from_the_answer():
    assert quote_in_answer("Light is absorbed by chlorophyll", ANSWER)
    assert quote_in_answer("“the energy splits water”", ANSWER)  # marks and case do not matter
    assert quote_in_answer("Light is absorbed ... oxygen is released", ANSWER)
    assert not quote_in_answer("chlorophyll absorbs light energy", ANSWER)  # the rubric's words, not theirs
    assert not quote_in_answer("", ANSWER)


def test_a_fabricated_quote_is_rejected_and_the_point_falls_back_with_no_confidence():
    reply = [
        {"point_id": "p1", "score": 1, "quote": "chlorophyll absorbs light energy", "confidence": 0.95},
        {"point_id": "p2", "score": 1, "quote": "The energy splits water", "confidence": 0.9},
    ]
    checked = check_reply(RUBRIC, ANSWER, reply, fallback_scores={"p1": 0.5, "p2": 0})
    p1, p2 = checked.points
    assert p1.rejected == "quote not found in the answer" and p1.score == 0.5 and p1.confidence == 0
    assert not p2.rejected and p2.score == 1 and p2.quote == "The energy splits water"
    assert checked.confidence == 0  # an answer is as certain as its least certain point
    # Credit with no quote is not taken either; an ungraded point falls back too.
    checked = check_reply(RUBRIC, ANSWER, [{"point_id": "p1", "score": 1, "quote": "", "confidence": 1}], {})
    assert [p.rejected for p in checked.points] == ["credit without a quote", "the model did not grade this point"]


def test_the_second_opinion_shrinks_confidence_where_the_graders_disagree():
    reply = [
        {"point_id": "p1", "score": 1, "quote": "Light is absorbed by chlorophyll", "confidence": 0.9},
        {"point_id": "p2", "score": 1, "quote": "The energy splits water", "confidence": 0.9},
    ]
    checked = check_reply(RUBRIC, ANSWER, reply, {})
    # Agreeing everywhere: the embedded grader's calibrated confidence, whatever the model claims.
    assert with_second_opinion(checked, {"p1": 1, "p2": 1}, 0.4) == 0.4
    assert with_second_opinion(checked, {"p1": 1, "p2": 0.5}, 0.95) == pytest.approx(0.45)
    assert with_second_opinion(checked, {"p1": 0, "p2": 1}, 0.95) == 0


def test_negation_and_opposite_cues():
    assert cues.polarity_differs("the result of one does affect the other", "does not affect the other")
    assert cues.polarity_differs("water isnt split", "water is split")
    assert not cues.polarity_differs("1 isn't prime", "1 is not prime")
    assert cues.opposite_in("water moves to the concentrated side", "water moves to the dilute side")
    assert cues.opposite_in("the rate decreases", "the rate increases")
    assert not cues.opposite_in("the rate increases a lot", "the rate increases")


def _item(question, points, quote_all=True):
    return {
        "question": question,
        "model_answer": "A full model answer.",
        "rubric": [
            {"id": f"p{i + 1}", "text": t, "weight": 1, "excerpt_quote": t if quote_all else ""}
            for i, t in enumerate(points)
        ],
    }


async def test_short_answer_item_checks():
    embedder = LocalEmbedder()
    excerpt = (
        "A deadlock is a state in which each process waits for a resource held by another, "
        "so none of them can proceed. It needs mutual exclusion and circular wait."
    )
    [excerpt_v] = await embedder.embed([excerpt])

    async def flaws(record):
        return short_answer_flaws(record, await embedder.embed(texts_to_embed(record)), [excerpt], [excerpt_v])

    good = _item(
        "Explain what a deadlock is.",
        ["each process waits for a resource held by another", "none of them can proceed"],
    )
    assert await flaws(good) == []
    assert await flaws(_item("Explain what a deadlock is.", ["A deadlock", "none of them can proceed"])) == [
        "point_restates_stem"
    ]
    assert await flaws(
        _item("Explain what a deadlock is.", ["none of them can proceed", "None of them can proceed!"])
    ) == ["duplicate_points"]
    ungrounded = _item(
        "Explain what a deadlock is.",
        ["each process waits for a resource held by another", "Photosynthesis releases oxygen from water"],
        quote_all=False,
    )
    assert await flaws(ungrounded) == ["ungrounded_point"]
    assert await flaws(_item("Explain what a deadlock is.", ["only one point here"])) == ["structure"]


def test_extractive_items_come_from_definition_sentences_with_quoted_clauses():
    sentences = [
        Sentence(
            "A deadlock is a state in which each process waits for a resource held by another, "
            "so that none of the processes can ever proceed.",
            0,
            0,
        ),
        Sentence("Deadlocks need mutual exclusion, hold and wait, no preemption and circular wait.", 1, 0),
    ]
    [made] = short_answer_items([TopicMaterial("T1", sentences, [0, 1], ["deadlock"], "Deadlocks")], 2)
    record = made.record
    assert record["kind"] == "short_answer" and record["question"] == "Explain in your own words what a deadlock is."
    assert record["model_answer"].startswith(sentences[0].text)
    assert 2 <= len(record["rubric"]) <= 5
    source = " ".join(s.text for s in sentences)
    assert all(p["excerpt_quote"] in source for p in record["rubric"])


async def test_the_embedded_grader_tells_a_full_answer_from_a_blank_and_an_off_topic_one():
    rows = {r.category: r for r in load() if r.question_id == "econ-gdp-per-capita"}
    embedder = LocalEmbedder()
    graded = {}
    for category in ("correct", "off_topic_fluent", "blank_or_minimal"):
        row = rows[category]
        vectors = await embedder.embed(embedded_grader.texts_to_embed(row.item, row.answer))
        graded[category] = embedded_grader.grade(row.item, row.answer, vectors)
    assert graded["correct"].total >= 0.75
    assert graded["off_topic_fluent"].total <= 0.25
    assert graded["blank_or_minimal"].total == 0
    # Feedback quotes the learner's own sentences for what it credits.
    assert all(p.evidence in rows["correct"].answer for p in graded["correct"].points if p.score)


def test_the_labelled_set_splits_by_question():
    tuning, held = split(load())
    assert len(tuning) + len(held) >= 200
    assert not {r.question_id for r in tuning} & {r.question_id for r in held}
    assert len({r.subject for r in load()}) >= 6
