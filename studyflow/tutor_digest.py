"""A tutor's week in words: who is at risk, what is overdue, which misconceptions their sessions
showed. Written from facts, never by a model: it is read as a report, and costs no LLM call."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

MAX_LISTED = 5  # per section; the rest is counted ("and 3 more"), so a big caseload stays readable


@dataclass(frozen=True)
class AtRisk:
    learner: str
    idle_days: int | None  # None: has not studied yet


@dataclass(frozen=True)
class Overdue:
    title: str
    learner: str
    due: date


@dataclass(frozen=True)
class Misconception:
    concept: str
    learner: str
    seen_on: date


@dataclass(frozen=True)
class DigestFacts:
    week_start: date
    week_end: date  # inclusive: the day before the digest is written
    learners: int
    at_risk: list[AtRisk] = field(default_factory=list)
    overdue: list[Overdue] = field(default_factory=list)
    misconceptions: list[Misconception] = field(default_factory=list)


def _day(d: date) -> str:
    return f"{d.day} {d:%b}"


def _listed(items: list[str]) -> str:
    shown = "; ".join(items[:MAX_LISTED])
    return shown + (f"; and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else "")


def _idle(item: AtRisk) -> str:
    if item.idle_days is None:
        return f"{item.learner} (has not studied yet)"
    return f"{item.learner} (no study for {item.idle_days} days)"


def digest_message(facts: DigestFacts) -> str:
    plural = "" if facts.learners == 1 else "s"
    head = f"Your week with {facts.learners} learner{plural} ({_day(facts.week_start)} – {_day(facts.week_end)})."
    if not (facts.at_risk or facts.overdue or facts.misconceptions):
        return f"{head} Everyone studied recently, nothing is overdue, and your sessions showed no misconceptions."
    parts = [head]
    if facts.at_risk:
        parts.append(f"At risk: {_listed([_idle(a) for a in facts.at_risk])}.")
    if facts.overdue:
        parts.append(f"Overdue: {_listed([f'“{o.title}” ({o.learner}, due {_day(o.due)})' for o in facts.overdue])}.")
    if facts.misconceptions:
        seen = [f"{m.concept} ({m.learner}, {_day(m.seen_on)})" for m in facts.misconceptions]
        parts.append(f"Misconceptions seen: {_listed(seen)}.")
    return " ".join(parts)
