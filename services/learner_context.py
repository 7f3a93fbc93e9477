"""What a tutor reads before a session with a learner. The facts are read from the learner's data
whenever asked (profile and preferences, recent sessions, current challenges, recommended focus,
strengths, practice history, open assignments, goals with their progress); the prose summary is written by the LLM in
LearnerContextWorkflow — never in a request — and kept, marked stale when new evidence arrives
(an attempt, a hand-off, a session) so the workflow writes it again."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.goal_measures import goal_rows, measures_of
from db.models import LearnerContext, TutorLink, WorkflowStart
from services.outbox import StartRequest, record_start
from studyflow import search_attributes, start_inputs, workflow_ids, workflow_types
from studyflow.contracts.workflow_inputs import LearnerContextInput
from studyflow.goal_progress import GoalMeasures, describe, progress
from studyflow.settings import Settings
from studyflow.statuses import GoalStatus, SubjectKind

STRENGTH = 0.7  # mastery at or above: a strength
CHALLENGE = 0.5  # mastery below: a current challenge

_FACTS = text(
    """
    SELECT u.clerk_id, u.display_name, u.streak_current, u.last_active_date, u.study_seconds,
           (SELECT coalesce(json_agg(json_build_object('title', t.title,
                                                       'course', coalesce(c.outline ->> 'title', c.topic),
                                                       'mastery', round(tm.mastery::numeric, 2), 'answers', tm.answers)
                                     ORDER BY tm.mastery), '[]')
              FROM topic_mastery tm JOIN topics t ON t.id = tm.topic_id JOIN courses c ON c.id = t.course_id
             WHERE tm.user_id = u.id) AS mastery,
           (SELECT coalesce(json_agg(json_build_object('at', a.created_at, 'percentage', a.percentage,
                                                       'course', coalesce(c.outline ->> 'title', c.topic))
                                     ORDER BY a.created_at DESC), '[]')
              FROM (SELECT * FROM quiz_attempts WHERE user_id = u.id ORDER BY created_at DESC LIMIT 10) a
              LEFT JOIN courses c ON c.id = a.course_id) AS attempts,
           (SELECT coalesce(json_agg(json_build_object('title', asg.title, 'due_date', asg.due_date,
                                                       'status', tg.status) ORDER BY asg.due_date NULLS LAST), '[]')
              FROM assignment_targets tg JOIN assignments asg ON asg.id = tg.assignment_id
             WHERE tg.learner_id = u.id AND tg.status = 'open' AND asg.organization_id = :org) AS open_assignments,
           (SELECT coalesce(json_agg(json_build_object('course', coalesce(c.outline ->> 'title', c.topic),
                                                       'preferences', c.preferences) ORDER BY c.created_at DESC), '[]')
              FROM (SELECT * FROM courses WHERE owner_id = u.id ORDER BY created_at DESC LIMIT 5) c) AS courses,
           (SELECT coalesce(json_agg(json_build_object('id', s.id, 'date', s.session_date, 'subject', s.subject,
                                                       'duration_minutes', s.duration_minutes, 'status', s.status,
                                                       'areas_for_improvement', coalesce(a.areas_for_improvement, '[]'),
                                                       'action_items', coalesce(a.action_items, '[]'))
                                     ORDER BY s.session_date DESC, s.created_at DESC), '[]')
              FROM (SELECT * FROM tutoring_sessions WHERE learner_id = u.id AND organization_id = :org
                     ORDER BY session_date DESC, created_at DESC LIMIT 5) s
              LEFT JOIN session_analyses a ON a.session_id = s.id AND a.version = s.analysis_version
                                          AND a.status = 'ready') AS sessions
      FROM users u WHERE u.id = :learner
    """
)


@dataclass(frozen=True)
class ContextFacts:
    learner_id: uuid.UUID
    name: str
    streak: int
    last_active: str | None
    study_minutes: int
    courses: list[dict] = field(default_factory=list)
    challenges: list[dict] = field(default_factory=list)
    strengths: list[dict] = field(default_factory=list)
    recommended_focus: list[str] = field(default_factory=list)
    practice: list[dict] = field(default_factory=list)
    open_assignments: list[dict] = field(default_factory=list)
    recent_sessions: list[dict] = field(default_factory=list)
    goals: list[dict] = field(default_factory=list)

    def as_lines(self) -> str:
        """The facts as the prompt shows them (and the template summary reads them)."""
        lines = [f"Name: {self.name}; streak {self.streak} days; {self.study_minutes} minutes studied."]
        if self.courses:
            lines.append("Courses: " + "; ".join(c["course"] for c in self.courses))
        if self.challenges:
            lines.append("Struggling with: " + "; ".join(f"{c['title']} ({c['mastery']:.0%})" for c in self.challenges))
        if self.strengths:
            lines.append("Strong in: " + "; ".join(f"{c['title']} ({c['mastery']:.0%})" for c in self.strengths))
        if self.practice:
            scores = ", ".join(f"{float(a['percentage']):.0f}%" for a in self.practice[:5])
            lines.append(f"Recent quiz scores (newest first): {scores}")
        if self.open_assignments:
            lines.append("Open assignments: " + "; ".join(a["title"] for a in self.open_assignments))
        if self.goals:
            lines.append(
                "Goals: " + "; ".join(f"{g['goal']} ({g['percent']}%, {_STATE[g['state']]})" for g in self.goals)
            )
        if self.recent_sessions:
            lines.append("Recent sessions: " + "; ".join(f"{s['date']} {s['subject']}" for s in self.recent_sessions))
        return "\n".join(lines)


async def facts_of(
    session: AsyncSession, organization_id: uuid.UUID, learner_id: uuid.UUID, *, today: date, tz: str
) -> ContextFacts:
    """`today` in the learner's day time zone `tz` (DAY_TIMEZONE) judges the goals' pace."""
    row = (await session.execute(_FACTS, {"learner": learner_id, "org": organization_id})).mappings().one()
    goals = [_goal_view(measures_of(g), today) for g in await goal_rows(session, learner_id, today, tz)]
    mastery = [dict(m, mastery=float(m["mastery"])) for m in row["mastery"]]
    challenges = [m for m in mastery if m["mastery"] < CHALLENGE]
    return ContextFacts(
        learner_id=learner_id,
        name=row["display_name"] or row["clerk_id"],
        streak=row["streak_current"],
        last_active=row["last_active_date"].isoformat() if row["last_active_date"] else None,
        study_minutes=row["study_seconds"] // 60,
        courses=row["courses"],
        challenges=challenges[:5],
        strengths=[m for m in reversed(mastery) if m["mastery"] >= STRENGTH][:5],
        recommended_focus=[m["title"] for m in challenges[:3]],
        practice=row["attempts"],
        open_assignments=row["open_assignments"],
        recent_sessions=row["sessions"],
        goals=[g for g in goals if g["status"] == GoalStatus.active]
        + [g for g in goals if g["status"] != GoalStatus.active],
    )


_STATE = {"on_track": "on track", "behind": "behind", "met": "met"}


def _goal_view(m: GoalMeasures, today: date) -> dict:
    now = progress(m, today)
    return {
        "goal": describe(m),
        "kind": m.kind,
        "status": m.status,
        "due_date": m.due_date.isoformat() if m.due_date else None,
        "percent": now.percent,
        "state": now.state,
        "pace": now.pace,
    }


def template_summary(facts: ContextFacts) -> str:
    """The summary without the LLM (the bundled model, or the model failing): the facts in words."""
    parts = [f"{facts.name} has studied {facts.study_minutes} minutes (streak {facts.streak} days)."]
    if facts.challenges:
        parts.append("Struggling with " + ", ".join(c["title"] for c in facts.challenges[:3]) + ".")
    if facts.strengths:
        parts.append("Strong in " + ", ".join(c["title"] for c in facts.strengths[:3]) + ".")
    if facts.practice:
        parts.append(f"Last quiz score {float(facts.practice[0]['percentage']):.0f}%.")
    if facts.recommended_focus:
        parts.append("Focus next on " + ", ".join(facts.recommended_focus) + ".")
    behind = [g["goal"] for g in facts.goals if g["status"] == GoalStatus.active and g["state"] == "behind"]
    if behind:
        parts.append("Behind on the goal to " + "; ".join(behind) + ".")
    return " ".join(parts)


async def mark_stale(session: AsyncSession, settings: Settings, learner_id: uuid.UUID) -> list[WorkflowStart]:
    """New evidence about the learner: every organisation's context of them is due to be written
    again; the writer is recorded to start after the caller's commit (one per organisation and
    learner: a running writer takes the new version before it ends)."""
    stale = list(
        await session.scalars(
            update(LearnerContext)
            .where(LearnerContext.learner_id == learner_id)
            .values(version=LearnerContext.version + 1)
            .returning(LearnerContext.organization_id)
        )
    )
    return [await record_start(session, context_start(settings, org, learner_id)) for org in stale]


def context_start(settings: Settings, organization_id: uuid.UUID, learner_id: uuid.UUID) -> StartRequest:
    return StartRequest(
        workflow_type=workflow_types.LEARNER_CONTEXT,
        argument=LearnerContextInput(
            organization_id=organization_id, learner_id=learner_id, retry=start_inputs.llm_retry(settings)
        ),
        workflow_id=workflow_ids.learner_context(organization_id, learner_id),
        task_queue=settings.task_queue_background,
        search_attributes=search_attributes.for_user(learner_id),
        subject_kind=SubjectKind.learner_context,
        subject_id=learner_id,
    )


@dataclass(frozen=True)
class StoredContext:
    summary: str | None
    model: str | None
    generated_at: datetime | None
    stale: bool


async def stored(session: AsyncSession, organization_id: uuid.UUID, learner_id: uuid.UUID) -> StoredContext:
    row = await session.scalar(
        select(LearnerContext).where(
            LearnerContext.organization_id == organization_id, LearnerContext.learner_id == learner_id
        )
    )
    if row is None:
        return StoredContext(None, None, None, True)
    return StoredContext(row.summary, row.model, row.generated_at, row.generated_version < row.version)


async def ensure_row(session: AsyncSession, organization_id: uuid.UUID, learner_id: uuid.UUID) -> None:
    await session.execute(
        insert(LearnerContext)
        .values(organization_id=organization_id, learner_id=learner_id)
        .on_conflict_do_nothing(index_elements=["organization_id", "learner_id"])
    )


async def linked_tutors(session: AsyncSession, organization_id: uuid.UUID, learner_id: uuid.UUID) -> int:
    counted = await session.execute(
        select(func.count()).where(
            TutorLink.organization_id == organization_id,
            TutorLink.learner_id == learner_id,
            TutorLink.revoked_at.is_(None),
        )
    )
    return counted.scalar_one()
