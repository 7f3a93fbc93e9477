"""The status reads a client polls while something generates (topic notes, a study-content set,
a remediation plan), each as one statement that also looks the learner up (api/learner_read.py).
A stranger's id, like a missing one, comes back with the resource's columns NULL."""

from __future__ import annotations

from sqlalchemy import text

TOPIC = text(
    """
    SELECT u.deleted_at, t.id, t.course_id, t.chapter_index, t.chapter_title, t.topic_index, t.title,
           t.summary, t.status, t.notes_md, t.notes_model, t.error, t.retry_count, t.generated_at
      FROM users u
      LEFT JOIN (topics t JOIN courses c ON c.id = t.course_id) ON t.id = :topic_id AND c.owner_id = u.id
     WHERE u.clerk_id = :clerk_id
    """
)

STUDY_CONTENT = text(
    """
    SELECT u.id AS user_id, u.deleted_at, s.id, s.course_id, s.type, s.status, s.served_from, s.model,
           s.error, s.retry_count, s.quality_report, s.payload
      FROM users u
      LEFT JOIN (study_contents s JOIN courses c ON c.id = s.course_id) ON s.id = :content_id AND c.owner_id = u.id
     WHERE u.clerk_id = :clerk_id
    """
)

REMEDIATION_PLAN = text(
    """
    SELECT u.deleted_at, r.id, r.quiz_attempt_id, r.course_id, r.status, r.error, r.retry_count, r.plan
      FROM users u
      LEFT JOIN remediation_plans r ON r.id = :plan_id AND r.user_id = u.id
     WHERE u.clerk_id = :clerk_id
    """
)
