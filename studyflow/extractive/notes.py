"""Notes for a topic from its own passages: the key sentences (by centrality), quoted as written
with where each comes from, the terms the passages define, and questions to check yourself on
them. Nothing is paraphrased, so nothing can be wrong that the material does not say."""

from __future__ import annotations

from dataclasses import dataclass

from studyflow.extractive.cards import definitions
from studyflow.extractive.sentences import Sentence

KEY_SENTENCES = 6
MAX_TERMS = 6


@dataclass(frozen=True)
class Quoted:
    sentence: Sentence
    label: str  # "spec.pdf, p. 4"


def _quote(text: str) -> str:
    # Quoted text is the material's, shown as text: a "#" or ">" at its start must not become markup.
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_")


def render(title: str, key: list[Quoted], defined_in: list[Sentence], labels: dict[int, str]) -> str:
    parts = [
        f"# {title}",
        "",
        "*From your material: its key sentences on this topic, quoted as written, with where each comes from.*",
        "",
        "## Key passages",
        "",
    ]
    for quoted in key:
        parts += [f"> {_quote(quoted.sentence.text)}", ">", f"> — {quoted.label}", ""]
    terms = definitions(defined_in)[:MAX_TERMS]
    if terms:
        parts += ["## Key terms", ""]
        parts += [f"- **{_quote(d.term)}**: {_quote(d.rest)}. ({labels.get(d.sentence.passage, '')})" for d in terms]
        parts += ["", "## Check yourself", ""]
        parts += [f"{i}. What is {_quote(d.term)}?" for i, d in enumerate(terms, start=1)]
    return "\n".join(parts).rstrip() + "\n"
