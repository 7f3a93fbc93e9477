"""The quality gate for generated short-answer items (`studyflow.free_text.item_checks`): embed
what the checks need in one call, drop what fails, report the reasons."""

from __future__ import annotations

from collections import Counter

from activities.embedders import Embedder
from studyflow.free_text.item_checks import short_answer_flaws, texts_to_embed


async def gate_short_answers(
    embedder: Embedder, records: list[dict], excerpts: list[str], excerpt_vectors: list[list[float]]
) -> tuple[list[dict], dict]:
    plans = [texts_to_embed(r) for r in records]
    flat = [t for plan in plans for t in plan]
    vectors = iter(await embedder.embed(flat)) if flat else iter(())
    kept: list[dict] = []
    dropped: Counter[str] = Counter()
    for record, plan in zip(records, plans, strict=True):
        flaws = short_answer_flaws(record, [next(vectors) for _ in plan], excerpts, excerpt_vectors)
        if flaws:
            dropped.update(flaws)
        else:
            kept.append(record)
    return kept, {"asked": len(records), "kept": len(kept), "dropped_by_reason": dict(sorted(dropped.items()))}
