"""A goal's progress, state and pace from the measures the database computes for it
(`db/goal_measures.py`, one query): pure, so the API, the dashboard, goal completion and the
nudges all judge a goal the same way."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Literal

GoalKind = Literal["course_by_date", "daily_minutes", "daily_reviews", "mastery"]
GoalState = Literal["on_track", "behind", "met"]
HABITS = ("daily_minutes", "daily_reviews")
DEFAULT_HABIT_DAYS = 7


@dataclass(frozen=True)
class GoalMeasures:
    kind: str
    target: float
    start_date: date
    status: str = "active"
    due_date: date | None = None
    days: int | None = None  # habits: on how many days the daily target must be reached
    course_topic: str | None = None
    topics_total: int = 0
    topics_completed: int = 0
    mastery: float = 0.0  # mean over the course's topics, unpractised ones counting 0
    today_amount: float = 0.0  # habits: minutes or reviews today …
    yesterday_amount: float = 0.0
    days_reached: int = 0  # … and the days since the start on which the target was reached


@dataclass(frozen=True)
class GoalProgress:
    current: float
    target: float
    percent: int  # 0-100, towards meeting the goal
    state: GoalState
    pace: str  # what it takes from here, in words
    reached: bool  # the data says the goal is met (completion makes it so, once)


def describe(m: GoalMeasures) -> str:
    """The goal in words: 'finish the SQL joins course by December 20'."""
    by = f" by {_day(m.due_date)}" if m.due_date else ""
    if m.kind == "course_by_date":
        return f"finish the {m.course_topic or 'course'} course{by}"
    if m.kind == "mastery":
        return f"reach {m.target:.0%} mastery in {m.course_topic or 'the course'}{by}"
    unit = "minutes" if m.kind == "daily_minutes" else "flashcard reviews"
    return f"{_number(m.target)} {unit} a day on {m.days or DEFAULT_HABIT_DAYS} days"


def progress(m: GoalMeasures, today: date) -> GoalProgress:
    if m.kind == "course_by_date":
        return _course(m, today)
    if m.kind == "mastery":
        return _mastery(m, today)
    return _habit(m, today)


def _state(reached: bool, behind: bool, status: str) -> GoalState:
    return "met" if reached or status == "met" else "behind" if behind else "on_track"


def _days_left(m: GoalMeasures, today: date) -> int | None:
    """Days still available, today included (0 once the date has passed)."""
    return max(0, (m.due_date - today).days + 1) if m.due_date else None


def _elapsed_share(m: GoalMeasures, today: date) -> float:
    """The share of the goal's time already behind us (days before today)."""
    if not m.due_date:
        return 0.0
    total = (m.due_date - m.start_date).days + 1
    return min(1.0, max(0.0, (today - m.start_date).days / total)) if total > 0 else 1.0


def _course(m: GoalMeasures, today: date) -> GoalProgress:
    total, done = m.topics_total, m.topics_completed
    reached = total > 0 and done >= total
    remaining = max(0, total - done)
    left = _days_left(m, today)
    behind = (left == 0 and not reached) or done < math.floor(total * _elapsed_share(m, today))
    if reached:
        pace = "every topic is done"
    elif left == 0:
        pace = f"the date has passed: {_count(remaining, 'topic')} to go"
    elif left is None:
        pace = f"{_count(remaining, 'topic')} to go"
    else:
        assert m.due_date is not None, "a number of days left comes from a due date"
        per_day = math.ceil(remaining / left)
        pace = f"{_count(per_day, 'topic')} a day to finish by {_day(m.due_date)}"
    percent = round(100 * done / total) if total else 0
    return GoalProgress(done, total, min(100, percent), _state(reached, behind, m.status), pace, reached)


def _mastery(m: GoalMeasures, today: date) -> GoalProgress:
    reached = m.topics_total > 0 and m.mastery >= m.target
    left = _days_left(m, today)
    behind = (left == 0 and not reached) or m.mastery < m.target * _elapsed_share(m, today)
    if reached:
        pace = f"mastery {m.mastery:.0%} of {m.target:.0%}"
    else:
        gap = m.target - m.mastery
        pace = f"mastery {m.mastery:.0%} of {m.target:.0%}"
        if left and m.due_date:
            pace += f": {gap / left:.0%} more a day until {_day(m.due_date)}"
        elif left == 0:
            pace += ": the date has passed"
    percent = round(100 * min(1.0, m.mastery / m.target)) if m.target else 100
    return GoalProgress(round(m.mastery, 3), m.target, percent, _state(reached, behind, m.status), pace, reached)


def _habit(m: GoalMeasures, today: date) -> GoalProgress:
    days = m.days or DEFAULT_HABIT_DAYS
    reached = m.days_reached >= days
    unit = "minutes" if m.kind == "daily_minutes" else "reviews"
    today_short = max(0.0, m.target - m.today_amount)
    # Behind: the habit slipped yesterday (the goal had started) and today's target is not met yet.
    slipped = today > m.start_date and m.yesterday_amount < m.target
    behind = slipped and today_short > 0
    if reached:
        pace = f"reached on {days} days"
    elif today_short > 0:
        pace = f"{_number(today_short)} more {unit} today ({m.days_reached} of {days} days so far)"
    else:
        pace = f"today's {_number(m.target)} {unit} done ({m.days_reached} of {days} days so far)"
    percent = round(100 * min(1.0, m.days_reached / days))
    return GoalProgress(round(m.today_amount, 1), m.target, percent, _state(reached, behind, m.status), pace, reached)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"


def _day(day: date) -> str:
    return f"{day:%B} {day.day}"
