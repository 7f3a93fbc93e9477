"""A goal as the API shows it: its row plus progress computed from what it is measured on."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from api.schemas.goals import GoalProgressView, GoalView
from db.goal_measures import goal_rows, measures_of
from studyflow.goal_progress import describe, progress
from studyflow.settings import Settings
from studyflow.statuses import GoalStatus


def goal_view(row: dict, today: date) -> GoalView:
    measures = measures_of(row)
    p = progress(measures, today)
    return GoalView(
        **{
            k: row[k]
            for k in (
                "id",
                "kind",
                "course_id",
                "course_topic",
                "days",
                "due_date",
                "start_date",
                "status",
                "met_at",
                "created_at",
            )
        },
        target=float(row["target"]),
        description=describe(measures),
        progress=GoalProgressView(current=p.current, target=p.target, percent=p.percent, state=p.state, pace=p.pace),
    )


async def load_goal_view(
    session: AsyncSession, settings: Settings, user_id: uuid.UUID, goal_id: uuid.UUID, today: date
) -> GoalView:
    [row] = await goal_rows(
        session, user_id, today, settings.day_timezone, statuses=tuple(s.value for s in GoalStatus), goal_id=goal_id
    )
    return goal_view(row, today)
