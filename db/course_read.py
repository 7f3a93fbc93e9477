"""A learner's course as `GET /v1/courses/{id}` shows it, in one round trip: the learner (by the
token's subject), the course if it is theirs, its topics, study content and sources. The most
polled read there is (a client watches a course generate), so it pays for one query, not five
(run through api/learner_read.py)."""

from __future__ import annotations

from sqlalchemy import text

COURSE = text(
    """
    SELECT u.id AS user_id, u.deleted_at,
           c.id, c.topic, c.course_type, c.difficulty, c.status, c.topics_total, c.topics_completed,
           c.progress_pct, c.created_at, c.preferences, c.outline ->> 'title' AS title, c.outline_source,
           c.outline_model, c.error, c.workflow_id,
           (SELECT coalesce(json_agg(json_build_object(
                       'id', t.id, 'chapter_index', t.chapter_index, 'chapter_title', t.chapter_title,
                       'topic_index', t.topic_index, 'title', t.title, 'summary', t.summary, 'status', t.status)
                     ORDER BY t.chapter_index, t.topic_index), '[]')
              FROM topics t WHERE t.course_id = c.id) AS topics,
           (SELECT coalesce(json_agg(json_build_object('id', s.id, 'type', s.type, 'status', s.status) ORDER BY s.type), '[]')
              FROM study_contents s WHERE s.course_id = c.id) AS study_content,
           (SELECT coalesce(json_agg(json_build_object('id', so.id, 'name', so.name, 'kind', so.kind) ORDER BY cs.position), '[]')
              FROM course_sources cs JOIN sources so ON so.id = cs.source_id WHERE cs.course_id = c.id) AS sources
      FROM users u
      LEFT JOIN courses c ON c.id = :course_id AND c.owner_id = u.id
     WHERE u.clerk_id = :clerk_id
    """
)

