"""organizations: memberships with roles, tutor–learner links, invitations, groups, assignments,
learner contexts for tutors; hand-offs sent to a tutor; a display name per person

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 11:59:57.371953
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("clerk_org_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("clerk_org_id", name=op.f("uq_organizations_clerk_org_id")),
    )
    op.create_table(
        "groups",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_groups_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_groups_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_groups")),
        sa.UniqueConstraint("organization_id", "name", name=op.f("uq_groups_organization_id_name")),
    )
    op.create_table(
        "invitations",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("invited_by", sa.UUID(), nullable=True),
        sa.Column("tutor_id", sa.UUID(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_by", sa.UUID(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("role IN ('admin', 'tutor', 'learner')", name=op.f("ck_invitations_role")),
        sa.ForeignKeyConstraint(
            ["accepted_by"], ["users.id"], name=op.f("fk_invitations_accepted_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"], ["users.id"], name=op.f("fk_invitations_invited_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_invitations_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tutor_id"], ["users.id"], name=op.f("fk_invitations_tutor_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitations_token_hash")),
    )
    op.create_index(op.f("ix_invitations_organization_id"), "invitations", ["organization_id"], unique=False)
    op.create_table(
        "learner_contexts",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("learner_id", sa.UUID(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("facts", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("generated_version", sa.Integer(), server_default="-1", nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["users.id"], name=op.f("fk_learner_contexts_learner_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_learner_contexts_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learner_contexts")),
        sa.UniqueConstraint(
            "organization_id", "learner_id", name=op.f("uq_learner_contexts_organization_id_learner_id")
        ),
    )
    op.create_table(
        "memberships",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("clerk_membership_id", sa.String(length=255), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("role IN ('admin', 'tutor', 'learner')", name=op.f("ck_memberships_role")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_memberships_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_memberships_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint("clerk_membership_id", name=op.f("uq_memberships_clerk_membership_id")),
        sa.UniqueConstraint("organization_id", "user_id", name=op.f("uq_memberships_organization_id_user_id")),
    )
    op.create_index(op.f("ix_memberships_user_id"), "memberships", ["user_id"], unique=False)
    op.create_table(
        "tutor_links",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("tutor_id", sa.UUID(), nullable=False),
        sa.Column("learner_id", sa.UUID(), nullable=False),
        sa.Column("granted_by", sa.UUID(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["granted_by"], ["users.id"], name=op.f("fk_tutor_links_granted_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["users.id"], name=op.f("fk_tutor_links_learner_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_tutor_links_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tutor_id"], ["users.id"], name=op.f("fk_tutor_links_tutor_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tutor_links")),
    )
    op.create_index("ix_tutor_links_learner_id", "tutor_links", ["learner_id"], unique=False)
    op.create_index("ix_tutor_links_tutor_id", "tutor_links", ["tutor_id"], unique=False)
    op.create_index(
        "uq_tutor_links_active",
        "tutor_links",
        ["organization_id", "tutor_id", "learner_id"],
        unique=True,
        postgresql_where=sa.text("revoked_at IS NULL"),
    )
    op.create_table(
        "group_members",
        sa.Column("group_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], name=op.f("fk_group_members_group_id_groups"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_group_members_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("group_id", "user_id", name=op.f("pk_group_members")),
    )
    op.create_index(op.f("ix_group_members_user_id"), "group_members", ["user_id"], unique=False)
    op.create_table(
        "assignments",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("course_id", sa.UUID(), nullable=False),
        sa.Column("study_content_id", sa.UUID(), nullable=True),
        sa.Column("learner_id", sa.UUID(), nullable=True),
        sa.Column("group_id", sa.UUID(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('course', 'quiz', 'flashcards', 'practice_set')", name=op.f("ck_assignments_kind")
        ),
        sa.CheckConstraint("(learner_id IS NULL) <> (group_id IS NULL)", name=op.f("ck_assignments_one_target")),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_assignments_course_id_courses"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_assignments_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], name=op.f("fk_assignments_group_id_groups"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["users.id"], name=op.f("fk_assignments_learner_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_assignments_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["study_content_id"],
            ["study_contents.id"],
            name=op.f("fk_assignments_study_content_id_study_contents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
    )
    op.create_index(op.f("ix_assignments_created_by"), "assignments", ["created_by"], unique=False)
    op.create_index(op.f("ix_assignments_group_id"), "assignments", ["group_id"], unique=False)
    op.create_index(op.f("ix_assignments_organization_id"), "assignments", ["organization_id"], unique=False)
    op.create_table(
        "assignment_targets",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("assignment_id", sa.UUID(), nullable=False),
        sa.Column("learner_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="open", nullable=False),
        sa.Column("score_pct", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status IN ('open', 'completed')", name=op.f("ck_assignment_targets_status")),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.id"],
            name=op.f("fk_assignment_targets_assignment_id_assignments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["users.id"], name=op.f("fk_assignment_targets_learner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_targets")),
        sa.UniqueConstraint("assignment_id", "learner_id", name=op.f("uq_assignment_targets_assignment_id_learner_id")),
    )
    op.create_index(op.f("ix_assignment_targets_learner_id"), "assignment_targets", ["learner_id"], unique=False)
    op.add_column("tutor_handoffs", sa.Column("status", sa.String(length=16), server_default="draft", nullable=False))
    op.add_column("tutor_handoffs", sa.Column("organization_id", sa.UUID(), nullable=True))
    op.add_column("tutor_handoffs", sa.Column("tutor_id", sa.UUID(), nullable=True))
    op.add_column("tutor_handoffs", sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("tutor_handoffs", sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("tutor_handoffs", sa.Column("tutor_note", sa.Text(), nullable=True))
    op.create_check_constraint(
        op.f("ck_tutor_handoffs_status"),
        "tutor_handoffs",
        "status IN ('draft', 'sent', 'accepted', 'resolved', 'declined')",
    )
    op.create_index(op.f("ix_tutor_handoffs_tutor_id"), "tutor_handoffs", ["tutor_id"], unique=False)
    op.create_foreign_key(
        op.f("fk_tutor_handoffs_tutor_id_users"), "tutor_handoffs", "users", ["tutor_id"], ["id"], ondelete="SET NULL"
    )
    op.create_foreign_key(
        op.f("fk_tutor_handoffs_organization_id_organizations"),
        "tutor_handoffs",
        "organizations",
        ["organization_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.add_column("users", sa.Column("display_name", sa.String(length=200), nullable=True))
    op.add_column("notifications", sa.Column("dedupe_key", sa.String(length=200), nullable=True))
    op.add_column("notifications", sa.Column("link", sa.String(length=300), nullable=True))
    op.drop_index("uq_notifications_user_id_kind_day", table_name="notifications")
    op.create_index(
        "uq_notifications_user_id_kind_day",
        "notifications",
        ["user_id", "kind", "day"],
        unique=True,
        postgresql_where=sa.text("goal_id IS NULL AND dedupe_key IS NULL"),
    )
    op.create_index(
        "uq_notifications_dedupe_key",
        "notifications",
        ["dedupe_key"],
        unique=True,
        postgresql_where=sa.text("dedupe_key IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_notifications_dedupe_key", table_name="notifications")
    op.drop_index("uq_notifications_user_id_kind_day", table_name="notifications")
    op.create_index(
        "uq_notifications_user_id_kind_day",
        "notifications",
        ["user_id", "kind", "day"],
        unique=True,
        postgresql_where=sa.text("goal_id IS NULL"),
    )
    op.drop_column("notifications", "link")
    op.drop_column("notifications", "dedupe_key")
    op.drop_column("users", "display_name")
    op.drop_constraint(op.f("fk_tutor_handoffs_organization_id_organizations"), "tutor_handoffs", type_="foreignkey")
    op.drop_constraint(op.f("fk_tutor_handoffs_tutor_id_users"), "tutor_handoffs", type_="foreignkey")
    op.drop_index(op.f("ix_tutor_handoffs_tutor_id"), table_name="tutor_handoffs")
    op.drop_constraint(op.f("ck_tutor_handoffs_status"), "tutor_handoffs", type_="check")
    op.drop_column("tutor_handoffs", "tutor_note")
    op.drop_column("tutor_handoffs", "decided_at")
    op.drop_column("tutor_handoffs", "sent_at")
    op.drop_column("tutor_handoffs", "tutor_id")
    op.drop_column("tutor_handoffs", "organization_id")
    op.drop_column("tutor_handoffs", "status")
    op.drop_index(op.f("ix_assignment_targets_learner_id"), table_name="assignment_targets")
    op.drop_table("assignment_targets")
    op.drop_index(op.f("ix_assignments_organization_id"), table_name="assignments")
    op.drop_index(op.f("ix_assignments_group_id"), table_name="assignments")
    op.drop_index(op.f("ix_assignments_created_by"), table_name="assignments")
    op.drop_table("assignments")
    op.drop_index(op.f("ix_group_members_user_id"), table_name="group_members")
    op.drop_table("group_members")
    op.drop_index("uq_tutor_links_active", table_name="tutor_links", postgresql_where=sa.text("revoked_at IS NULL"))
    op.drop_index("ix_tutor_links_tutor_id", table_name="tutor_links")
    op.drop_index("ix_tutor_links_learner_id", table_name="tutor_links")
    op.drop_table("tutor_links")
    op.drop_index(op.f("ix_memberships_user_id"), table_name="memberships")
    op.drop_table("memberships")
    op.drop_table("learner_contexts")
    op.drop_index(op.f("ix_invitations_organization_id"), table_name="invitations")
    op.drop_table("invitations")
    op.drop_table("groups")
    op.drop_table("organizations")
