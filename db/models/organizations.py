"""A tutoring centre or school: its members and their roles, tutor–learner links, invitations and
groups. A person with no membership keeps the personal space of a learner studying alone."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_at, updated_at, uuid_pk
from studyflow.statuses import Role, check_in


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(200))
    # Clerk Organizations: the organisation's id there (provisioned by its webhooks).
    clerk_org_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    # Deleted in Clerk: kept as a tombstone so a session token still naming it cannot bring it back.
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The newest Clerk `updated_at` (ms) applied: an older delivery arriving late changes nothing.
    clerk_updated_at: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class Membership(Base):
    """One person in one organisation with one role. Removing a member keeps the row with
    `removed_at` (a tombstone), so an old session token naming the organisation cannot bring the
    membership back; what the person studied stays theirs."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("organization_id", "user_id"),
        CheckConstraint(check_in("role", Role), name="role"),
        # Who joined or left an organisation on a day (today's analytics, db/analytics/org_today.py).
        Index("ix_memberships_organization_id_created_at", "organization_id", "created_at"),
        Index(
            "ix_memberships_organization_id_removed_at",
            "organization_id",
            "removed_at",
            postgresql_where=text("removed_at IS NOT NULL"),
        ),
        Index(
            "ix_memberships_organization_id_role_changed_at",
            "organization_id",
            "role_changed_at",
            postgresql_where=text("role_changed_at IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    clerk_membership_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    clerk_updated_at: Mapped[int | None] = mapped_column(BigInteger)
    # Set by a trigger when the role changes (migration 0023): today's analytics shortcut steps aside.
    role_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class TutorLink(Base):
    """A tutor may see a learner's courses, attempts, mastery, goals and sessions (never their
    chat, unless the learner hands a conversation off) while the link is not revoked."""

    __tablename__ = "tutor_links"
    __table_args__ = (
        Index(
            "uq_tutor_links_active",
            "organization_id",
            "tutor_id",
            "learner_id",
            unique=True,
            postgresql_where=text("revoked_at IS NULL"),
        ),
        Index("ix_tutor_links_learner_id", "learner_id"),
        Index("ix_tutor_links_tutor_id", "tutor_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    tutor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    learner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    granted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()


class Invitation(Base):
    """A single-use, expiring invitation into an organisation with a role; one a tutor sends a
    learner also links them when accepted (the learner's consent). Only the token's hash is kept."""

    __tablename__ = "invitations"
    __table_args__ = (CheckConstraint(check_in("role", Role), name="role"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    invited_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    tutor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    note: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()


class Group(Base):
    __tablename__ = "groups"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at()


class GroupMember(Base):
    __tablename__ = "group_members"

    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    added_at: Mapped[datetime] = created_at()
