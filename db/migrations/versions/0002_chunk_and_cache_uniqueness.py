"""chunk and cache uniqueness

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_unique_constraint(
        op.f("uq_content_chunks_course_id_topic_id_source_chunk_index"),
        "content_chunks",
        ["course_id", "topic_id", "source", "chunk_index"],
        postgresql_nulls_not_distinct=True,
    )
    op.create_unique_constraint(
        op.f("uq_semantic_cache_scope_key_request_text"), "semantic_cache", ["scope_key", "request_text"]
    )


def downgrade() -> None:
    op.drop_constraint(op.f("uq_semantic_cache_scope_key_request_text"), "semantic_cache", type_="unique")
    op.drop_constraint(
        op.f("uq_content_chunks_course_id_topic_id_source_chunk_index"), "content_chunks", type_="unique"
    )
