from __future__ import annotations

import uuid
from datetime import datetime

from pgvector.sqlalchemy import Vector
from sqlalchemy import CheckConstraint, Computed, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import EMBEDDING_DIMENSIONS, Base, created_at, uuid_pk


class ContentChunk(Base):
    __tablename__ = "content_chunks"
    __table_args__ = (
        Index(
            "ix_content_chunks_embedding_hnsw",
            "embedding",
            postgresql_using="hnsw",
            postgresql_with={"m": 16, "ef_construction": 64},
            postgresql_ops={"embedding": "vector_cosine_ops"},
        ),
        Index("ix_content_chunks_tsv", "tsv", postgresql_using="gin"),
        Index("ix_content_chunks_course_topic", "course_id", "topic_id"),
        Index("ix_content_chunks_source_id", "source_id"),
        UniqueConstraint(
            "course_id",
            "topic_id",
            "source",
            "source_id",
            "chunk_index",
            name="uq_content_chunks_position",
            postgresql_nulls_not_distinct=True,
        ),
        # Course material (outline, notes) or a learner's source: never neither.
        CheckConstraint("course_id IS NOT NULL OR source_id IS NOT NULL", name="belongs"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    source_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    topic_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(32))
    chunk_index: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    # Where in the source the chunk comes from: {"page": 12}, {"heading": ...}, {"start": "00:12:04"}.
    locator: Mapped[dict | None] = mapped_column(JSONB)
    embedding: Mapped[list[float]] = mapped_column(Vector(EMBEDDING_DIMENSIONS))
    tsv: Mapped[str] = mapped_column(TSVECTOR, Computed("to_tsvector('english', text)", persisted=True))
    created_at: Mapped[datetime] = created_at()


class SemanticCacheEntry(Base):
    __tablename__ = "semantic_cache"
    __table_args__ = (
        Index(
            "ix_semantic_cache_embedding_hnsw",
            "embedding",
            postgresql_using="hnsw",
            postgresql_with={"m": 16, "ef_construction": 64},
            postgresql_ops={"embedding": "vector_cosine_ops"},
        ),
        # One entry per request within a scope: a retried store finds it instead of adding another.
        UniqueConstraint("scope_key", "request_text"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    scope_key: Mapped[str] = mapped_column(String(512), index=True)
    request_text: Mapped[str] = mapped_column(Text)
    embedding: Mapped[list[float]] = mapped_column(Vector(EMBEDDING_DIMENSIONS))
    response: Mapped[dict] = mapped_column(JSONB)
    model: Mapped[str] = mapped_column(String(200))
    prompt_version: Mapped[str] = mapped_column(String(32))
    hits: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime] = created_at()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
