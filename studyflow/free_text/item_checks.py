"""The quality gate's checks for a short-answer item (pure: texts and vectors in, findings out).
An item is dropped when its structure is wrong, a rubric point is not grounded in an excerpt
the generation saw, a point restates the stem, or two points say the same thing."""

from __future__ import annotations

import re

from studyflow.content_rules.item_flaws import content_stems, cosine
from studyflow.free_text.rubric import MAX_POINTS, MAX_WEIGHT, MIN_POINTS

# Chosen like the question checks' thresholds (studyflow/content_rules/item_flaws.py): two
# sentences this similar say the same thing; a point this close to the stem repeats it.
DUPLICATE_SIMILARITY = 0.88
RESTATES_STEM_SIMILARITY = 0.9
# A point whose quote is not in the excerpts is grounded when it is at least this close to one.
GROUNDED_SIMILARITY = 0.5


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def texts_to_embed(record: dict) -> list[str]:
    """The stem, then each point's text."""
    return [record["question"], *(p["text"] for p in record["rubric"])]


def short_answer_flaws(
    record: dict, vectors: list[list[float]], excerpts: list[str], excerpt_vectors: list[list[float]]
) -> list[str]:
    """Reasons (codes) the item fails; empty when it passes. `vectors` as `texts_to_embed` lists."""
    rubric = record.get("rubric", [])
    if not record.get("question", "").strip() or not record.get("model_answer", "").strip():
        return ["structure"]
    if not MIN_POINTS <= len(rubric) <= MAX_POINTS or any(
        not p.get("text", "").strip() or not 1 <= int(p.get("weight", 1)) <= MAX_WEIGHT for p in rubric
    ):
        return ["structure"]
    found = []
    stem_v, point_vs = vectors[0], vectors[1:]
    stem_stems = content_stems(record["question"])
    sources = [_norm(e) for e in excerpts]
    for point, vector in zip(rubric, point_vs, strict=True):
        own = content_stems(point["text"])
        if not own - stem_stems or cosine(vector, stem_v) >= RESTATES_STEM_SIMILARITY:
            found.append("point_restates_stem")
        quote = _norm(point.get("excerpt_quote", ""))
        quoted = bool(quote) and any(quote in source for source in sources)
        support = max((cosine(vector, e) for e in excerpt_vectors), default=0.0)
        if excerpts and not quoted and support < GROUNDED_SIMILARITY:
            found.append("ungrounded_point")
    for i in range(len(rubric)):
        for j in range(i + 1, len(rubric)):
            same_words = content_stems(rubric[i]["text"]) == content_stems(rubric[j]["text"])
            if same_words or cosine(point_vs[i], point_vs[j]) >= DUPLICATE_SIMILARITY:
                found.append("duplicate_points")
    return sorted(set(found))


def records_from_draft(items: list, topic_refs: set[str]) -> list[dict]:
    """The model's short-answer items as records (ids p1… per rubric); ones naming an unknown
    topic or repeating an earlier stem are left out (the checks above judge the rest)."""
    from studyflow.free_text.rubric import SHORT_ANSWER

    out, seen = [], set()
    for item in items:
        key = _norm(item.question)
        if item.topic_ref not in topic_refs or not key or key in seen:
            continue
        seen.add(key)
        out.append(
            {
                "kind": SHORT_ANSWER,
                "question": " ".join(item.question.split()),
                "model_answer": " ".join(item.model_answer.split()),
                "rubric": [
                    {
                        "id": f"p{i + 1}",
                        "text": " ".join(p.text.split()),
                        "weight": p.weight,
                        "excerpt_quote": " ".join(p.source_quote.split()),
                    }
                    for i, p in enumerate(item.rubric)
                ],
                "topic_ref": item.topic_ref,
                "source_refs": list(item.source_refs),
            }
        )
    return out
