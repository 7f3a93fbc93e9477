"""A tutor's answer made of the learner's own sentences: the ones most similar to the question,
quoted with where they come from. Used when no capable model is configured, and when the model
declines although retrieval found relevant passages (the learner is told which happened)."""

from __future__ import annotations

from dataclasses import dataclass

from studyflow.extractive.salience import key_terms
from studyflow.extractive.sentences import Sentence

MAX_QUOTED = 2
# A second sentence is quoted only when it is nearly as relevant as the best one.
SECOND_WITHIN = 0.08

BUNDLED_MODEL = "Your material says"
MODEL_DECLINED = "The model could not answer this from your material, but these passages look relevant"


@dataclass(frozen=True)
class Chosen:
    sentence: Sentence
    score: float


def choose(question: str, sentences: list[Sentence], similarity: list[float]) -> list[Chosen]:
    """The best sentences for the question: embedding similarity, plus a bonus for each of the
    question's salient terms a sentence contains (names and numbers are what questions turn on)."""
    terms = [t.casefold() for t in key_terms(question, top=8)]
    scored = []
    for sentence, sim in zip(sentences, similarity, strict=True):
        text = sentence.text.casefold()
        bonus = 0.05 * sum(1 for t in terms if t in text)
        scored.append(Chosen(sentence, sim + bonus))
    scored.sort(key=lambda c: -c.score)
    if not scored:
        return []
    chosen = [scored[0]]
    for candidate in scored[1:MAX_QUOTED]:
        if candidate.score >= scored[0].score - SECOND_WITHIN:
            chosen.append(candidate)
    return sorted(chosen, key=lambda c: c.sentence.position)


def compose(lead: str, quoted: list[tuple[str, str]]) -> str:
    """'Your material says: "…" — spec.pdf, p. 4' (one line per quoted sentence)."""
    lines = [f"{lead}:"]
    lines += [f"“{text}” — {label}" for text, label in quoted]
    return "\n".join(lines)
