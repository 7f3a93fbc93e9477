"""Flashcards and multiple-choice questions cut from the learner's sentences.

- definition cards from "X is …" sentences: front "What is X?", back the rest of the sentence;
- cloze cards from key sentences: the most salient term (YAKE) blanked, the term on the back;
- questions: a definition asked the other way round ("Which term is described here: …?") or a
  cloze with options, whose distractors are other terms of the same kind (defined terms first,
  then salient terms of the same shape) from the same document.

Every item keeps the index of the sentence it was cut from, so it cites that passage; its answer
is the passage's own words."""

from __future__ import annotations

import re
from dataclasses import dataclass

from studyflow.extractive.salience import occurs, shape
from studyflow.extractive.sentences import Sentence

BLANK = "_____"
_DEFINITION = re.compile(
    r"^(?P<article>An?\s+|The\s+)?(?P<term>[A-Za-z][\w\-'/ ]{1,60}?)(?:\s*\((?P<abbr>[^)]{1,20})\))?\s+"
    r"(?P<verb>is|are|refers to|means|is called|describes)\s+"
    r"(?P<rest>(?:an?|the|one|any|a\s+set|how|when|where)\b.{12,})$"
)
_NOT_A_TERM = re.compile(
    r"^(it|this|that|there|these|those|they|he|she|we|you|one|each|which|what|here|such|the result|the reason"
    r"|the answer|the idea|the point|the same|the first|the second|the main|the key|pattern|example)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Definition:
    term: str
    rest: str  # what the sentence says the term is, from its article on
    sentence: Sentence
    article: str = ""  # "a ", "the " as the sentence has it
    verb: str = "is"


@dataclass(frozen=True)
class Item:
    kind: str  # definition | cloze
    record: dict  # in the shape validated records have (front/back or question/options/…)
    sentence: Sentence


def definitions(sentences: list[Sentence]) -> list[Definition]:
    found = []
    for sentence in sentences:
        match = _DEFINITION.match(sentence.text)
        if not match:
            continue
        term = match.group("term").strip()
        if _NOT_A_TERM.match(term) or len(term.split()) > 6:
            continue
        article = (match.group("article") or "").lower()
        verb = "are" if match.group("verb") == "are" else "is"
        found.append(Definition(term, match.group("rest").rstrip(". "), sentence, article, verb))
    return found


def definition_card(definition: Definition, topic_ref: str, text: str = "") -> dict:
    return {
        "front": f"What {definition.verb} {definition.article}{as_in_text(definition.term, text)}?",
        "back": _upper_first(definition.rest) + ".",
        "topic_ref": topic_ref,
    }


def cloze(sentence: Sentence, terms: list[str]) -> tuple[str, str] | None:
    """(sentence with its most salient term blanked, the term). The term is not the sentence's
    first words (a blank there reads as a riddle) and leaves enough of the sentence to recall it."""
    for term in terms:
        match = occurs(term, sentence.text)
        if not match or match.start() == 0:
            continue
        blanked = re.sub(rf"(?<![\w-]){re.escape(term)}(?![\w-])", BLANK, sentence.text, flags=re.IGNORECASE)
        if len(blanked.split()) - blanked.count(BLANK) < 5:
            continue
        return blanked, sentence.text[match.start() : match.end()]
    return None


def cloze_card(sentence: Sentence, terms: list[str], topic_ref: str) -> dict | None:
    cut = cloze(sentence, terms)
    if cut is None:
        return None
    blanked, answer = cut
    return {"front": f"Fill in the blank: {blanked}", "back": answer, "topic_ref": topic_ref}


def distractors(
    answer: str, pool: list[str], exclude_text: str, count: int = 3, preferred: frozenset[str] = frozenset()
) -> list[str] | None:
    """Other terms of the same kind: same shape first, of similar length, sharing no word with the
    answer or with the question (a shared word would give the answer away or echo the stem)."""
    answer_words = {w.casefold() for w in re.findall(r"\w+", answer)}
    chosen: list[str] = []
    taken = set(answer_words)
    candidates = sorted(
        (t for t in pool if t.casefold() != answer.casefold()),
        key=lambda t: (t not in preferred, shape(t) != shape(answer), abs(len(t) - len(answer))),
    )
    for term in candidates:
        words = {w.casefold() for w in re.findall(r"\w+", term)}
        if words & taken or occurs(term, exclude_text):
            continue
        if len(term) > 1.4 * len(answer) + 12 or len(answer) > 1.4 * len(term) + 12:
            continue
        chosen.append(term)
        taken |= words
        if len(chosen) == count:
            return chosen
    return None


def question(stem: str, answer: str, others: list[str], explanation: str, topic_ref: str, salt: int) -> dict:
    """Options in a fixed but varied order (the answer's place depends on `salt`)."""
    options = list(others)
    position = salt % (len(others) + 1)
    options.insert(position, answer)
    return {
        "question": stem,
        "options": [_match_case(o, answer) for o in options],
        "answer_index": position,
        "explanation": explanation,
        "key_points": [],
        "topic_ref": topic_ref,
    }


def definition_question(
    definition: Definition, pool: list[str], topic_ref: str, salt: int, defined: frozenset[str] = frozenset()
) -> dict | None:
    stem = f"Which term does your material describe as {_lower_first(definition.rest)}?"
    others = distractors(definition.term, pool, stem, preferred=defined)
    if others is None:
        return None
    explanation = f'Your material says: "{definition.sentence.text}"'
    return question(
        stem, _upper_first(definition.term), [_upper_first(o) for o in others], explanation, topic_ref, salt
    )


def cloze_question(
    sentence: Sentence,
    terms: list[str],
    pool: list[str],
    topic_ref: str,
    salt: int,
    defined: frozenset[str] = frozenset(),
) -> dict | None:
    cut = cloze(sentence, terms)
    if cut is None:
        return None
    blanked, answer = cut
    stem = f"Which term completes this statement from your material? {blanked}"
    others = distractors(answer, pool, stem, preferred=defined)
    if others is None:
        return None
    explanation = f'Your material says: "{sentence.text}"'
    return question(stem, answer, others, explanation, topic_ref, salt)


def as_in_text(term: str, text: str) -> str:
    """A term that opened its sentence, written as the text writes it elsewhere ("slow start"
    mid-sentence, but "Internet" and "BBR" keep their capitals)."""
    lowered = term[:1].lower() + term[1:]
    return lowered if lowered != term and re.search(rf"(?<![\w-]){re.escape(lowered)}", text) else term


def _lower_first(text: str) -> str:
    # "TCP" and "Reno" keep their capitals; "Slow start" reads "slow start" mid-sentence.
    first = text.split()[0] if text.split() else ""
    if len(first) > 1 and (first.isupper() or any(c.isupper() for c in first[1:])):
        return text
    return text[:1].lower() + text[1:]


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _match_case(option: str, answer: str) -> str:
    """Options start the way the answer does, so capitalisation gives nothing away."""
    if answer[:1].isupper() and not option[:1].isupper():
        return _upper_first(option)
    return option
