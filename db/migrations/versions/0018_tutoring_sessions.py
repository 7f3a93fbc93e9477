"""tutoring sessions: transcripts analysed by SessionAnalysisWorkflow (versions, windows, concepts
with evidence), the mastery evidence sessions contribute, and their status events

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 09:00:00
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

UUID_PK: dict[str, Any] = dict(server_default=sa.text("gen_random_uuid()"), nullable=False)
NOW: dict[str, Any] = dict(server_default=sa.text("now()"), nullable=False)

# A session's status and stage reach both the learner and the tutor over GET /v1/events.
SESSION_EVENT = """
CREATE FUNCTION studyflow_session_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    person uuid;
BEGIN
    FOREACH person IN ARRAY ARRAY[NEW.learner_id, NEW.tutor_id] LOOP
        IF person IS NOT NULL THEN
            PERFORM pg_notify('studyflow_events', json_build_object(
                'user_id', person, 'kind', 'session', 'id', NEW.id, 'course_id', NULL,
                'status', NEW.status, 'stage', NEW.stage)::text);
        END IF;
    END LOOP;
    RETURN NULL;
END $$;
"""


def _fk(column: str, table: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "tutoring_sessions",
        sa.Column("id", sa.UUID(), **UUID_PK),
        sa.Column("organization_id", sa.UUID(), nullable=True),
        sa.Column("learner_id", sa.UUID(), nullable=False),
        sa.Column("tutor_id", sa.UUID(), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("source_id", sa.UUID(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("session_date", sa.Date(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("transcript_format", sa.String(length=16), nullable=False),
        sa.Column("speaker_mapping", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("status", sa.String(length=16), server_default="processing", nullable=False),
        sa.Column("stage", sa.String(length=80), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("analysis_version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), **NOW),
        sa.Column("updated_at", sa.DateTime(timezone=True), **NOW),
        sa.CheckConstraint("status IN ('processing', 'ready', 'failed')", name=op.f("ck_tutoring_sessions_status")),
        _fk("organization_id", "tutoring_sessions", "organizations", "SET NULL"),
        _fk("learner_id", "tutoring_sessions", "users", "CASCADE"),
        _fk("tutor_id", "tutoring_sessions", "users", "SET NULL"),
        _fk("created_by", "tutoring_sessions", "users", "SET NULL"),
        _fk("source_id", "tutoring_sessions", "sources", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tutoring_sessions")),
    )
    for column in ("organization_id", "learner_id", "tutor_id", "source_id"):
        op.create_index(op.f(f"ix_tutoring_sessions_{column}"), "tutoring_sessions", [column])

    op.create_table(
        "session_analyses",
        sa.Column("id", sa.UUID(), **UUID_PK),
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="processing", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("engine", sa.String(length=16), nullable=True),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("transcript", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("roles", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("roles_from", sa.String(length=16), nullable=True),
        sa.Column("windows", sa.Integer(), nullable=True),
        *(
            sa.Column(name, postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False)
            for name in ("topics", "strengths", "areas_for_improvement", "action_items")
        ),
        *(
            sa.Column(name, sa.Integer(), server_default="0", nullable=False)
            for name in ("quotes_proposed", "quotes_valid", "quotes_dropped", "concepts_proposed", "concepts_dropped")
        ),
        sa.Column("mastery_applied", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("practice_course_id", sa.UUID(), nullable=True),
        sa.Column("practice_status", sa.String(length=16), nullable=True),
        sa.Column("practice_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), **NOW),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('processing', 'ready', 'failed')", name=op.f("ck_session_analyses_status")),
        _fk("session_id", "session_analyses", "tutoring_sessions", "CASCADE"),
        _fk("practice_course_id", "session_analyses", "courses", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_analyses")),
        sa.UniqueConstraint("session_id", "version", name=op.f("uq_session_analyses_session_id_version")),
    )

    op.create_table(
        "session_window_insights",
        sa.Column("analysis_id", sa.UUID(), nullable=False),
        sa.Column("window_index", sa.Integer(), nullable=False),
        sa.Column("draft", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("engine", sa.String(length=16), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), **NOW),
        _fk("analysis_id", "session_window_insights", "session_analyses", "CASCADE"),
        sa.PrimaryKeyConstraint("analysis_id", "window_index", name=op.f("pk_session_window_insights")),
    )

    op.create_table(
        "session_concepts",
        sa.Column("id", sa.UUID(), **UUID_PK),
        sa.Column("analysis_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("difficulty", sa.Integer(), nullable=False),
        sa.Column("learner_showed", sa.String(length=16), nullable=False),
        sa.Column("evidence", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("topic_id", sa.UUID(), nullable=True),
        sa.Column("matched", sa.String(length=16), server_default="none", nullable=False),
        sa.CheckConstraint(
            "learner_showed IN ('understood', 'partial', 'misconception')",
            name=op.f("ck_session_concepts_learner_showed"),
        ),
        sa.CheckConstraint("difficulty BETWEEN 1 AND 10", name=op.f("ck_session_concepts_difficulty")),
        _fk("analysis_id", "session_concepts", "session_analyses", "CASCADE"),
        _fk("topic_id", "session_concepts", "topics", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_concepts")),
        sa.UniqueConstraint("analysis_id", "key", name=op.f("uq_session_concepts_analysis_id_key")),
    )
    op.create_index(op.f("ix_session_concepts_analysis_id"), "session_concepts", ["analysis_id"])

    op.create_table(
        "mastery_evidence",
        sa.Column("id", sa.UUID(), **UUID_PK),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("topic_id", sa.UUID(), nullable=False),
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("concept_id", sa.UUID(), nullable=False),
        sa.Column("observation", sa.String(length=16), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), **NOW),
        sa.CheckConstraint(
            "observation IN ('understood', 'partial', 'misconception')", name=op.f("ck_mastery_evidence_observation")
        ),
        _fk("user_id", "mastery_evidence", "users", "CASCADE"),
        _fk("topic_id", "mastery_evidence", "topics", "CASCADE"),
        _fk("session_id", "mastery_evidence", "tutoring_sessions", "CASCADE"),
        _fk("concept_id", "mastery_evidence", "session_concepts", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mastery_evidence")),
        sa.UniqueConstraint("concept_id", name=op.f("uq_mastery_evidence_concept_id")),
    )
    for column in ("user_id", "topic_id", "session_id"):
        op.create_index(op.f(f"ix_mastery_evidence_{column}"), "mastery_evidence", [column])

    op.execute(SESSION_EVENT)
    op.execute(
        "CREATE TRIGGER tutoring_sessions_status_event AFTER INSERT OR UPDATE OF status, stage ON tutoring_sessions "
        "FOR EACH ROW EXECUTE FUNCTION studyflow_session_event()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS tutoring_sessions_status_event ON tutoring_sessions")
    op.execute("DROP FUNCTION IF EXISTS studyflow_session_event()")
    op.drop_table("mastery_evidence")
    op.drop_table("session_concepts")
    op.drop_table("session_window_insights")
    op.drop_table("session_analyses")
    op.drop_table("tutoring_sessions")
