"""Activity error types. Temporal sees the class name as the ApplicationError type, so retry
policies name them in `non_retryable_error_types`. LLM failures live in `activities.llm.errors`."""

from __future__ import annotations


class SubjectGoneError(Exception):
    """The row the work is about no longer exists (e.g. the course was deleted): never retry."""


class SourceUnreadableError(Exception):
    """A learner's file or page cannot be studied from (encrypted, damaged, empty, too large, no
    answer). The message is written for the learner; retrying would not change it."""


class ProviderEventInvalidError(Exception):
    """A stored provider event (a Clerk delivery) whose data does not fit its schema: applying it
    again would fail again the same way, so the workflow ends with the reason instead."""
