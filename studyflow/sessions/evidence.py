"""Evidence quotes are checked against the transcript: a quote counts only where it occurs in what
was said — found by fuzzy containment (rapidfuzz's partial ratio on case- and punctuation-folded
text, at least SESSION_EVIDENCE_MIN_SIMILARITY) in one utterance, or two consecutive ones of the same
speaker. What is stored is the transcript's own words at that place, with their speaker and time,
never the model's version of them; a quote found nowhere is dropped and counted."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from studyflow.sessions.speakers import SpeakerRole
from studyflow.sessions.text_keys import fold
from studyflow.sessions.transcript import Utterance, clock

MIN_QUOTE_WORDS = 3  # "yes", "okay" occur everywhere: not evidence of anything


@dataclass(frozen=True)
class FoundQuote:
    quote: str  # the transcript's text
    speaker: str
    role: str
    time: str | None
    utterance_index: int
    similarity: float

    def to_json(self) -> dict:
        return {
            "quote": self.quote,
            "speaker": self.speaker,
            "role": self.role,
            "time": self.time,
            "utterance_index": self.utterance_index,
            "similarity": round(self.similarity, 1),
        }


@dataclass
class _Candidate:
    index: int  # first utterance
    text: str  # original text (one utterance, or two joined)
    folded: str
    positions: list[int]  # folded character -> original character


def _folded_with_positions(text: str) -> tuple[str, list[int]]:
    """`fold` per word, remembering where each folded character came from in `text`."""
    out: list[str] = []
    positions: list[int] = []
    for match in re.finditer(r"\S+", text):
        word = fold(match.group())
        if not word:
            continue
        if out:
            out.append(" ")
            positions.append(match.start())
        for k, ch in enumerate(word):
            out.append(ch)
            positions.append(match.start() + min(k, len(match.group()) - 1))
    return "".join(out), positions


class TranscriptIndex:
    def __init__(self, utterances: list[Utterance], roles: dict[str, SpeakerRole]):
        self._utterances = utterances
        self._roles = roles
        # Single utterances first; a quote running over two of one speaker's is looked for only
        # when no single one holds it.
        self._singles = [_Candidate(i, u.text, *_folded_with_positions(u.text)) for i, u in enumerate(utterances)]
        self._pairs = [
            _Candidate(i, joined, *_folded_with_positions(joined))
            for i, u in enumerate(utterances[:-1])
            if utterances[i + 1].speaker == u.speaker
            for joined in [f"{u.text} {utterances[i + 1].text}"]
        ]

    def find(self, quote: str, min_similarity: float, speaker: str | None = None) -> FoundQuote | None:
        """`speaker`: who the quote is said to be from; of equally good places, theirs wins (a
        tutor often repeats the learner's words back)."""
        folded = fold(quote)
        if len(folded.split()) < MIN_QUOTE_WORDS:
            return None
        best = self._best(folded, self._singles, min_similarity, speaker) or self._best(
            folded, self._pairs, min_similarity, speaker
        )
        if best is None:
            return None
        score, candidate = best
        quote_text = self._span(folded, candidate)
        utterance = self._utterances[candidate.index]
        return FoundQuote(
            quote=quote_text,
            speaker=utterance.speaker,
            role=self._roles.get(utterance.speaker, SpeakerRole.other).value,
            time=clock(utterance.start),
            utterance_index=utterance.index,
            similarity=score,
        )

    def _best(
        self, folded: str, candidates: list[_Candidate], min_similarity: float, speaker: str | None
    ) -> tuple[float, _Candidate] | None:
        best, best_key = None, None
        for candidate in candidates:
            if len(candidate.folded) + 2 < len(folded) * 0.9:
                continue  # the quote is longer than what was said here: not contained in it
            score = fuzz.partial_ratio(folded, candidate.folded, score_cutoff=min_similarity)
            if not score:
                continue
            theirs = speaker is not None and self._utterances[candidate.index].speaker == speaker
            key = (score, theirs)
            if best_key is None or key > best_key:
                best, best_key = (score, candidate), key
                if score >= 100 and (theirs or speaker is None):
                    break
        return best

    @staticmethod
    def _span(folded_quote: str, candidate: _Candidate) -> str:
        """The transcript's words the quote lines up with, widened to whole words."""
        alignment = fuzz.partial_ratio_alignment(folded_quote, candidate.folded)
        if alignment is None or alignment.dest_end <= alignment.dest_start:
            return candidate.text
        start = candidate.positions[alignment.dest_start]
        end = candidate.positions[min(alignment.dest_end, len(candidate.positions)) - 1] + 1
        text = candidate.text
        while start > 0 and not text[start - 1].isspace():
            start -= 1
        while end < len(text) and not text[end].isspace():
            end += 1
        return text[start:end].strip()


MAX_QUOTES_PER_CONCEPT = 5


@dataclass
class Validated:
    """The merged concepts that kept at least one quote, each with the quotes found (the
    transcript's own words, in transcript order; the learner's first when more than the cap)."""

    kept: list[tuple[Any, list[dict]]]
    proposed: int  # quotes the windows proposed
    valid: int  # of them, found in the transcript

    @property
    def dropped(self) -> int:
        return self.proposed - self.valid


def validate(concepts: list, index: TranscriptIndex, min_similarity: float) -> Validated:
    """`concepts`: merged concepts (studyflow/sessions/merge.py), each with `evidence` as proposed
    ({"quote", "speaker"}). A quote is kept where it is found; a concept with none is dropped."""
    proposed = valid = 0
    kept: list[tuple[Any, list[dict]]] = []
    for concept in concepts:
        found, seen = [], set()
        for quote in concept.evidence:
            proposed += 1
            hit = index.find(quote["quote"], min_similarity, quote.get("speaker") or None)
            if hit is not None and (hit.utterance_index, hit.quote) not in seen:
                seen.add((hit.utterance_index, hit.quote))
                found.append(hit.to_json())
        valid += len(found)
        if found:
            found.sort(key=lambda e: (e["role"] != "learner", e["utterance_index"]))
            kept.append((concept, sorted(found[:MAX_QUOTES_PER_CONCEPT], key=lambda e: e["utterance_index"])))
    return Validated(kept, proposed, valid)
