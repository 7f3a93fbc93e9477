"""The status reads a client polls while something generates (a course, topic notes, a
study-content set, a remediation plan), each as one statement that also looks the learner up
(api/learner_read.py). A stranger's id, like a missing one, comes back with the resource's
columns NULL.

The course is the most polled of all (a client watches it generate): the learner, the course if
it is theirs, its topics, study content and sources come back as JSON aggregates, one round trip
instead of five."""

from __future__ import annotations

from db.read_pool import PolledRead

COURSE = PolledRead.of(
    "course",
    """
    SELECT u.id AS user_id, u.deleted_at,
           c.id, c.topic, c.course_type, c.difficulty, c.status, c.topics_total, c.topics_completed,
           c.progress_pct, c.topics_read, c.created_at, c.preferences, c.outline ->> 'title' AS title, c.outline_source,
           c.outline_model, c.error, c.workflow_id,
           (SELECT coalesce(json_agg(json_build_object(
                       'id', t.id, 'chapter_index', t.chapter_index, 'chapter_title', t.chapter_title,
                       'topic_index', t.topic_index, 'title', t.title, 'summary', t.summary, 'status', t.status,
                       'updated_at', t.updated_at, 'read', t.read_at IS NOT NULL)
                     ORDER BY t.chapter_index, t.topic_index), '[]')
              FROM topics t WHERE t.course_id = c.id) AS topics,
           (SELECT coalesce(json_agg(json_build_object('id', s.id, 'type', s.type, 'status', s.status,
                                                       'updated_at', s.updated_at)
                                     ORDER BY s.type), '[]')
              FROM study_contents s WHERE s.course_id = c.id) AS study_content,
           (SELECT coalesce(json_agg(json_build_object('id', so.id, 'name', so.name, 'kind', so.kind)
                                     ORDER BY cs.position), '[]')
              FROM course_sources cs JOIN sources so ON so.id = cs.source_id WHERE cs.course_id = c.id) AS sources
      FROM users u
      LEFT JOIN courses c ON c.id = :course_id AND c.owner_id = u.id
     WHERE u.clerk_id = :clerk_id
    """,
)

TOPIC = PolledRead.of(
    "topic",
    """
    SELECT u.deleted_at, t.id, t.course_id, t.chapter_index, t.chapter_title, t.topic_index, t.title,
           t.summary, t.status, t.notes_md, t.notes_model, t.error, t.retry_count, t.generated_at, t.updated_at,
           t.read_at IS NOT NULL AS read
      FROM users u
      LEFT JOIN (topics t JOIN courses c ON c.id = t.course_id) ON t.id = :topic_id AND c.owner_id = u.id
     WHERE u.clerk_id = :clerk_id
    """,
)

STUDY_CONTENT = PolledRead.of(
    "study_content",
    """
    SELECT u.id AS user_id, u.deleted_at, s.id, s.course_id, s.type, s.status, s.served_from, s.model,
           s.error, s.retry_count, s.quality_report, s.payload, s.updated_at
      FROM users u
      LEFT JOIN (study_contents s JOIN courses c ON c.id = s.course_id) ON s.id = :content_id AND c.owner_id = u.id
     WHERE u.clerk_id = :clerk_id
    """,
)

REMEDIATION_PLAN = PolledRead.of(
    "remediation_plan",
    """
    SELECT u.deleted_at, r.id, r.quiz_attempt_id, r.course_id, r.status, r.error, r.retry_count, r.plan
      FROM users u
      LEFT JOIN remediation_plans r ON r.id = :plan_id AND r.user_id = u.id
     WHERE u.clerk_id = :clerk_id
    """,
)
