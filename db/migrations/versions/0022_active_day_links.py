"""an active day carries the learner's active day before it (`prev_day`), kept by triggers, so an
organisation's today reads each active learner's last day in the row it scans instead of probing
their history

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 15:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

# Triggers rather than the writer: the streak writer, the bench's bulk loads and the tests' own
# rows all keep the link, whatever order days arrive in. A day inserted before a later one (a late
# event) becomes that later day's previous one. Writers of one learner are serialised on the
# learner's row (db/user_counters.record_activity_day), so the two statements see each other.
FUNCTIONS = """
CREATE FUNCTION studyflow_active_day_prev() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.prev_day := (SELECT max(a.day) FROM learner_active_days a
                      WHERE a.user_id = NEW.user_id AND a.day < NEW.day);
    RETURN NEW;
END $$;

CREATE FUNCTION studyflow_active_day_next() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE learner_active_days a SET prev_day = NEW.day
     WHERE a.user_id = NEW.user_id
       AND a.day = (SELECT min(n.day) FROM learner_active_days n WHERE n.user_id = NEW.user_id AND n.day > NEW.day)
       AND (a.prev_day IS NULL OR a.prev_day < NEW.day);
    RETURN NULL;
END $$;

CREATE TRIGGER learner_active_days_prev BEFORE INSERT ON learner_active_days
    FOR EACH ROW EXECUTE FUNCTION studyflow_active_day_prev();
CREATE TRIGGER learner_active_days_next AFTER INSERT ON learner_active_days
    FOR EACH ROW EXECUTE FUNCTION studyflow_active_day_next();
"""


def upgrade() -> None:
    op.add_column("learner_active_days", sa.Column("prev_day", sa.Date(), nullable=True))
    op.execute(
        "UPDATE learner_active_days a SET prev_day = x.prev FROM ("
        " SELECT user_id, day, lag(day) OVER (PARTITION BY user_id ORDER BY day) AS prev FROM learner_active_days"
        ") x WHERE a.user_id = x.user_id AND a.day = x.day AND x.prev IS NOT NULL"
    )
    op.execute(FUNCTIONS)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS learner_active_days_next ON learner_active_days")
    op.execute("DROP TRIGGER IF EXISTS learner_active_days_prev ON learner_active_days")
    op.execute("DROP FUNCTION IF EXISTS studyflow_active_day_next()")
    op.execute("DROP FUNCTION IF EXISTS studyflow_active_day_prev()")
    op.drop_column("learner_active_days", "prev_day")
