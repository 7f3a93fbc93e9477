"""Words that flip a claim: negations and opposites. An answer's sentence that matches a rubric
point but with the other polarity says the opposite of it — the case embeddings miss, since
"water moves to the dilute side" and "...to the concentrated side" sit close together."""

from __future__ import annotations

import re

from studyflow.content_rules.item_flaws import content_stems

# Learners drop apostrophes ("dont", "isnt"): those spellings count (as in the labelled set's checker).
NEGATION = re.compile(
    r"\b(not|no|never|none|nothing|neither|nor|without|cannot|"
    r"(do|does|did|is|are|was|were|ca|wo|could|should|would|has|have|had)nt)\b|n't\b",
    re.IGNORECASE,
)

# Pairs of opposites a rubric point may be flipped by; general, not read off the labelled set.
_OPPOSITES = [
    ("increase", "decrease"),
    ("rise", "fall"),
    ("raise", "lower"),
    ("more", "less"),
    ("higher", "lower"),
    ("faster", "slower"),
    ("speed", "slow"),
    ("gain", "lose"),
    ("absorb", "release"),
    ("positive", "negative"),
    ("anode", "cathode"),
    ("expand", "contract"),
    ("heat", "cool"),
    ("evaporat", "condens"),
    ("strong", "weak"),
    ("concentrated", "dilute"),
    ("long", "short"),
    ("thick", "thin"),
    ("high", "low"),
    ("add", "multiply"),
    ("parallel", "perpendicular"),
    ("before", "after"),
    ("inside", "outside"),
    ("toward", "away"),
    ("same", "different"),
    ("always", "never"),
    ("all", "some"),
    ("east", "west"),
    ("left", "right"),
    ("up", "down"),
]


def negations(text: str) -> int:
    return len(NEGATION.findall(text))


def polarity_differs(span: str, reference: str) -> bool:
    """One says "not" where the other does not (an odd number of negations apart)."""
    return (negations(span) - negations(reference)) % 2 == 1


def _has(stem_prefix: str, words: list[str]) -> bool:
    return any(w.startswith(stem_prefix) for w in words)


def opposite_in(span: str, reference: str) -> bool:
    """The span uses the opposite of a word the reference uses, and not that word itself."""
    span_words = re.findall(r"[a-z]+", span.casefold())
    ref_words = re.findall(r"[a-z]+", reference.casefold())
    for a, b in _OPPOSITES:
        for this, that in ((a, b), (b, a)):
            if _has(this, ref_words) and _has(that, span_words) and not _has(this, span_words):
                return True
    return False


def overlap(reference: str, text: str, leave_out: str = "") -> float:
    """Share of the reference's content words (lightly stemmed) that the text uses; the words of
    `leave_out` (the question) do not count, since repeating the question earns nothing."""
    ref = content_stems(reference)
    asked = content_stems(leave_out)
    own = ref - asked or ref
    return len(own & content_stems(text)) / len(own) if own else 0.0
