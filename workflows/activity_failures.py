"""How workflows meet a failed activity: reading its cause (pure and replay-safe) and the two
steps every generation workflow takes on failure — recording it on the row (an activity) and
marking the row cancelled when the workflow itself is cancelled."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from temporalio.exceptions import ActivityError, ApplicationError, is_cancelled_exception

from studyflow.contracts.activity_io import FailureInput
from studyflow.statuses import ErrorKind, GenerationStatus
from workflows.retry import execute_db_activity

T = TypeVar("T")
CANCELLED = "generation was cancelled"


def is_subject_gone(error: ActivityError) -> bool:
    cause = error.cause
    return isinstance(cause, ApplicationError) and cause.type == ErrorKind.subject_gone


def describe_failure(error: ActivityError) -> str:
    cause = error.cause
    return str(cause.message if isinstance(cause, ApplicationError) else cause or error)


def raise_if_cancelled(error: ActivityError) -> None:
    """A cancelled workflow must stop, not treat its cancelled activity as a failure to work
    around (e.g. by falling back to a manual outline)."""
    if is_cancelled_exception(error):
        raise error


async def record_failure(mark_failed, subject_id: uuid.UUID, error: str) -> str:
    """The one way a workflow fails: the row goes `failed` with the reason the learner sees."""
    await execute_db_activity(mark_failed, FailureInput(subject_id=subject_id, error=error))
    return GenerationStatus.failed


async def cleaning_up_on_cancel(body: Awaitable[T], mark_cancelled: Callable[[], Awaitable[object]]) -> T:
    """Run a workflow body; if the workflow is cancelled (an operator, a deleted course or
    account), record that on the row before stopping, so nothing stays `generating`."""
    try:
        return await body
    except BaseException as error:
        if is_cancelled_exception(error):
            await mark_cancelled()
        raise
