"""Workflow inputs derived from settings, built in one place for every starter (API routes and the
background dispatcher): what a workflow will do is decided when it starts and recorded in history."""

from __future__ import annotations

from studyflow.contracts.workflow_inputs import LlmRetry, OutlineShape
from studyflow.settings import Settings


def llm_retry(settings: Settings) -> LlmRetry:
    return LlmRetry(
        max_attempts=settings.llm_max_attempts,
        initial_seconds=settings.llm_retry_initial_seconds,
        max_seconds=settings.llm_retry_max_seconds,
        heartbeat_seconds=settings.llm_heartbeat_timeout_seconds,
    )


def outline_shape(settings: Settings) -> OutlineShape:
    return OutlineShape(
        chapters=settings.outline_chapters,
        min_topics=settings.outline_min_topics,
        max_topics=settings.outline_max_topics,
    )
