"""Template messages used when the LLM cannot write a nudge: a nudge is never lost to an outage."""

from __future__ import annotations

TEMPLATES = {
    "streak_at_risk": "Your {streak}-day streak ends at midnight. Ten minutes on {topic} keeps it alive!",
    "inactive": "It has been {idle} days. A 10-minute session on {topic} is a great way back in.",
    "new_learner": "Welcome to your first week! Try a 10-minute session on {topic} today.",
    "few_tutoring_sessions": "Your first week with your tutor: early sessions make the biggest difference. "
    "Book your next one, and try 10 minutes on {topic} today.",
    "goal_behind": "Your goal to {goal} has slipped a little: {pace}. A short session today catches up.",
}


def template_message(
    reason: str, streak: int, idle_days: int, course_topic: str | None, goal: tuple[str, str] | None = None
) -> str:
    """`goal`: the goal in words and its pace, for a learner behind on it."""
    described, pace = goal or ("", "")
    return TEMPLATES[reason].format(
        streak=streak, idle=idle_days, topic=course_topic or "your course", goal=described, pace=pace
    )
