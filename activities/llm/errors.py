"""LLM failures. Temporal sees the class name as the ApplicationError type, so retry policies
name them in `non_retryable_error_types`."""

from __future__ import annotations


class LlmUnavailableError(Exception):
    """Both primary and fallback endpoints failed at the transport level (retryable)."""


class LlmOutputInvalidError(Exception):
    """The model answered, but not with JSON matching the schema, even after a repair attempt."""
