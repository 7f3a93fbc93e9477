"""Which proposed next subjects a learner is shown (pure): three, each a course topic of sensible
length with a reason, none a course the learner already has, none the same as another."""

from __future__ import annotations

from dataclasses import dataclass

from studyflow.content_rules.item_flaws import debris, title_key
from studyflow.contracts.llm_drafts import SubjectSuggestionsDraft

SUGGESTIONS = 3
TOPIC_LENGTH = (3, 80)
REASON_LENGTH = (10, 300)


@dataclass(frozen=True)
class Suggestion:
    topic: str
    reason: str
    source: str  # llm | template


def _acceptable(topic: str, reason: str, taken: set[tuple]) -> bool:
    return (
        TOPIC_LENGTH[0] <= len(topic) <= TOPIC_LENGTH[1]
        and REASON_LENGTH[0] <= len(reason) <= REASON_LENGTH[1]
        and not debris(topic)
        and title_key(topic) not in taken
    )


def choose(
    draft: SubjectSuggestionsDraft | None, fallback: list[tuple[str, str]], existing_topics: list[str]
) -> list[Suggestion]:
    """The model's valid suggestions first, topped up from `fallback` to three."""
    taken = {title_key(topic) for topic in existing_topics}
    chosen: list[Suggestion] = []
    candidates = [(s.topic, s.reason, "llm") for s in (draft.suggestions if draft else [])]
    candidates += [(topic, reason, "template") for topic, reason in fallback]
    for topic, reason, source in candidates:
        topic, reason = " ".join(topic.split()), " ".join(reason.split())
        if len(chosen) < SUGGESTIONS and _acceptable(topic, reason, taken):
            chosen.append(Suggestion(topic, reason, source))
            taken.add(title_key(topic))
    return chosen


def from_history(course_topics: list[str], weak_topics: list[str], goal: str) -> list[tuple[str, str]]:
    """Suggestions without a model: the weakest topics in depth, then the next step after the
    latest course."""
    out = [
        (f"{topic} in depth", f"Your mastery of {topic} is still low: a course of its own makes it solid.")
        for topic in weak_topics
    ]
    for course in course_topics[:2]:
        out += [
            (f"Advanced {course}", f"You reached your goal to {goal}: the advanced material is the next step."),
            (f"{course} projects", f"Put {course} to work in small projects now that you have met your goal."),
        ]
    out.append(("Learning how to learn", "Spaced review and retrieval practice make every next course stick."))
    return out
