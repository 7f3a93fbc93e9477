"""LLM failures. Each is a Temporal ApplicationError whose type is its class name, so retry
policies and the Temporal UI name them, and the provider's own advice travels with the failure:
a Retry-After becomes the next attempt's delay; a request the provider rejects as such is not
retried at all."""

from __future__ import annotations

from datetime import timedelta

from temporalio.exceptions import ApplicationError


class LlmUnavailableError(ApplicationError):
    """No endpoint answered (overload, outage, timeout): retried, after `retry_after` when the
    provider said how long to wait."""

    def __init__(self, message: str, retry_after: timedelta | None = None) -> None:
        super().__init__(message, type="LlmUnavailableError", next_retry_delay=retry_after)
        self.retry_after = retry_after


class LlmRequestRejectedError(ApplicationError):
    """The provider refused the request itself (bad request, bad key, no such model): another
    attempt would be refused the same way, so the work fails at once with what to fix."""

    def __init__(self, message: str) -> None:
        super().__init__(message, type="LlmRequestRejectedError", non_retryable=True)


class LlmOutputInvalidError(Exception):
    """The model answered, but not with JSON matching the schema, even after a repair attempt."""
