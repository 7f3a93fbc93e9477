"""A deterministic stand-in for an LLM marker (the scripted OpenAI server's default reply to a
grading request, and the grading bench's "scripted model"): per rubric point, the answer's
sentence sharing most of the point's own words; 1 at 60 % of them, 0.5 at 30 %, else 0."""

from __future__ import annotations

import re

from studyflow.content_rules.item_flaws import content_stems
from studyflow.free_text.spans import sentences

_POINTS = re.compile(r"^(p\d+): (.+)$", re.MULTILINE)
_ANSWER = re.compile(r"<<<(.*)>>>", re.DOTALL)
_QUESTION = re.compile(r"^Question: (.+)$", re.MULTILINE)


def word_overlap_marker(prompt: str, fabricate_every: int = 0, counter: list[int] | None = None) -> dict:
    """`fabricate_every` n > 0: every n-th credited point quotes the question instead of the
    answer (a fabricated quote, which the grader must reject)."""
    answer = _ANSWER.search(prompt).group(1)
    question = _QUESTION.search(prompt).group(1)
    counter = counter if counter is not None else [0]
    points = []
    for pid, text in _POINTS.findall(prompt):
        wanted = content_stems(text) - content_stems(question) or content_stems(text)
        best, share = "", 0.0
        for sentence in sentences(answer):
            got = len(wanted & content_stems(sentence)) / len(wanted) if wanted else 0
            if got > share:
                best, share = sentence, got
        score = 1 if share >= 0.6 else 0.5 if share >= 0.3 else 0
        quote = best if score else ""
        if score and fabricate_every:
            counter[0] += 1
            if counter[0] % fabricate_every == 0:
                quote = question
        points.append(
            {
                "point_id": pid,
                "score": score,
                "quote": quote,
                "justification": f"shares {share:.0%} of the point's words",
                "confidence": round(min(1.0, 0.5 + abs(share - 0.45)), 2),
            }
        )
    return {"points": points}
