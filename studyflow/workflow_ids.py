"""Deterministic workflow ids: the same piece of work always maps to the same id, so duplicate
starts converge on one execution and operators can find work by the entity it concerns."""

from __future__ import annotations

import uuid


def course_generation(course_id: uuid.UUID) -> str:
    return f"course-generation-{course_id}"


def topic_notes(topic_id: uuid.UUID) -> str:
    return f"topic-notes-{topic_id}"


def study_content(content_id: uuid.UUID) -> str:
    return f"study-content-{content_id}"


def remediation(attempt_id: uuid.UUID) -> str:
    return f"remediation-{attempt_id}"


def background_dispatcher(task_queue: str) -> str:
    """One dispatcher per background queue (one per deployment)."""
    return f"background-notes-dispatcher-{task_queue}"


def clerk_event(delivery_id: str) -> str:
    return f"clerk-event-{delivery_id}"


def engagement_nudges() -> str:
    """The nudge schedule's runs; Temporal appends the scheduled time to keep each run unique."""
    return "engagement-nudges"


def conversation(conversation_id: uuid.UUID) -> str:
    return f"conversation-{conversation_id}"


def source_ingestion(source_id: uuid.UUID, attempt: int = 0) -> str:
    """A failed source that is uploaded again is ingested by a new run: the attempt tells them apart."""
    return f"source-ingestion-{source_id}" + (f"-{attempt}" if attempt else "")


def stuck_row_reconciler() -> str:
    """The reconciler schedule's runs; Temporal appends the scheduled time to each."""
    return "stuck-row-reconciler"


def grading(attempt_id: uuid.UUID) -> str:
    """The free-text answers of one attempt: graded, routed and reviewed by one run."""
    return f"grading-{attempt_id}"


def subject_suggestions(goal_id: uuid.UUID) -> str:
    """One suggestions run per met goal, however often its completion is observed."""
    return f"subject-suggestions-{goal_id}"


def assignment_fan_out(assignment_id: uuid.UUID) -> str:
    return f"assignment-fan-out-{assignment_id}"


def learner_context(organization_id: uuid.UUID, learner_id: uuid.UUID) -> str:
    """One writer of a learner's context per organisation; evidence arriving while it runs makes
    it write again (it loops while its row is stale)."""
    return f"learner-context-{organization_id}-{learner_id}"


def analytics_rollup() -> str:
    """The nightly rollup schedule's runs (Temporal appends the scheduled time)."""
    return "analytics-rollup"


def analytics_backfill(first, last, organization_id=None) -> str:
    return f"analytics-backfill-{first}-{last}-{organization_id or 'all'}"


def session_analysis(session_id: uuid.UUID, version: int) -> str:
    """One run per version of a session's analysis (a correction is the next version)."""
    return f"session-analysis-{session_id}-v{version}"


def tutor_digest() -> str:
    """The weekly digest schedule's runs; Temporal appends the scheduled time to each."""
    return "tutor-digest"
