"""Reading ActivityError causes inside workflows (pure functions, replay-safe)."""

from __future__ import annotations

from temporalio.exceptions import ActivityError, ApplicationError


def is_subject_gone(error: ActivityError) -> bool:
    cause = error.cause
    return isinstance(cause, ApplicationError) and cause.type == "SubjectGoneError"


def describe_failure(error: ActivityError) -> str:
    cause = error.cause
    return str(cause.message if isinstance(cause, ApplicationError) else cause or error)
