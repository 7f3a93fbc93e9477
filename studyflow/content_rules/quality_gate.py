"""The quality gate's rules for one set of questions or cards (pure: texts and vectors in,
findings and a report out). `activities.quality_gate` embeds, asks for repairs and applies them.

Every finding but `ungrounded` sends the item back to the model once and drops it if the rewrite
still fails. `ungrounded` only flags it: for a course built from a topic, the excerpts are the
course's own notes, weak evidence to throw a question away on; the flag is stored and counted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from studyflow.content_rules.groundedness import (
    DEFAULT_MIN_SIMILARITY,
    card_claim,
    card_grounding,
    question_claims,
    question_grounding,
)
from studyflow.content_rules.item_flaws import Finding, Flaw, FlawThresholds, card_flaws, question_flaws
from studyflow.content_rules.output_checks import NO_REFERENCE, text_findings
from studyflow.content_rules.prompt_echo import PromptReference

FLAGS_ONLY = frozenset({Flaw.UNGROUNDED})


@dataclass(frozen=True)
class GateThresholds:
    flaws: FlawThresholds = field(default_factory=FlawThresholds)
    grounded_similarity: float = DEFAULT_MIN_SIMILARITY


def texts_to_embed(kind: str, record: dict, grounding: bool) -> list[str]:
    """What one record needs embedded, in the order `findings` reads it back."""
    if kind == "quiz":
        texts = list(record["options"])
        return texts + question_claims(record["question"], record["options"]) if grounding else texts
    return [card_claim(record["front"], record["back"])] if grounding else []


def findings(
    kind: str,
    record: dict,
    vectors: list[list[float]],
    excerpt_vectors: list[list[float]],
    thresholds: GateThresholds = GateThresholds(),
    reference: PromptReference = NO_REFERENCE,
) -> list[Finding]:
    """Every finding for a structurally valid record; `vectors` as `texts_to_embed` listed them.
    `reference`: what the model was told, for the prompt-echo check."""
    if kind == "quiz":
        options = record["options"]
        found = question_flaws(
            record["question"],
            options,
            record["answer_index"],
            explanation=record.get("explanation", ""),
            key_points=record.get("key_points", []),
            option_vectors=vectors[: len(options)] or None,
            thresholds=thresholds.flaws,
        )
        claims = vectors[len(options) :]
        grounding = (
            question_grounding(claims, record["answer_index"], excerpt_vectors, thresholds.grounded_similarity)
            if claims
            else None
        )
    else:
        found = card_flaws(record["front"], record["back"])
        grounding = card_grounding(vectors[0], excerpt_vectors, thresholds.grounded_similarity) if vectors else None
    found += _model_failures(kind, record, reference, {f.flaw for f in found})
    return found + ([grounding] if grounding else [])


def _model_failures(kind: str, record: dict, reference: PromptReference, already: set) -> list[Finding]:
    """The checks every model-written text gets (`output_checks`), one finding per flaw."""
    if kind == "quiz":
        texts = {"question": record["question"], "explanation": record.get("explanation", "")}
        texts.update({f"option {'ABCD'[i]}": o for i, o in enumerate(record["options"])})
        texts.update({f"key point {i + 1}": p for i, p in enumerate(record.get("key_points", []))})
    else:
        texts = {"front": record["front"], "back": record["back"]}
    found = []
    for name, text in texts.items():
        for finding in text_findings(name, text, reference):
            # A card or question may be about HTML ("What does <br> do?"); it is shown as text,
            # never rendered. Tags are a failure in titles, notes, plans and answers.
            if finding.flaw is Flaw.RAW_HTML:
                continue
            # 'Rome",' ends on a comma because JSON was left in it: that is debris, not a cut sentence.
            if finding.flaw is Flaw.TRUNCATED and Flaw.DEBRIS in already:
                continue
            if finding.flaw not in already:
                already.add(finding.flaw)
                found.append(finding)
    return found


def blocking(found: list[Finding]) -> list[Finding]:
    """The findings that send an item back for a rewrite (and drop it if the rewrite fails)."""
    return [f for f in found if f.flaw not in FLAGS_ONLY]


class QualityReport(BaseModel):
    """What the gate did to one generated set; stored with the set and returned by the API."""

    requested: int = Field(description="items asked of the model")
    invalid: int = Field(description="dropped before the gate: not structurally valid (options, answer, topic)")
    checked: int = Field(description="structurally valid items the gate checked")
    passed: int = Field(description="items that passed every check the first time")
    repaired: int = Field(description="flawed items the model rewrote into items that pass")
    dropped: int = Field(description="flawed items dropped: the rewrite failed too, or none was possible")
    served: int = Field(description="items in the set")
    found: dict[str, int] = Field(default_factory=dict, description="items with each flaw at the first check")
    dropped_by_reason: dict[str, int] = Field(default_factory=dict, description="reasons of the dropped items")
    flagged: dict[str, int] = Field(default_factory=dict, description="served items carrying a flag (ungrounded)")
    gate_ms: int = Field(default=0, description="time the gate added: checks, embeddings and the repair call")


@dataclass
class GateTally:
    """Counts kept while a set goes through the gate, turned into a report at the end."""

    requested: int
    invalid: int
    checked: int = 0
    passed: int = 0
    repaired: int = 0
    found: Counter = field(default_factory=Counter)
    dropped_by_reason: Counter = field(default_factory=Counter)

    def first_check(self, found: list[list[Finding]]) -> None:
        self.checked = len(found)
        self.passed = sum(1 for f in found if not blocking(f))
        for item in found:
            self.found.update({f.flaw.value for f in item})

    def drop(self, found: list[Finding]) -> None:
        self.dropped_by_reason.update({f.flaw.value for f in blocking(found)})

    def report(self, served: list[dict], gate_ms: int) -> QualityReport:
        flagged = Counter(flag for record in served for flag in record.get("quality_flags", []))
        return QualityReport(
            requested=self.requested,
            invalid=self.invalid,
            checked=self.checked,
            passed=self.passed,
            repaired=self.repaired,
            dropped=self.checked - self.passed - self.repaired,
            served=len(served),
            found=dict(sorted(self.found.items())),
            dropped_by_reason=dict(sorted(self.dropped_by_reason.items())),
            flagged=dict(sorted(flagged.items())),
            gate_ms=gate_ms,
        )


def summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{reason} ×{n}" for reason, n in sorted(counts.items(), key=lambda kv: -kv[1])) or "none"
