"""Retry policies built from the inputs recorded in history (deterministic on replay)."""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

from studyflow.contracts.workflow_inputs import LlmRetry

NON_RETRYABLE = ["SubjectGoneError", "SourceUnreadableError"]

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


async def execute_db_activity(activity, argument):
    """Every database-only activity: quick, retried until the database answers."""
    from temporalio import workflow

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
