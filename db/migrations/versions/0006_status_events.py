"""status events: NOTIFY studyflow_events when a learner-visible status changes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24

The API's `GET /v1/events` stream LISTENs on this channel. Triggers rather than calls in each
activity: every writer (workflow activities, API routes, operators' fixes) is covered, and the
notification is delivered only when the writing transaction commits.
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# (table, event kind, the writes worth telling the learner about). A course's topics are inserted
# with it, so only their later status changes are news.
WATCHED = (
    ("courses", "course", "INSERT OR UPDATE OF status, topics_completed"),
    ("topics", "topic", "UPDATE OF status"),
    ("study_contents", "study_content", "INSERT OR UPDATE OF status"),
    ("remediation_plans", "remediation", "INSERT OR UPDATE OF status"),
    ("notifications", "notification", "INSERT OR UPDATE OF read_at"),
)

FUNCTION = """
CREATE FUNCTION studyflow_status_event() RETURNS trigger LANGUAGE plpgsql AS $$
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
    ELSE
        owner := NEW.user_id; state := CASE WHEN NEW.read_at IS NULL THEN 'unread' ELSE 'read' END;
    END IF;
    PERFORM pg_notify('studyflow_events', json_build_object(
        'user_id', owner, 'kind', TG_ARGV[0], 'id', NEW.id, 'course_id', course, 'status', state)::text);
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    op.execute(FUNCTION)
    for table, kind, writes in WATCHED:
        op.execute(
            f"CREATE TRIGGER {table}_status_event AFTER {writes} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION studyflow_status_event('{kind}')"
        )


def downgrade() -> None:
    for table, _, _ in WATCHED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_status_event ON {table}")
    op.execute("DROP FUNCTION IF EXISTS studyflow_status_event()")
