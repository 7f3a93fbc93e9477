"""Validate tests/data/short_answers.jsonl, the hand-labelled short-answer grading set.

Run: python3 tests/data/short_answers_check.py [path]   (standard library only)

Checks the schema, the rubric (2-5 points, weights 1-3, every excerpt_quote a verbatim substring of the
excerpt), the scores (only and all of the rubric's ids, values 0/0.5/1), the categories, the size
(>= 220 rows, >= 44 questions, >= 7 subjects), and the marking scheme's invariants that tie each
category to the scores (see short_answers.md). Prints counts per subject and per category and the
distribution of total scores. Exits 1 if anything fails.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
from collections import Counter, defaultdict
from pathlib import Path

DEFAULT_PATH = Path(__file__).with_name("short_answers.jsonl")

CATEGORIES = (
    "correct",
    "correct_unusual_wording",
    "partly_right",
    "right_words_wrong_claim",
    "negation",
    "off_topic_fluent",
    "copied_stem",
    "wrong",
    "blank_or_minimal",
)
SUBJECTS = {"biology", "chemistry", "physics", "history", "mathematics", "programming", "economics", "geography"}
REQUIRED = {
    "id": str,
    "subject": str,
    "question_id": str,
    "question": str,
    "excerpt": str,
    "model_answer": str,
    "rubric": list,
    "answer": str,
    "scores": dict,
    "category": str,
    "note": str,
}
SHARED_PER_QUESTION = ("subject", "question", "excerpt", "model_answer", "rubric")
SCORE_VALUES = {0, 0.5, 1}
MIN_ROWS, MIN_QUESTIONS, MIN_SUBJECTS = 220, 44, 7
EXCERPT_WORDS = (60, 150)
MAX_ANSWER_WORDS = 80
# Learners drop apostrophes ("dont", "isnt"), so those spellings count too.
NEGATION_CUE = re.compile(
    r"\b(not|no|never|none|nothing|neither|nor|without|cannot|"
    r"(do|does|did|is|are|was|were|ca|wo|could|should|would|has|have|had)nt)\b|n't\b",
    re.IGNORECASE,
)


def total_score(row: dict) -> float:
    weights = {p["id"]: p["weight"] for p in row["rubric"]}
    return sum(weights[k] * v for k, v in row["scores"].items()) / sum(weights.values())


def check_row(row: dict, where: str) -> list[str]:
    errors = []
    for key, typ in REQUIRED.items():
        if key not in row:
            errors.append(f"{where}: missing key {key!r}")
        elif not isinstance(row[key], typ):
            errors.append(f"{where}: {key!r} should be {typ.__name__}")
    if errors:
        return errors
    extra = set(row) - set(REQUIRED)
    if extra:
        errors.append(f"{where}: unexpected keys {sorted(extra)}")
    for key in ("id", "question_id", "question", "excerpt", "model_answer", "note"):
        if not row[key].strip():
            errors.append(f"{where}: empty {key!r}")
    if not row["id"].startswith(row["question_id"] + "-"):
        errors.append(f"{where}: id does not start with question_id")
    if row["subject"] not in SUBJECTS:
        errors.append(f"{where}: unknown subject {row['subject']!r}")
    if row["category"] not in CATEGORIES:
        errors.append(f"{where}: unknown category {row['category']!r}")

    n_words = len(row["excerpt"].split())
    if not EXCERPT_WORDS[0] <= n_words <= EXCERPT_WORDS[1]:
        errors.append(f"{where}: excerpt has {n_words} words, want {EXCERPT_WORDS[0]}-{EXCERPT_WORDS[1]}")
    if len(row["answer"].split()) > MAX_ANSWER_WORDS:
        errors.append(f"{where}: answer longer than {MAX_ANSWER_WORDS} words")
    if not row["answer"].strip() and row["category"] != "blank_or_minimal":
        errors.append(f"{where}: empty answer must be blank_or_minimal")

    rubric = row["rubric"]
    if not 2 <= len(rubric) <= 5:
        errors.append(f"{where}: rubric has {len(rubric)} points, want 2-5")
    ids = []
    for i, point in enumerate(rubric):
        pw = f"{where} rubric[{i}]"
        if not isinstance(point, dict) or set(point) != {"id", "text", "weight", "excerpt_quote"}:
            errors.append(f"{pw}: want exactly the keys id, text, weight, excerpt_quote")
            continue
        ids.append(point["id"])
        if not isinstance(point["text"], str) or not point["text"].strip():
            errors.append(f"{pw}: empty text")
        elif point["text"].strip().lower() in row["question"].lower():
            errors.append(f"{pw}: text restates the question")
        w = point["weight"]
        if not isinstance(w, int) or isinstance(w, bool) or not 1 <= w <= 3:
            errors.append(f"{pw}: weight {w!r} not an integer 1-3")
        q = point["excerpt_quote"]
        if not isinstance(q, str) or len(q.strip()) < 3:
            errors.append(f"{pw}: excerpt_quote missing or too short")
        elif q not in row["excerpt"]:
            errors.append(f"{pw}: excerpt_quote is not a verbatim substring of the excerpt: {q!r}")
    if len(set(ids)) != len(ids):
        errors.append(f"{where}: duplicate rubric ids")
    if errors:
        return errors

    scores = row["scores"]
    unknown = set(scores) - set(ids)
    missing = set(ids) - set(scores)
    if unknown:
        errors.append(f"{where}: scores for ids not in the rubric: {sorted(unknown)}")
    if missing:
        errors.append(f"{where}: rubric points not scored: {sorted(missing)}")
    for k, v in scores.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v not in SCORE_VALUES:
            errors.append(f"{where}: score {k}={v!r} not in {{0, 0.5, 1}}")
    if errors:
        return errors

    # Invariants of the marking scheme (short_answers.md, "Categories").
    t, cat = total_score(row), row["category"]
    zero_points = [p for p in rubric if scores[p["id"]] == 0]
    if cat in ("correct", "correct_unusual_wording") and t != 1:
        errors.append(f"{where}: {cat} needs every point at 1 (total {t:.3f})")
    if cat == "partly_right" and not 0 < t < 1:
        errors.append(f"{where}: partly_right needs 0 < total < 1 (total {t:.3f})")
    if cat == "right_words_wrong_claim" and t == 1:
        errors.append(f"{where}: right_words_wrong_claim needs a point below 1")
    if cat == "negation" and not zero_points:
        errors.append(f"{where}: negation needs the negated point scored 0")
    if cat == "negation" and not (
        NEGATION_CUE.search(row["answer"])
        or any(NEGATION_CUE.search(p["text"] + " " + p["excerpt_quote"]) for p in zero_points)
    ):
        errors.append(f"{where}: negation needs a negation cue in the answer or a dropped one in a zero-scored point")
    if cat == "wrong" and t > 0.25:
        errors.append(f"{where}: wrong needs total <= 0.25 (total {t:.3f})")
    if cat in ("off_topic_fluent", "copied_stem", "blank_or_minimal") and t != 0:
        errors.append(f"{where}: {cat} needs total 0 (total {t:.3f})")
    return errors


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT_PATH
    errors: list[str] = []
    rows: list[dict] = []
    lines = path.read_text(encoding="utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for n, line in enumerate(lines, 1):
        where = f"line {n}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"{where}: not JSON ({exc})")
            continue
        if not isinstance(row, dict):
            errors.append(f"{where}: not a JSON object")
            continue
        where = f"line {n} ({row.get('id', '?')})"
        row_errors = check_row(row, where)
        errors += row_errors
        if not row_errors:
            rows.append(row)

    ids = Counter(r["id"] for r in rows)
    errors += [f"duplicate id {i!r} ({c} rows)" for i, c in ids.items() if c > 1]
    by_question: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_question[r["question_id"]].append(r)
    for qid, group in by_question.items():
        for key in SHARED_PER_QUESTION:
            if any(r[key] != group[0][key] for r in group):
                errors.append(f"question {qid}: rows disagree on {key!r}")
        if len({r["answer"] for r in group}) != len(group):
            errors.append(f"question {qid}: duplicate answers")

    subjects = Counter(r["subject"] for r in rows)
    questions_per_subject = Counter(g[0]["subject"] for g in by_question.values())
    if len(lines) < MIN_ROWS:
        errors.append(f"{len(lines)} rows, want >= {MIN_ROWS}")
    if len(by_question) < MIN_QUESTIONS:
        errors.append(f"{len(by_question)} questions, want >= {MIN_QUESTIONS}")
    if len(subjects) < MIN_SUBJECTS:
        errors.append(f"{len(subjects)} subjects, want >= {MIN_SUBJECTS}")

    print(f"{path.name}: {len(lines)} rows, {len(by_question)} questions, {len(subjects)} subjects")
    print("\nper subject (answers / questions):")
    for s, c in sorted(subjects.items()):
        print(f"  {s:<14} {c:>4} / {questions_per_subject[s]}")
    print("\nper category (answers, share, mean total score):")
    categories = Counter(r["category"] for r in rows)
    for cat in CATEGORIES:
        group = [total_score(r) for r in rows if r["category"] == cat]
        mean = f"{statistics.fmean(group):.2f}" if group else "-"
        print(f"  {cat:<24} {categories[cat]:>4}  {100 * categories[cat] / max(len(rows), 1):5.1f}%  {mean}")
    totals = sorted(total_score(r) for r in rows)
    if totals:
        bins = [
            ("0 (nothing)", lambda t: t == 0),
            ("(0, 0.25]", lambda t: 0 < t <= 0.25),
            ("(0.25, 0.5]", lambda t: 0.25 < t <= 0.5),
            ("(0.5, 0.75]", lambda t: 0.5 < t <= 0.75),
            ("(0.75, 1)", lambda t: 0.75 < t < 1),
            ("1 (full)", lambda t: t == 1),
        ]
        print("\ntotal score = sum(weight x score) / sum(weights), by quarter of the 0-1 range:")
        for label, test in bins:
            c = sum(1 for t in totals if test(t))
            print(f"  {label:<12} {c:>4}  {100 * c / len(totals):5.1f}%")
        q1, q2, q3 = statistics.quantiles(totals, n=4, method="inclusive")
        print(
            f"  quartiles over answers: min {totals[0]:.3f}  Q1 {q1:.3f}  median {q2:.3f}  "
            f"Q3 {q3:.3f}  max {totals[-1]:.3f}  mean {statistics.fmean(totals):.3f}"
        )
        point_scores = Counter(v for r in rows for v in r["scores"].values())
        print(
            f"  per-point scores: 0 x{point_scores[0]}, 0.5 x{point_scores[0.5]}, 1 x{point_scores[1]}"
        )

    if errors:
        print(f"\nFAILED: {len(errors)} problem(s)")
        for e in errors[:200]:
            print("  " + e)
        return 1
    print("\nOK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
