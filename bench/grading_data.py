"""The labelled short-answer set (tests/data/short_answers.jsonl) as the graders read it, split
by question into a tuning part and a held-out part (every third question, by first appearance,
is held out, so no answer to a held-out question is seen while fitting or choosing a threshold)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from studyflow.free_text.embedded_grader import Item
from studyflow.free_text.rubric import RubricPoint, total

PATH = Path(__file__).resolve().parent.parent / "tests" / "data" / "short_answers.jsonl"


@dataclass(frozen=True)
class Labelled:
    id: str
    question_id: str
    subject: str
    category: str
    item: Item
    answer: str
    scores: dict[str, float]
    excerpt: str

    @property
    def label_total(self) -> float:
        return total(self.item.rubric, self.scores)


def load(path: Path = PATH) -> list[Labelled]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [
        Labelled(
            id=r["id"],
            question_id=r["question_id"],
            subject=r["subject"],
            category=r["category"],
            item=Item(r["question"], r["model_answer"], [RubricPoint.of(p) for p in r["rubric"]]),
            answer=r["answer"],
            scores={k: float(v) for k, v in r["scores"].items()},
            excerpt=r["excerpt"],
        )
        for r in rows
    ]


def split(rows: list[Labelled]) -> tuple[list[Labelled], list[Labelled]]:
    order = list(dict.fromkeys(r.question_id for r in rows))
    held = {q for i, q in enumerate(order) if i % 3 == 0}
    return [r for r in rows if r.question_id not in held], [r for r in rows if r.question_id in held]
