"""Template messages used when the LLM cannot write a nudge: a nudge is never lost to an outage."""

from __future__ import annotations

TEMPLATES = {
    "streak_at_risk": "Your {streak}-day streak ends at midnight. Ten minutes on {topic} keeps it alive!",
    "inactive": "It has been {idle} days. A 10-minute session on {topic} is a great way back in.",
    "new_learner": "Welcome to your first week! Try a 10-minute session on {topic} today.",
}


def template_message(reason: str, streak: int, idle_days: int, course_topic: str | None) -> str:
    return TEMPLATES[reason].format(streak=streak, idle=idle_days, topic=course_topic or "your course")
