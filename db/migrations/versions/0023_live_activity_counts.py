"""an organisation's today counts kept as activity arrives: per (organisation, day) how many of its
learners were active by the gap since their day before (`analytics_live_gaps`) and by the minute
they began (`analytics_live_starts`), kept by triggers on active days and memberships, so today's
overview reads a few hundred counter rows instead of joining every active learner to the
memberships

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

# A counter row belongs to a live learner membership (role learner, not removed): an active day is
# counted once per organisation its learner is a live learner of, and a membership that starts or
# stops being live adds or takes away its learner's recent days (the two days before today's UTC
# date and after: every time zone's today and yesterday). Older days are not kept in step with
# memberships; nothing reads them (db/analytics/org_today.py reads today, yesterday and later days).
#
# `shard` spreads one organisation's hottest counter (everyone back from yesterday, gap 1) over
# eight rows, so learners beginning their day at once do not queue on one row lock.
FUNCTIONS = """
CREATE FUNCTION studyflow_live_count(p_user uuid, p_day date, p_prev date, p_first timestamptz,
                                     p_sign integer, p_org uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_gap integer := coalesce(p_day - p_prev, 0);
    v_shard smallint := hashtext(p_user::text) & 7;
    v_minute timestamptz := date_bin('1 minute', p_first, TIMESTAMPTZ '2000-01-01 00:00:00+00');
BEGIN
    INSERT INTO analytics_live_gaps AS c (organization_id, day, gap, shard, learners)
    SELECT o, p_day, v_gap, v_shard, p_sign
      FROM (SELECT p_org AS o WHERE p_org IS NOT NULL
            UNION ALL
            SELECT m.organization_id FROM memberships m
             WHERE p_org IS NULL AND m.user_id = p_user AND m.role = 'learner' AND m.removed_at IS NULL) x
     ORDER BY o
    ON CONFLICT (organization_id, day, gap, shard) DO UPDATE SET learners = c.learners + excluded.learners;
    INSERT INTO analytics_live_starts AS c (organization_id, day, minute, back_from_yesterday, shard, learners)
    SELECT o, p_day, v_minute, v_gap = 1, v_shard, p_sign
      FROM (SELECT p_org AS o WHERE p_org IS NOT NULL
            UNION ALL
            SELECT m.organization_id FROM memberships m
             WHERE p_org IS NULL AND m.user_id = p_user AND m.role = 'learner' AND m.removed_at IS NULL) x
     ORDER BY o
    ON CONFLICT (organization_id, day, minute, back_from_yesterday, shard)
    DO UPDATE SET learners = c.learners + excluded.learners;
END $$;

CREATE FUNCTION studyflow_live_day() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM studyflow_live_count(OLD.user_id, OLD.day, OLD.prev_day, OLD.first_at, -1, NULL);
    PERFORM studyflow_live_count(NEW.user_id, NEW.day, NEW.prev_day, NEW.first_at, 1, NULL);
    RETURN NULL;
END $$;

-- Inserted and deleted days once per statement, summed: a bulk load (a backfill, the bench's
-- generator) updating one counter row per day thousands of times in one transaction walks an
-- ever longer chain of its versions. A row the same statement relinks afterwards (a late day of
-- the same learner further down the statement) is counted here as inserted and moved by the
-- update trigger, which sums to the same.
CREATE FUNCTION studyflow_live_days() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_sign integer := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
BEGIN
    -- The streak writer's upsert of a day already begun inserts nothing: skip the two statements.
    IF NOT EXISTS (SELECT 1 FROM changed_days) THEN
        RETURN NULL;
    END IF;
    INSERT INTO analytics_live_gaps AS c (organization_id, day, gap, shard, learners)
    SELECT m.organization_id, a.day, coalesce(a.day - a.prev_day, 0), hashtext(a.user_id::text) & 7, v_sign * count(*)
      FROM changed_days a
      JOIN memberships m ON m.user_id = a.user_id AND m.role = 'learner' AND m.removed_at IS NULL
     GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (organization_id, day, gap, shard) DO UPDATE SET learners = c.learners + excluded.learners;
    INSERT INTO analytics_live_starts AS c (organization_id, day, minute, back_from_yesterday, shard, learners)
    SELECT m.organization_id, a.day, date_bin('1 minute', a.first_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'),
           coalesce(a.day - a.prev_day, 0) = 1, hashtext(a.user_id::text) & 7, v_sign * count(*)
      FROM changed_days a
      JOIN memberships m ON m.user_id = a.user_id AND m.role = 'learner' AND m.removed_at IS NULL
     GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (organization_id, day, minute, back_from_yesterday, shard)
    DO UPDATE SET learners = c.learners + excluded.learners;
    RETURN NULL;
END $$;

CREATE FUNCTION studyflow_live_membership() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
    v_from date := (now() AT TIME ZONE 'UTC')::date - 2;
BEGIN
    -- An organisation being deleted takes its counters with it (foreign key); nothing to take away.
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.role = 'learner' AND OLD.removed_at IS NULL
       AND EXISTS (SELECT 1 FROM organizations o WHERE o.id = OLD.organization_id) THEN
        FOR r IN SELECT a.day, a.prev_day, a.first_at FROM learner_active_days a
                  WHERE a.user_id = OLD.user_id AND a.day >= v_from LOOP
            PERFORM studyflow_live_count(OLD.user_id, r.day, r.prev_day, r.first_at, -1, OLD.organization_id);
        END LOOP;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.role = 'learner' AND NEW.removed_at IS NULL THEN
        FOR r IN SELECT a.day, a.prev_day, a.first_at FROM learner_active_days a
                  WHERE a.user_id = NEW.user_id AND a.day >= v_from LOOP
            PERFORM studyflow_live_count(NEW.user_id, r.day, r.prev_day, r.first_at, 1, NEW.organization_id);
        END LOOP;
    END IF;
    RETURN NULL;
END $$;

-- Yesterday's rolled row counted members by the role they had then; a role changed today is not a
-- join or a leave, so today's shortcut must see it to step aside (db/analytics/org_today.py).
CREATE FUNCTION studyflow_membership_role_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.role_changed_at := now();
    RETURN NEW;
END $$;
CREATE TRIGGER memberships_role_changed BEFORE UPDATE ON memberships
    FOR EACH ROW WHEN (OLD.role IS DISTINCT FROM NEW.role) EXECUTE FUNCTION studyflow_membership_role_changed();

CREATE TRIGGER learner_active_days_live_added AFTER INSERT ON learner_active_days
    REFERENCING NEW TABLE AS changed_days FOR EACH STATEMENT EXECUTE FUNCTION studyflow_live_days();
CREATE TRIGGER learner_active_days_live_deleted AFTER DELETE ON learner_active_days
    REFERENCING OLD TABLE AS changed_days FOR EACH STATEMENT EXECUTE FUNCTION studyflow_live_days();
-- Only what moves a day between counters: its previous day (a late day slotted in), its first
-- moment, or the row itself. The streak writer's every-activity update of `last_at` costs nothing.
CREATE TRIGGER learner_active_days_live_moved AFTER UPDATE ON learner_active_days
    FOR EACH ROW WHEN (OLD.prev_day IS DISTINCT FROM NEW.prev_day OR OLD.first_at IS DISTINCT FROM NEW.first_at
                       OR OLD.user_id IS DISTINCT FROM NEW.user_id OR OLD.day IS DISTINCT FROM NEW.day)
    EXECUTE FUNCTION studyflow_live_day();
CREATE TRIGGER memberships_live AFTER INSERT OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION studyflow_live_membership();
CREATE TRIGGER memberships_live_moved AFTER UPDATE ON memberships
    FOR EACH ROW WHEN (OLD.role IS DISTINCT FROM NEW.role OR OLD.removed_at IS DISTINCT FROM NEW.removed_at
                       OR OLD.user_id IS DISTINCT FROM NEW.user_id
                       OR OLD.organization_id IS DISTINCT FROM NEW.organization_id)
    EXECUTE FUNCTION studyflow_live_membership();
"""

_LIVE = (
    "FROM learner_active_days a JOIN memberships m ON m.user_id = a.user_id AND m.role = 'learner' "
    "AND m.removed_at IS NULL WHERE a.day >= (now() AT TIME ZONE 'UTC')::date - 2"
)


def upgrade() -> None:
    op.create_table(
        "analytics_live_gaps",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("gap", sa.Integer(), nullable=False),
        sa.Column("shard", sa.SmallInteger(), nullable=False),
        sa.Column("learners", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_analytics_live_gaps_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organization_id", "day", "gap", "shard", name=op.f("pk_analytics_live_gaps")),
    )
    op.create_table(
        "analytics_live_starts",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("minute", sa.DateTime(timezone=True), nullable=False),
        sa.Column("back_from_yesterday", sa.Boolean(), nullable=False),
        sa.Column("shard", sa.SmallInteger(), nullable=False),
        sa.Column("learners", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_analytics_live_starts_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "organization_id", "day", "minute", "back_from_yesterday", "shard", name=op.f("pk_analytics_live_starts")
        ),
    )
    op.add_column("memberships", sa.Column("role_changed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_memberships_organization_id_role_changed_at",
        "memberships",
        ["organization_id", "role_changed_at"],
        postgresql_where=sa.text("role_changed_at IS NOT NULL"),
    )
    # The rows of one minute of a day: the minute the first nudge went out is read row by row.
    op.create_index("ix_learner_active_days_day_first_at", "learner_active_days", ["day", "first_at"])
    op.execute(
        "INSERT INTO analytics_live_gaps (organization_id, day, gap, shard, learners) "
        "SELECT m.organization_id, a.day, coalesce(a.day - a.prev_day, 0), hashtext(a.user_id::text) & 7, count(*) "
        f"{_LIVE} GROUP BY 1, 2, 3, 4"
    )
    op.execute(
        "INSERT INTO analytics_live_starts (organization_id, day, minute, back_from_yesterday, shard, learners) "
        "SELECT m.organization_id, a.day, date_bin('1 minute', a.first_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'), "
        f"coalesce(a.day - a.prev_day, 0) = 1, hashtext(a.user_id::text) & 7, count(*) {_LIVE} "
        "GROUP BY 1, 2, 3, 4, 5"
    )
    op.execute(FUNCTIONS)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS memberships_live_moved ON memberships")
    op.execute("DROP TRIGGER IF EXISTS memberships_live ON memberships")
    op.execute("DROP TRIGGER IF EXISTS learner_active_days_live_moved ON learner_active_days")
    op.execute("DROP TRIGGER IF EXISTS learner_active_days_live_deleted ON learner_active_days")
    op.execute("DROP TRIGGER IF EXISTS learner_active_days_live_added ON learner_active_days")
    op.execute("DROP TRIGGER IF EXISTS memberships_role_changed ON memberships")
    op.execute("DROP FUNCTION IF EXISTS studyflow_membership_role_changed()")
    op.execute("DROP FUNCTION IF EXISTS studyflow_live_membership()")
    op.execute("DROP FUNCTION IF EXISTS studyflow_live_days()")
    op.execute("DROP FUNCTION IF EXISTS studyflow_live_day()")
    op.execute("DROP FUNCTION IF EXISTS studyflow_live_count(uuid, date, date, timestamptz, integer, uuid)")
    op.drop_index("ix_learner_active_days_day_first_at", table_name="learner_active_days")
    op.drop_index("ix_memberships_organization_id_role_changed_at", table_name="memberships")
    op.drop_column("memberships", "role_changed_at")
    op.drop_table("analytics_live_starts")
    op.drop_table("analytics_live_gaps")
