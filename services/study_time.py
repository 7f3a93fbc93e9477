"""Study time and what the learner did: seconds the web app reports while the learner reads
notes, browses cards or reviews (a quiz counts in its attempt), and topics read.

Bounded on the server whatever a client sends: at most MAX_SECONDS_PER_REPORT a report and
MAX_SECONDS_PER_DAY a day and activity (a tab left open all night is not study). Every counter
moves with `x = x + n` in the report's one transaction: the day's row (study_time), the learner's
total (users.study_seconds), the topic's reading seconds and, the first time those reach
READ_AFTER_SECONDS, the topic's read mark and its course's topics_read — so topics_read always
equals the course's topics with a read mark. Goals measured in minutes a day are completed here
too, like an attempt completes them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from db.models import Course, StudyTime, Topic, User
from db.user_counters import record_activity_day
from services.admission import Admission
from services.errors import ServiceError
from services.goal_completion import complete_reached_goals
from studyflow.statuses import TopicStatus

Activity = Literal["notes", "review", "flashcards"]
MAX_SECONDS_PER_REPORT = 300
MAX_SECONDS_PER_DAY = 8 * 3600
# Reading a topic's notes this long marks it read: enough to have read more than the title.
READ_AFTER_SECONDS = 30


@dataclass(frozen=True)
class Counted:
    counted_seconds: int
    study_seconds: int
    topic_read: bool


async def report(admission: Admission, seconds: int, activity: Activity, topic_id: uuid.UUID | None) -> Counted:
    session, actor = admission.session, admission.actor
    today = admission.today
    key = (StudyTime.user_id == actor.id, StudyTime.day == today, StudyTime.activity == activity)
    await session.execute(
        insert(StudyTime).values(user_id=actor.id, day=today, activity=activity, seconds=0).on_conflict_do_nothing()
    )
    # The row lock orders concurrent reports of the same day and activity.
    before = await session.scalar(select(StudyTime.seconds).where(*key).with_for_update())
    granted = max(0, min(seconds, MAX_SECONDS_PER_DAY - (before or 0)))
    total = await session.scalar(
        update(User)
        .where(User.id == actor.id)
        .values(study_seconds=User.study_seconds + granted)
        .returning(User.study_seconds)
    )
    if granted:
        await session.execute(update(StudyTime).where(*key).values(seconds=StudyTime.seconds + granted))
        await record_activity_day(session, actor.id, today)
    topic_read = False
    if topic_id is not None and activity == "notes":
        topic_read = await _read(admission, topic_id, seconds)
    if granted:
        admission.adopt(await complete_reached_goals(session, admission.settings, actor, today))
    await admission.commit()
    return Counted(counted_seconds=granted, study_seconds=int(total or 0), topic_read=topic_read)


async def _read(admission: Admission, topic_id: uuid.UUID, seconds: int) -> bool:
    """Adds reading seconds to one of the learner's topics with notes; True once it counts as read."""
    session, actor = admission.session, admission.actor
    topic = (
        await session.execute(
            select(Topic.read_seconds, Topic.read_at, Topic.course_id)
            .join(Course, Course.id == Topic.course_id)
            .where(Topic.id == topic_id, Course.owner_id == actor.id, Topic.status == TopicStatus.completed)
            .with_for_update(of=Topic)
        )
    ).first()
    if topic is None:
        raise ServiceError(404, f"topic {topic_id} not found (or its notes are not written yet)")
    just_read = topic.read_at is None and topic.read_seconds + seconds >= READ_AFTER_SECONDS
    await session.execute(
        update(Topic)
        .where(Topic.id == topic_id)
        .values(
            read_seconds=func.least(Topic.read_seconds + seconds, 24 * 3600),
            **({"read_at": func.now()} if just_read else {}),
        )
    )
    if just_read:
        await session.execute(
            update(Course).where(Course.id == topic.course_id).values(topics_read=Course.topics_read + 1)
        )
    return topic.read_at is not None or just_read
