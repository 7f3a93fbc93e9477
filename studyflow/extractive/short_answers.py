"""Short-answer items cut from definition sentences ("A deadlock is a state in which …"): the
stem asks the learner to explain the term, the model answer is the sentence, and the rubric's
points are its clauses — each quoted from the passage, so grounded by construction."""

from __future__ import annotations

import re

from studyflow.content_rules.item_flaws import content_stems
from studyflow.extractive.cards import Definition, as_in_text, definitions
from studyflow.extractive.study_set import Made, TopicMaterial
from studyflow.free_text.rubric import MAX_POINTS, MIN_POINTS, SHORT_ANSWER

_CLAUSE = re.compile(r",\s+|;\s+|\s+(?=(?:and|but|so|because|which|while|whereas|where|when)\s)")
MIN_POINT_WORDS = 3


def _points(definition: Definition, following: str | None) -> list[str]:
    """The definition's clauses with something to say; the next sentence of the same passage
    when the definition alone makes only one."""
    clauses = [c.strip(" .") for c in _CLAUSE.split(definition.rest) if c]
    claims = [c for c in clauses if len(content_stems(c)) >= MIN_POINT_WORDS]
    if len(claims) < MIN_POINTS and following:
        claims.append(following.strip(" ."))
    return claims[:MAX_POINTS]


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def short_answer_item(definition: Definition, following: str | None, topic_ref: str, text: str) -> dict | None:
    points = _points(definition, following)
    if len(points) < MIN_POINTS:
        return None
    term = as_in_text(definition.term, text)
    return {
        "kind": SHORT_ANSWER,
        "question": f"Explain in your own words what {definition.article}{term} {definition.verb}.",
        "model_answer": definition.sentence.text
        + (f" {following}" if following and points[-1] == following.strip(" .") else ""),
        "rubric": [
            {"id": f"p{i + 1}", "text": _upper_first(point), "weight": 1, "excerpt_quote": point}
            for i, point in enumerate(points)
        ],
        "topic_ref": topic_ref,
    }


def short_answer_items(topics: list[TopicMaterial], count: int) -> list[Made]:
    """Up to `count` items, one topic at a time in turn."""
    made: list[Made] = []
    streams = []
    for topic in topics:
        text = " ".join(s.text for s in topic.sentences)
        items = []
        for definition in definitions(topic.sentences):
            at = topic.sentences.index(definition.sentence)
            nxt = topic.sentences[at + 1] if at + 1 < len(topic.sentences) else None
            following = nxt.text if nxt and nxt.passage == definition.sentence.passage else None
            record = short_answer_item(definition, following, topic.ref, text)
            if record:
                items.append(Made(record, definition.sentence))
        streams.append(iter(items))
    while streams and len(made) < count:
        for stream in list(streams):
            item = next(stream, None)
            if item is None:
                streams.remove(stream)
            elif len(made) < count:
                made.append(item)
    return made
