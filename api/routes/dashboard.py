from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.conditional import NOT_MODIFIED, conditional_json
from api.deps import ClockDep, PrincipalDep, SettingsDep
from api.learner_read import read_as_learner
from api.schemas.dashboard import Dashboard
from api.views.goals import goal_view
from db.due_cards import due_cards_from
from db.goal_measures import GOAL_MEASURES
from db.read_pool import PolledRead
from studyflow.local_day import today_in

router = APIRouter(prefix="/v1/dashboard", tags=["dashboard"])

# One round trip (goals included): the learner's counters are denormalised on `users`; the lists are bounded
# sub-selects aggregated to JSON, so the cost does not grow with the number of rows shown.
# The learner is looked up by the token's subject in this statement: the due-cards fragment
# correlates with that row instead of taking their id as a parameter.
_DUE_CARDS_OF_U = due_cards_from("u.id")
_DASHBOARD = PolledRead.of(
    "dashboard",
    f"""
    SELECT u.deleted_at, u.plan, u.streak_current, u.streak_longest, u.last_active_date, u.study_seconds,
           u.courses_completed, u.quiz_attempts, u.quiz_questions, u.quiz_correct,
           (SELECT count(*) {_DUE_CARDS_OF_U}) AS due_cards,
           (SELECT coalesce(json_agg(c ORDER BY c.created_at DESC), '[]')
              FROM (SELECT id, topic, status, topics_total, topics_completed, progress_pct, topics_read, created_at
                      FROM courses WHERE owner_id = u.id ORDER BY created_at DESC LIMIT 50) c) AS courses,
           (SELECT coalesce(json_agg(w ORDER BY w.mastery), '[]')
              FROM (SELECT tm.topic_id, t.title, tm.mastery
                      FROM topic_mastery tm JOIN topics t ON t.id = tm.topic_id
                     WHERE tm.user_id = u.id ORDER BY tm.mastery LIMIT 5) w) AS weak_topics,
           (SELECT coalesce(json_agg(a ORDER BY a.created_at DESC), '[]')
              FROM (SELECT id AS attempt_id, study_content_id AS quiz_id, percentage, created_at
                      FROM quiz_attempts WHERE user_id = u.id ORDER BY created_at DESC LIMIT 5) a) AS recent_attempts,
           (SELECT coalesce(json_agg(m ORDER BY m.created_at DESC), '[]')
              FROM ({GOAL_MEASURES} WHERE g.user_id = u.id AND g.status IN ('active', 'met')
                    ORDER BY g.created_at DESC LIMIT 20) m) AS goals
      FROM users u
     WHERE u.clerk_id = :clerk_id
    """,
)


@router.get("", response_model=Dashboard, responses=NOT_MODIFIED)
async def dashboard(
    request: Request,
    principal: PrincipalDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> Response:
    now = clock()
    today = today_in(settings.day_timezone, now)
    row = await read_as_learner(request, principal, _DASHBOARD, now=now, today=today, tz=settings.day_timezone)
    row["goals"] = [goal_view(goal, today) for goal in row["goals"]]
    return conditional_json(request, Dashboard.model_validate(row))
