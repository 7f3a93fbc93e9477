"""The quality gate as the study-content activity runs it: embed what the checks need (one call
per round), find each item's flaws, send the flawed items back to the model once with their
reasons, keep what passes and report the rest. The rules themselves are pure
(`studyflow.content_rules.quality_gate`)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from activities.embedders import Embedder
from activities.heartbeat import heartbeating
from activities.llm import prompts
from activities.llm.errors import LlmOutputInvalidError
from activities.llm.gateway import LlmGateway
from studyflow.content_rules.item_flaws import Finding, FlawThresholds
from studyflow.content_rules.output_checks import NO_REFERENCE
from studyflow.content_rules.prompt_echo import PromptReference
from studyflow.content_rules.quality_gate import (
    GateTally,
    GateThresholds,
    QualityReport,
    blocking,
    findings,
    texts_to_embed,
)
from studyflow.content_rules.study_validation import as_draft, record_key, validate_one
from studyflow.settings import Settings

# Flawed records with the problems to fix → a replacement per record, in order (None: the
# rewrite of that one was unusable, or there was no rewrite at all).
Repairer = Callable[[list[tuple[dict, list[str]]]], Awaitable[list[dict | None]]]


@dataclass(frozen=True)
class GateResult:
    records: list[dict]
    report: QualityReport


def thresholds_from(settings: Settings) -> GateThresholds:
    return GateThresholds(
        flaws=FlawThresholds(
            longest_ratio=settings.item_longest_option_ratio,
            longest_margin_chars=settings.item_longest_option_margin_chars,
            near_duplicate_similarity=settings.item_near_duplicate_similarity,
        ),
        grounded_similarity=settings.item_grounded_similarity,
    )


def llm_repairer(llm: LlmGateway, ctx: prompts.RepairContext, output_type, topic_refs: set[str], **call) -> Repairer:
    """Asks the model once for a rewrite of every flawed record. `call` goes to the gateway
    (idempotency key, subject, learner): a retried activity reuses a rewrite already paid for. A
    reply that is not valid JSON even after the gateway's own repair round rewrites nothing."""

    async def repair(flawed: list[tuple[dict, list[str]]]) -> list[dict | None]:
        request = prompts.item_repair(ctx, [(as_draft(ctx.kind, record), problems) for record, problems in flawed])
        try:
            async with heartbeating():
                fixed = await llm.generate(request, output_type, **call)
        except LlmOutputInvalidError:
            return []
        rewrites = fixed.value.questions if ctx.kind == "quiz" else fixed.value.cards
        # Each rewrite is validated on its own, so one unusable rewrite does not shift the others.
        return [validate_one(ctx.kind, rewrite, topic_refs) for rewrite in rewrites]

    return repair


def _with_flags(record: dict, found: list[Finding]) -> dict:
    flags = sorted({f.flaw.value for f in found} - {f.flaw.value for f in blocking(found)})
    return {**record, "quality_flags": flags} if flags else record


class QualityGate:
    def __init__(self, embedder: Embedder, thresholds: GateThresholds):
        self._embedder = embedder
        self._thresholds = thresholds

    async def _inspect(
        self, kind: str, records: list[dict], excerpts: list[list[float]], reference: PromptReference
    ) -> list[list[Finding]]:
        plans = [texts_to_embed(kind, record, grounding=bool(excerpts)) for record in records]
        vectors = iter(await self._embedder.embed([text for plan in plans for text in plan]))
        return [
            findings(kind, record, [next(vectors) for _ in plan], excerpts, self._thresholds, reference)
            for record, plan in zip(records, plans, strict=True)
        ]

    async def apply(
        self,
        kind: str,
        records: list[dict],
        *,
        requested: int,
        invalid: int,
        excerpts: list[list[float]],
        repair: Repairer,
        reference: PromptReference = NO_REFERENCE,
    ) -> GateResult:
        """`records` passed structural validation; `excerpts` are the vectors of the chunks the
        generation saw (none: no groundedness verdicts)."""
        started = time.perf_counter()
        tally = GateTally(requested=requested, invalid=invalid)
        found = await self._inspect(kind, records, excerpts, reference)
        tally.first_check(found)
        flawed = [i for i, item in enumerate(found) if blocking(item)]
        kept = {i: _with_flags(records[i], found[i]) for i in range(len(records)) if i not in flawed}
        if flawed:
            rewrites = await repair([(records[i], [f.detail for f in blocking(found[i])]) for i in flawed])
            usable = [(i, r) for i, r in zip(flawed, rewrites, strict=False) if r is not None]
            rechecked = dict(
                zip(
                    [i for i, _ in usable],
                    await self._inspect(kind, [r for _, r in usable], excerpts, reference),
                    strict=False,
                )
            )
            rewritten = dict(usable)
            taken = {record_key(kind, record) for record in kept.values()}
            for i in flawed:
                rewrite = rewritten.get(i)
                if rewrite is not None and not blocking(rechecked[i]) and record_key(kind, rewrite) not in taken:
                    kept[i] = _with_flags(rewrite, rechecked[i])
                    taken.add(record_key(kind, rewrite))
                    tally.repaired += 1
                else:
                    tally.drop(found[i])
        served = [kept[i] for i in sorted(kept)]
        return GateResult(served, tally.report(served, gate_ms=int((time.perf_counter() - started) * 1000)))


async def no_repair(flawed: list[tuple[dict, list[str]]]) -> list[dict | None]:
    """Items cut from the learner's material have no writer to send them back to: a flawed one
    is dropped."""
    return []
