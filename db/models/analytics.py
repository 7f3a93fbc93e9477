"""What analytics is computed from and written to.

Facts the product did not keep before, recorded by their writers: the days a learner studied
(`learner_active_days`, with the first and last moment, so "came back within 48 h of a nudge" can
be told), the moments a topic's mastery crossed the threshold (`mastery_crossings`, so "concepts
mastered on a past day" can be told), and a review's predicted recall (a column on
`flashcard_reviews`, see db/models/study.py).

Daily rollups written by AnalyticsRollupWorkflow (db/analytics/rollup.py): one row per learner and
day with something in it, one row per organisation, segment (everyone, a tutor's learners, a
group) and day; `analytics_rollups` says which (scope, day) have been rolled, and
`analytics_dirty_days` which past days a late event changed (re-rolled by the next run)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, Numeric, SmallInteger, String
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_at, uuid_pk

# `analytics_rollups.scope` of the per-learner rollup of a day (organisations use their id).
LEARNERS_SCOPE = uuid.UUID(int=0)


class LearnerActiveDay(Base):
    """The learner studied that day (DAY_TIMEZONE): an attempt, a review, notes opened, a course
    made, a tutoring session. Written by db/user_counters.record_activity_day."""

    __tablename__ = "learner_active_days"
    __table_args__ = (
        Index("ix_learner_active_days_day", "day", "user_id"),
        # The rows of one minute of a day (the minute today's first nudge went out, org_today.py).
        Index("ix_learner_active_days_day_first_at", "day", "first_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    first_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The learner's active day before this one, kept by triggers (migration 0022) for every writer.
    prev_day: Mapped[date | None] = mapped_column(Date)


class MasteryCrossing(Base):
    """A topic's mastery went over (`mastered`) or back under ANALYTICS_MASTERY_THRESHOLD."""

    __tablename__ = "mastery_crossings"
    __table_args__ = (
        Index("ix_mastery_crossings_user_id_at", "user_id", "at"),
        Index("ix_mastery_crossings_at", "at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    topic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    mastered: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = created_at()


class AnalyticsLearnerDay(Base):
    """One learner's day: what the improvement view sums (db/analytics/learner_days.py)."""

    __tablename__ = "analytics_learner_days"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean, server_default="false")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    score_sum: Mapped[Decimal] = mapped_column(Numeric(12, 2), server_default="0")  # of percentages
    reviews: Mapped[int] = mapped_column(Integer, server_default="0")
    recalled: Mapped[int] = mapped_column(Integer, server_default="0")  # rating other than again
    predicted_reviews: Mapped[int] = mapped_column(Integer, server_default="0")  # with a prediction
    predicted_sum: Mapped[float] = mapped_column(Float, server_default="0")
    predicted_recalled: Mapped[int] = mapped_column(Integer, server_default="0")
    mastered: Mapped[int] = mapped_column(Integer, server_default="0")  # at the end of the day
    sessions: Mapped[int] = mapped_column(Integer, server_default="0")
    assignments_due: Mapped[int] = mapped_column(Integer, server_default="0")
    assignments_on_time: Mapped[int] = mapped_column(Integer, server_default="0")


class AnalyticsOrgDay(Base):
    """One organisation's day for one segment of its learners (db/analytics/org_days.py)."""

    __tablename__ = "analytics_org_days"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    segment: Mapped[str] = mapped_column(String(8), primary_key=True)  # all | tutor | group
    segment_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    learners: Mapped[int] = mapped_column(Integer, server_default="0")
    dau: Mapped[int] = mapped_column(Integer, server_default="0")
    wau: Mapped[int] = mapped_column(Integer, server_default="0")
    mau: Mapped[int] = mapped_column(Integer, server_default="0")
    ever_active: Mapped[int] = mapped_column(Integer, server_default="0")
    churned: Mapped[int] = mapped_column(Integer, server_default="0")
    sessions: Mapped[int] = mapped_column(Integer, server_default="0")
    practice_due: Mapped[int] = mapped_column(Integer, server_default="0")
    practice_on_time: Mapped[int] = mapped_column(Integer, server_default="0")
    goals_due: Mapped[int] = mapped_column(Integer, server_default="0")
    goals_met: Mapped[int] = mapped_column(Integer, server_default="0")
    suggestions_offered: Mapped[int] = mapped_column(Integer, server_default="0")
    suggestions_accepted: Mapped[int] = mapped_column(Integer, server_default="0")
    # {reason: [nudged, came back within 48 h]}
    nudges: Mapped[dict] = mapped_column(JSONB, server_default="{}")
    control_learners: Mapped[int] = mapped_column(Integer, server_default="0")
    control_returned: Mapped[int] = mapped_column(Integer, server_default="0")
    handoffs_sent: Mapped[int] = mapped_column(Integer, server_default="0")
    handoffs_accepted: Mapped[int] = mapped_column(Integer, server_default="0")
    accept_seconds: Mapped[float] = mapped_column(Float, server_default="0")
    llm_cost_usd: Mapped[Decimal] = mapped_column(Numeric(14, 6), server_default="0")
    # For the next day's live figures (db/analytics/org_today.py): the churn window this row was
    # rolled with, and how many were active in the 6 / 29 / churn-1 days ending this day.
    churn_days: Mapped[int | None] = mapped_column(SmallInteger)
    active_6: Mapped[int | None] = mapped_column(Integer)
    active_29: Mapped[int | None] = mapped_column(Integer)
    active_churn: Mapped[int | None] = mapped_column(Integer)


class AnalyticsLiveGap(Base):
    """How many of an organisation's live learner members were active on a day, by the days since
    their active day before (0: none before). Kept by triggers as days and memberships change
    (migration 0023) for today, yesterday and later days; read by db/analytics/org_today.py."""

    __tablename__ = "analytics_live_gaps"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    gap: Mapped[int] = mapped_column(Integer, primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True)  # spreads the hot gap-1 row
    learners: Mapped[int] = mapped_column(Integer, server_default="0")


class AnalyticsLiveStart(Base):
    """The same learners by the minute their day began and whether they were active the day before
    (the nudge control group: who was already active when the first nudge went out)."""

    __tablename__ = "analytics_live_starts"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    minute: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    back_from_yesterday: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    learners: Mapped[int] = mapped_column(Integer, server_default="0")


class AnalyticsRollup(Base):
    """(scope, day) has been rolled: an organisation's id, or LEARNERS_SCOPE."""

    __tablename__ = "analytics_rollups"

    scope: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    rolled_at: Mapped[datetime] = created_at()


class AnalyticsDirtyDay(Base):
    """A late event changed this past day of this scope (as in `analytics_rollups`): the next run
    rolls it again."""

    __tablename__ = "analytics_dirty_days"

    scope: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    marked_at: Mapped[datetime] = created_at()
