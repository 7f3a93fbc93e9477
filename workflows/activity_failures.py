"""Reading ActivityError causes inside workflows (pure functions, replay-safe)."""

from __future__ import annotations

from temporalio.exceptions import ActivityError, ApplicationError, is_cancelled_exception


def is_subject_gone(error: ActivityError) -> bool:
    cause = error.cause
    return isinstance(cause, ApplicationError) and cause.type == "SubjectGoneError"


def describe_failure(error: ActivityError) -> str:
    cause = error.cause
    return str(cause.message if isinstance(cause, ApplicationError) else cause or error)


def raise_if_cancelled(error: ActivityError) -> None:
    """A cancelled workflow must stop, not treat its cancelled activity as a failure to work
    around (e.g. by falling back to a manual outline)."""
    if is_cancelled_exception(error):
        raise error
