"""The output checks on real outputs of the bundled model (tests/data/bundled_outputs.jsonl,
labelled by reading them; bench/bundled_outputs_bench.py prints the figures per part)."""

from __future__ import annotations

import json

from bench.bundled_outputs_bench import CHECKS, LABELLED, score


def _units() -> list[dict]:
    return [json.loads(line) for line in LABELLED.read_text().splitlines() if line.strip()]


def test_the_labelled_real_outputs_are_a_few_hundred_with_a_held_out_part():
    units = _units()
    assert len(units) >= 400 and len({u["id"] for u in units}) == len(units)
    assert sum(1 for u in units if u["id"].startswith("h")) >= 100
    assert {label for u in units for label in u["labels"]} <= {*CHECKS, "other"}
    assert {u["kind"] for u in units} == {
        "course_outline", "topic_notes", "flashcards", "quiz", "remediation", "tutor_answer"
    }  # fmt: skip


def test_each_check_is_precise_on_real_outputs_and_finds_most_of_its_flaw():
    for check, (hit, found, real) in score(_units()).items():
        if real < 5:
            continue  # raw HTML and open fences are rare in this model's outputs: their unit tests cover them
        assert hit / found >= 0.9, (check, hit, found)
        assert hit / real >= 0.75, (check, hit, real)
