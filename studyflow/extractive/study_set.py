"""A set of flashcards or questions from a course's topics, spread across them in turn: each
topic's definitions first (the surest items), then clozes of its most central sentences."""

from __future__ import annotations

from dataclasses import dataclass

from studyflow.extractive.cards import (
    cloze_card,
    cloze_question,
    definition_card,
    definition_question,
    definitions,
)
from studyflow.extractive.salience import blank_candidates, noun_like
from studyflow.extractive.sentences import Sentence


@dataclass(frozen=True)
class TopicMaterial:
    ref: str  # T1, T2… as the set's records name their topic
    sentences: list[Sentence]  # quotable sentences of the topic's passages, in reading order
    central: list[int]  # indexes into `sentences`, most central first
    terms: list[str]  # salient terms of the topic's text, most salient first
    title: str = ""


@dataclass(frozen=True)
class Made:
    record: dict
    sentence: Sentence  # the sentence the item was cut from: its passage is the citation


def _candidates(topic: TopicMaterial, kind: str, pool: list[str], salt: int, all_defined: frozenset[str]):
    defined = definitions(topic.sentences)
    text = " ".join(s.text for s in topic.sentences)
    blanks = blank_candidates(topic.terms, text, [d.term for d in defined], topic.title)
    for n, definition in enumerate(defined):
        if kind == "quiz":
            record = definition_question(definition, pool, topic.ref, salt + n, all_defined)
        else:
            record = definition_card(definition, topic.ref, " ".join(s.text for s in topic.sentences))
        if record:
            yield Made(record, definition.sentence)
    used = {d.sentence.text for d in defined}
    for n, index in enumerate(topic.central):
        sentence = topic.sentences[index]
        if sentence.text in used:
            continue
        if kind == "quiz":
            record = cloze_question(sentence, blanks, pool, topic.ref, salt + len(defined) + n, all_defined)
        else:
            record = cloze_card(sentence, blanks, topic.ref)
        if record:
            yield Made(record, sentence)


def term_pool(topics: list[TopicMaterial]) -> list[str]:
    """Distractors come from here: terms the document defines, then its salient terms."""
    defined = [d.term for t in topics for d in definitions(t.sentences)]
    text = " ".join(s.text for t in topics for s in t.sentences)
    salient = [term for t in topics for term in t.terms if noun_like(term, text)]
    return list(dict.fromkeys(defined + salient))


def study_set(kind: str, topics: list[TopicMaterial], count: int) -> list[Made]:
    pool = term_pool(topics)
    defined = frozenset(d.term for t in topics for d in definitions(t.sentences))
    streams = [_candidates(topic, kind, pool, i, defined) for i, topic in enumerate(topics)]
    made: list[Made] = []
    seen: set[str] = set()
    while streams and len(made) < count:
        for stream in list(streams):
            item = next(stream, None)
            if item is None:
                streams.remove(stream)
                continue
            key = (item.record.get("question") or item.record.get("front") or "").casefold()
            if key not in seen:
                seen.add(key)
                made.append(item)
            if len(made) == count:
                break
    return made
