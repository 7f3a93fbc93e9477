"""What the windows of one session found, merged into one analysis — deterministically, in window
order, so the same replies always give the same analysis:

- a concept named the same way (folded, `text_keys.concept_key`, or ≥ 90 token-set similar) is one
  concept: its evidence is the union, its difficulty the highest any window gave;
- what the learner showed is read in time order, as the labelled set defines it: the last window's
  verdict stands, except that a concept the learner got wrong earlier and right at the end is
  `partial` (corrected in the session), not `understood` — the tutor needs to know it wobbled;
- topics, strengths, areas for improvement and action items are unions (near-repeats dropped),
  in order of first appearance, capped."""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz import fuzz

from studyflow.sessions.text_keys import concept_key, fold

VERDICTS = ("understood", "partial", "misconception")
CAPS = {"topics": 8, "strengths": 5, "areas_for_improvement": 5, "action_items": 6}
SAME_NAME = 90


@dataclass
class MergedConcept:
    name: str
    key: str
    difficulty: int
    verdicts: list[str] = field(default_factory=list)  # one per window that saw it, in time order
    evidence: list[dict] = field(default_factory=list)  # {"quote", "speaker"} as proposed

    @property
    def learner_showed(self) -> str:
        return combine_verdicts(self.verdicts)


def combine_verdicts(verdicts: list[str]) -> str:
    if not verdicts:
        return "partial"
    last = verdicts[-1]
    if last == "understood" and any(v != "understood" for v in verdicts[:-1]):
        return "partial"
    return last


@dataclass
class MergedInsights:
    concepts: list[MergedConcept]
    topics: list[str]
    strengths: list[str]
    areas_for_improvement: list[str]
    action_items: list[str]


def _union(lists: list[list[str]], cap: int) -> list[str]:
    kept: list[str] = []
    folded: list[str] = []
    for items in lists:
        for item in items:
            key = fold(item)
            if not key or any(fuzz.token_set_ratio(key, other) >= SAME_NAME for other in folded):
                continue
            kept.append(item)
            folded.append(key)
    return kept[:cap]


def merge_windows(windows: list[dict]) -> MergedInsights:
    """`windows`: each window's SessionInsightsDraft as a dict, in window order."""
    concepts: list[MergedConcept] = []
    for window in windows:
        seen_here: set[int] = set()
        for draft in window.get("concepts", []):
            key = concept_key(draft["name"])
            position = next(
                (i for i, c in enumerate(concepts) if c.key == key or fuzz.token_set_ratio(c.key, key) >= SAME_NAME),
                None,
            )
            if position is None:
                concepts.append(MergedConcept(draft["name"], key, int(draft.get("difficulty", 5))))
                position = len(concepts) - 1
            concept = concepts[position]
            concept.difficulty = max(concept.difficulty, int(draft.get("difficulty", 5)))
            verdict = draft.get("learner_showed", "understood")
            if position in seen_here:
                # Twice in one window: the more worrying verdict of the two is that window's.
                concept.verdicts[-1] = max(concept.verdicts[-1], verdict, key=VERDICTS.index)
            else:
                concept.verdicts.append(verdict)
                seen_here.add(position)
            known = {fold(e["quote"]) for e in concept.evidence}
            for quote in draft.get("evidence", []):
                if fold(quote["quote"]) not in known:
                    concept.evidence.append({"quote": quote["quote"], "speaker": quote.get("speaker", "")})
                    known.add(fold(quote["quote"]))
    return MergedInsights(
        concepts=concepts,
        **{name: _union([w.get(name, []) for w in windows], cap) for name, cap in CAPS.items()},
    )
