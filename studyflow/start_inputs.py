"""Workflow inputs derived from settings, built in one place for every starter (API routes and the
background dispatcher): what a workflow will do is decided when it starts and recorded in history."""

from __future__ import annotations

from studyflow.contracts.workflow_inputs import LlmRetry, OutlineShape
from studyflow.settings import Settings

# The bundled 135M model (demo mode) writes content only where there is no material to cut it
# from, and there it fails the output checks on nearly every try: a fresh clone's first course
# asked it for an outline four times, ~20 s of both cores each, all four failing the same way,
# before the manual outline (2 minutes to a ready course). One retry covers a glitch; more only
# keep the learner waiting for the same failure.
BUNDLED_MODEL_ATTEMPTS = 2


def llm_retry(settings: Settings) -> LlmRetry:
    attempts = settings.llm_max_attempts
    if settings.uses_bundled_model:
        attempts = min(attempts, BUNDLED_MODEL_ATTEMPTS)
    return LlmRetry(
        max_attempts=attempts,
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
