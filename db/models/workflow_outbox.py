"""The transactional outbox: a workflow start recorded in the same transaction as the row it
works on, so "row written" and "workflow started" cannot disagree. The API starts the workflow
after answering and marks the record; if that fails or it dies first, the reconciler's relay
starts it from the record (same deterministic id)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_at


class WorkflowStart(Base):
    __tablename__ = "workflow_outbox"
    __table_args__ = (Index("ix_workflow_outbox_unstarted", "created_at", postgresql_where=text("started_at IS NULL")),)

    # One record per workflow id: a later request for the same work (a retry after failure)
    # replaces the record of the earlier one.
    workflow_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    workflow_type: Mapped[str] = mapped_column(String(100))
    task_queue: Mapped[str] = mapped_column(String(200))
    # Temporal's own encodings (a Payload and SearchAttributes, serialized protobufs): the relay
    # starts exactly what the API would have started.
    argument: Mapped[bytes] = mapped_column(LargeBinary)
    search_attributes: Mapped[bytes] = mapped_column(LargeBinary)
    terminate_existing: Mapped[bool] = mapped_column(server_default=text("false"))
    created_at: Mapped[datetime] = created_at()
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    restarts: Mapped[int] = mapped_column(Integer, server_default="0")
    # What the start works on, so a start that can never be made is undone the way its kind is.
    subject_kind: Mapped[str | None] = mapped_column(String(32))
    subject_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    relay_failures: Mapped[int] = mapped_column(Integer, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
