"""sources: learners' own material, its chunks with locators, and courses built from it

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

KINDS = "('pdf', 'markdown', 'text', 'html', 'url', 'docx', 'transcript')"

# 0006's function plus one branch: a source's status reaches its owner's event stream too.
FUNCTION = """
CREATE OR REPLACE FUNCTION studyflow_status_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    owner uuid;
    course uuid;
    state text;
BEGIN
    IF TG_TABLE_NAME = 'courses' THEN
        owner := NEW.owner_id; course := NEW.id; state := NEW.status;
    ELSIF TG_TABLE_NAME = 'topics' THEN
        course := NEW.course_id; state := NEW.status;
        SELECT owner_id INTO owner FROM courses WHERE id = NEW.course_id;
    ELSIF TG_TABLE_NAME = 'study_contents' THEN
        course := NEW.course_id; state := NEW.status;
        SELECT owner_id INTO owner FROM courses WHERE id = NEW.course_id;
    ELSIF TG_TABLE_NAME = 'remediation_plans' THEN
        owner := NEW.user_id; course := NEW.course_id; state := NEW.status;
    ELSIF TG_TABLE_NAME = 'sources' THEN
        owner := NEW.owner_id; state := NEW.status;
    ELSE
        owner := NEW.user_id; state := CASE WHEN NEW.read_at IS NULL THEN 'unread' ELSE 'read' END;
    END IF;
    PERFORM pg_notify('studyflow_events', json_build_object(
        'user_id', owner, 'kind', TG_ARGV[0], 'id', NEW.id, 'course_id', course, 'status', state)::text);
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("owner_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(length=80), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("object_key", sa.String(length=300), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="processing", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("units", sa.Integer(), nullable=True),
        sa.Column("skipped_units", sa.Integer(), server_default="0", nullable=False),
        sa.Column("chunk_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("retry_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("workflow_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status IN ('processing', 'ready', 'failed')", name=op.f("ck_sources_status")),
        sa.CheckConstraint(f"kind IN {KINDS}", name=op.f("ck_sources_kind")),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_sources_owner_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("owner_id", "content_hash", name=op.f("uq_sources_owner_id_content_hash")),
    )
    op.create_index(op.f("ix_sources_owner_id"), "sources", ["owner_id"], unique=False)
    op.create_table(
        "course_sources",
        sa.Column("course_id", sa.UUID(), nullable=False),
        sa.Column("source_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_course_sources_course_id_courses"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_course_sources_source_id_sources"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("course_id", "source_id", name=op.f("pk_course_sources")),
    )
    op.create_index(op.f("ix_course_sources_source_id"), "course_sources", ["source_id"], unique=False)

    op.alter_column("content_chunks", "course_id", existing_type=sa.UUID(), nullable=True)
    op.add_column("content_chunks", sa.Column("source_id", sa.UUID(), nullable=True))
    op.add_column("content_chunks", sa.Column("locator", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.create_foreign_key(
        op.f("fk_content_chunks_source_id_sources"),
        "content_chunks",
        "sources",
        ["source_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_index("ix_content_chunks_source_id", "content_chunks", ["source_id"], unique=False)
    op.drop_constraint("uq_content_chunks_course_id_topic_id_source_chunk_index", "content_chunks", type_="unique")
    op.create_unique_constraint(
        "uq_content_chunks_position",
        "content_chunks",
        ["course_id", "topic_id", "source", "source_id", "chunk_index"],
        postgresql_nulls_not_distinct=True,
    )
    op.create_check_constraint(
        op.f("ck_content_chunks_belongs"), "content_chunks", "course_id IS NOT NULL OR source_id IS NOT NULL"
    )

    op.execute(FUNCTION)
    op.execute(
        "CREATE TRIGGER sources_status_event AFTER INSERT OR UPDATE OF status ON sources "
        "FOR EACH ROW EXECUTE FUNCTION studyflow_status_event('source')"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS sources_status_event ON sources")
    op.execute("DELETE FROM content_chunks WHERE source_id IS NOT NULL")
    op.drop_constraint(op.f("ck_content_chunks_belongs"), "content_chunks", type_="check")
    op.drop_constraint("uq_content_chunks_position", "content_chunks", type_="unique")
    op.create_unique_constraint(
        "uq_content_chunks_course_id_topic_id_source_chunk_index",
        "content_chunks",
        ["course_id", "topic_id", "source", "chunk_index"],
        postgresql_nulls_not_distinct=True,
    )
    op.drop_index("ix_content_chunks_source_id", table_name="content_chunks")
    op.drop_constraint(op.f("fk_content_chunks_source_id_sources"), "content_chunks", type_="foreignkey")
    op.drop_column("content_chunks", "locator")
    op.drop_column("content_chunks", "source_id")
    op.alter_column("content_chunks", "course_id", existing_type=sa.UUID(), nullable=False)
    op.drop_index(op.f("ix_course_sources_source_id"), table_name="course_sources")
    op.drop_table("course_sources")
    op.drop_index(op.f("ix_sources_owner_id"), table_name="sources")
    op.drop_table("sources")
