"""The labelled item set (tests/data/item_flaws.jsonl) run through the gate's own checks: what the
checks find per item, and precision/recall per reason. Shared by the test that holds the
thresholds to their targets and by `bench.item_flaws_bench`, which sweeps them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from studyflow.content_rules import quality_gate
from studyflow.content_rules.item_flaws import outline_flaws

LABELLED = Path(__file__).resolve().parents[1] / "data" / "item_flaws.jsonl"
KINDS = {"question": "quiz", "card": "flashcards"}


def load() -> list[dict]:
    return [json.loads(line) for line in LABELLED.read_text().splitlines() if line.strip()]


@dataclass(frozen=True)
class ItemVectors:
    record: list[list[float]]  # as quality_gate.texts_to_embed lists them
    excerpt: list[list[float]]


async def embed(items: list[dict], embedder) -> list[ItemVectors | None]:
    """Every text the checks need, embedded in one call (outlines need none)."""
    plans: list[tuple[list[str], list[str]] | None] = []
    for item in items:
        if item["kind"] == "outline":
            plans.append(None)
            continue
        context = [item["context"]] if item.get("context") else []
        plans.append((quality_gate.texts_to_embed(KINDS[item["kind"]], item, bool(context)), context))
    flat = [text for plan in plans if plan for part in plan for text in part]
    vectors = iter(await embedder.embed(flat))
    out: list[ItemVectors | None] = []
    for plan in plans:
        if plan is None:
            out.append(None)
        else:
            out.append(ItemVectors([next(vectors) for _ in plan[0]], [next(vectors) for _ in plan[1]]))
    return out


def predict(item: dict, vectors: ItemVectors | None, thresholds: quality_gate.GateThresholds) -> set[str]:
    if item["kind"] == "outline":
        chapters = [c["title"] for c in item["chapters"]]
        topics = [t for c in item["chapters"] for t in c["topics"]]
        return {f.flaw.value for f in outline_flaws(chapters, topics)}
    found = quality_gate.findings(KINDS[item["kind"]], item, vectors.record, vectors.excerpt, thresholds)
    return {f.flaw.value for f in found}


@dataclass(frozen=True)
class Score:
    reason: str
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        labelled = self.true_positives + self.false_negatives
        return self.true_positives / labelled if labelled else 1.0


def scores(items: list[dict], predictions: list[set[str]]) -> dict[str, Score]:
    reasons = sorted({r for item in items for r in item["flaws"]} | {r for p in predictions for r in p})
    result = {}
    for reason in reasons:
        tp = sum(1 for item, p in zip(items, predictions, strict=False) if reason in p and reason in item["flaws"])
        fp = sum(1 for item, p in zip(items, predictions, strict=False) if reason in p and reason not in item["flaws"])
        fn = sum(1 for item, p in zip(items, predictions, strict=False) if reason not in p and reason in item["flaws"])
        result[reason] = Score(reason, tp, fp, fn)
    return result


def mistakes(items: list[dict], predictions: list[set[str]]) -> list[str]:
    """One line per item the checks got wrong (for tuning)."""
    lines = []
    for item, predicted in zip(items, predictions, strict=False):
        labelled = set(item["flaws"])
        if predicted != labelled:
            text = item.get("question") or item.get("front") or item["chapters"][0]["title"]
            lines.append(f"{item['id']}: labelled {sorted(labelled)} found {sorted(predicted)}: {text[:70]}")
    return lines
