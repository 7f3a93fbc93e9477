"""Precision and recall of each output check on REAL outputs of the bundled model
(`tests/data/bundled_outputs.jsonl`: texts SmolLM2-135M wrote through the product's prompts —
collected by bench/collect_bundled_outputs.py — each labelled by reading it with the checks that
should fire), reported apart from the hand-written set (bench/item_flaws_bench.py).

Run: `.venv/bin/python -m bench.bundled_outputs_bench` (a second; no model needed).
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path

from activities.llm import prompts
from studyflow.content_rules.item_flaws import debris
from studyflow.content_rules.output_checks import text_findings
from studyflow.content_rules.prompt_echo import PromptReference

LABELLED = Path(__file__).resolve().parent.parent / "tests" / "data" / "bundled_outputs.jsonl"
CHECKS = ("json_fragment", "schema_field_echo", "prompt_echo", "raw_html", "unclosed_fence", "truncated", "debris")
# Fields a learner reads as sentences (cut-off ones are flagged), and fields that are markdown.
SENTENCE_FIELDS = {"explanation", "answer", "question_explanation"}
MARKDOWN_FIELDS = {"explanation", "example"}
_PLACEHOLDER = "PLACEHOLDER-SUBJECT"


@cache
def reference(kind: str, origin: str) -> PromptReference:
    """The wording of the prompt each output answered (its learner inputs left out), rebuilt from
    the same prompt functions with placeholder inputs removed again; the learner's own subject is
    the topic asked for, or the document's name."""
    brief = prompts.CourseBrief(_PLACEHOLDER, "practical", "beginner", {})
    subject = origin.removeprefix("doc:").replace("-", " ")
    own = [_PLACEHOLDER, "PLACEHOLDER-TITLE", "PLACEHOLDER-MATERIAL", subject]
    topics = [("T1", "PLACEHOLDER-TITLE")]
    builders = {
        "course_outline": lambda: prompts.course_outline(brief, 3, 3, 5, few_shot=True, material=[own[2]]),
        "topic_notes": lambda: prompts.topic_notes(brief, own[1], own[1], "", few_shot=True, context=[own[2]]),
        "flashcards": lambda: prompts.flashcards(brief, topics, [own[2]], 6, few_shot=True, source_refs=["S1"]),
        "quiz": lambda: prompts.quiz(brief, topics, [own[2]], 4, few_shot=True, source_refs=["S1"]),
        "remediation": lambda: prompts.remediation(brief, own[1], [own[1]], [own[2]], 3, few_shot=True),
        "tutor_answer": lambda: prompts.tutor_answer(own[1], [own[2]], [], few_shot=True),
    }
    return prompts.reference_for(builders[kind](), own)


def predicted(unit: dict) -> set[str]:
    field, text, kind = unit["field"], unit["text"], unit["kind"]
    found = text_findings(
        field,
        text,
        reference(kind, unit["origin"]),
        sentence=field in SENTENCE_FIELDS,
        markdown=kind == "topic_notes" and field in MARKDOWN_FIELDS,
    )
    flaws = {f.flaw.value for f in found}
    if not (kind == "topic_notes" and field in MARKDOWN_FIELDS) and debris(text):
        flaws.add("debris")  # the item gate's own check: brackets, quotes, fences left over
    return flaws


def score(units: list[dict]) -> dict[str, tuple[int, int, int]]:
    """Per check: (true positives, predicted, labelled)."""
    counts = {check: [0, 0, 0] for check in CHECKS}
    for unit in units:
        labels, found = set(unit["labels"]) - {"other"}, predicted(unit)
        for check in CHECKS:
            counts[check][0] += check in labels and check in found
            counts[check][1] += check in found
            counts[check][2] += check in labels
    return {check: tuple(value) for check, value in counts.items()}


def report(title: str, units: list[dict]) -> None:
    kinds = Counter(u["kind"] for u in units)
    flawed = sum(1 for u in units if set(u["labels"]) - {"other"})
    other = sum(1 for u in units if u["labels"] == ["other"])
    print(
        f"\n{title}: {len(units)} texts ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}); {flawed} with a "
        f"flaw a check should find, {other} unusable for other reasons (`other`: nonsense, wrong facts, talk about "
        "the task — no check is meant to find those)"
    )
    print(f"{'check':<20}{'labelled':>9}{'flagged':>9}{'precision':>11}{'recall':>8}")
    for check, (hit, found, real) in score(units).items():
        precision = f"{hit / found:.2f}" if found else "n/a"
        recall = f"{hit / real:.2f}" if real else "n/a"
        print(f"{check:<20}{real:>9}{found:>9}{precision:>11}{recall:>8}")
    any_hit = sum(1 for u in units if set(u["labels"]) - {"other"} and predicted(u))
    any_found = sum(1 for u in units if predicted(u))
    print(
        f"any flaw: precision {any_hit / any_found:.2f} ({any_hit}/{any_found} flagged texts are flawed), "
        f"recall {any_hit / flawed:.2f} ({any_hit}/{flawed} flawed texts flagged)"
    )


def main() -> None:
    units = [json.loads(line) for line in LABELLED.read_text().splitlines() if line.strip()]
    print(f"real outputs of the bundled model ({len({(u['origin'], u['kind']) for u in units})} replies sampled)")
    # b…: 400 texts read and labelled first, then used to extend the checks (no clean figure);
    # h…: 100 more drawn afterwards from the texts not yet seen, labelled before running the checks.
    report("tuning part (b001-b400)", [u for u in units if u["id"].startswith("b")])
    report("held-out part (h001-h100)", [u for u in units if u["id"].startswith("h")])


if __name__ == "__main__":
    main()
