"""Retry policies built from the inputs recorded in history (deterministic on replay)."""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, RetryState

from studyflow.contracts.workflow_inputs import LlmRetry
from studyflow.statuses import ErrorKind

NON_RETRYABLE = [
    ErrorKind.subject_gone.value,
    ErrorKind.source_unreadable.value,
    ErrorKind.provider_event_invalid.value,
]

# Database-only activities: quick, retried until they succeed (a DB outage should not lose work).
DB_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
    non_retryable_error_types=NON_RETRYABLE,
)
DB_TIMEOUT = timedelta(seconds=30)
LLM_TIMEOUT = timedelta(minutes=5)

# Indexing for retrieval: worth a few tries, never worth failing the learner's content over.
INDEX_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=5,
    non_retryable_error_types=NON_RETRYABLE,
)
INDEX_TIMEOUT = timedelta(minutes=2)


def llm_retry(retry: LlmRetry) -> RetryPolicy:
    return RetryPolicy(
        initial_interval=retry.initial_interval,
        maximum_interval=retry.maximum_interval,
        backoff_coefficient=2.0,
        maximum_attempts=retry.max_attempts,
        non_retryable_error_types=NON_RETRYABLE,
    )


# Workflows that record this marker run their database-only steps as local activities: in the
# worker that runs the workflow, inside its workflow task, with no round trips through the
# server's activity queue (three per step). Histories from before it keep their scheduled
# activities on replay.
LOCAL_DB_STEPS = "db-steps-local"


async def execute_db_activity(activity, argument):
    """Every database-only activity: quick, retried until the database answers."""
    from temporalio import workflow

    if workflow.patched(LOCAL_DB_STEPS):
        try:
            return await workflow.execute_local_activity_method(
                activity, argument, start_to_close_timeout=DB_TIMEOUT, retry_policy=DB_RETRY
            )
        except ApplicationError as error:
            # A local activity's failure arrives as the bare ApplicationError; the workflows read
            # failures as ActivityError (its cause: SubjectGoneError, SourceUnreadableError, ...).
            raise ActivityError(
                "Local activity task failed",
                scheduled_event_id=0,
                started_event_id=0,
                identity="",
                activity_type=activity.__name__,
                activity_id="",
                retry_state=RetryState.NON_RETRYABLE_FAILURE,
            ) from error
    return await workflow.execute_activity_method(
        activity, argument, start_to_close_timeout=DB_TIMEOUT, retry_policy=DB_RETRY
    )


async def execute_llm_activity(activity, argument, retry: LlmRetry):
    """Every LLM-backed activity runs with the same timeouts, heartbeat and retry schedule."""
    from temporalio import workflow

    return await workflow.execute_activity_method(
        activity,
        argument,
        start_to_close_timeout=LLM_TIMEOUT,
        heartbeat_timeout=retry.heartbeat_timeout,
        retry_policy=llm_retry(retry),
    )
