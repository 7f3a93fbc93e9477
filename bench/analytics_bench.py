"""Analytics at scale (issue 35): a synthetic organisation, its daily rollups, and the two views.

Prints, in one run: the admin overview p50/p95 from rollups (the request path: rolled days plus
today live) against the same figures computed by raw scans of the event tables (every day of the
period with the rollup's own statement, live), and their ratio; a learner's improvement p50/p95;
the time to roll one day and to backfill a month; and the table sizes.

The issue's full size is 100,000 learners over a year (10 M attempts, 20 M reviews, 1 M sessions).
The defaults here are scaled down so that generation, a month's backfill and the reads finish in a
few minutes on a shared 2-core machine; `--learners 100000 --days 365` builds the full size. Every
learner is active on some days (their own rate, 5-60 %), with 0-3 attempts and 0-4 reviews on an
active day, a tutoring session on 3 % of them, a mastery crossing on 5 %; 5 % of learner-days
carry an engagement nudge. Run: `.venv/bin/python -m bench.analytics_bench [--learners N --days D]`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from activities.analytics_activities import roll_unit
from bench.load import percentile
from bench.stack import BenchStack
from db.analytics import org_days, org_today
from db.analytics.days import Day, days_between
from db.analytics.org_days import ALL
from db.analytics.reads import Window, organization_window
from db.engine import create_engine, create_session_factory
from db.models.analytics import LEARNERS_SCOPE
from services.actor import Actor
from services.analytics import learner_improvement, overview_of
from studyflow.contracts.workflow_inputs import RollupDayInput, RollupUnit
from studyflow.local_day import today_in
from studyflow.settings import Settings
from studyflow.statuses import Role

TZ = "UTC"
TUTORS = 50


def _steps(org: uuid.UUID, first, last, learners: int) -> list[tuple[str, str, dict]]:
    """(label, statement, params) that build the organisation with set-based inserts."""
    p = {"org": org, "first": first, "last": last, "n": learners, "tutors": TUTORS}
    return [
        ("organisation", "INSERT INTO organizations (id, name) VALUES (:org, 'Bench centre')", p),
        (
            "learners",
            "CREATE TABLE bench_learners AS SELECT gen_random_uuid() AS id, g AS n, "
            "0.05 + random() * 0.55 AS rate FROM generate_series(1, :n) g",
            p,
        ),
        ("users", "INSERT INTO users (id, clerk_id) SELECT id, 'bench_learner_' || n FROM bench_learners", p),
        (
            "tutors",
            "CREATE TABLE bench_tutors AS SELECT gen_random_uuid() AS id, g - 1 AS k "
            "FROM generate_series(1, :tutors) g",
            p,
        ),
        ("tutor users", "INSERT INTO users (id, clerk_id) SELECT id, 'bench_tutor_' || k FROM bench_tutors", p),
        (
            "memberships",
            "INSERT INTO memberships (organization_id, user_id, role, created_at) "
            "SELECT :org, id, 'learner', CAST(:first AS date) - 1 FROM bench_learners "
            "UNION ALL SELECT :org, id, 'tutor', CAST(:first AS date) - 1 FROM bench_tutors",
            p,
        ),
        (
            "tutor links",
            "INSERT INTO tutor_links (organization_id, tutor_id, learner_id, created_at) "
            "SELECT :org, t.id, l.id, CAST(:first AS date) - 1 FROM bench_learners l "
            "JOIN bench_tutors t ON t.k = l.n % :tutors",
            p,
        ),
        (
            "courses",
            "INSERT INTO courses (id, owner_id, topic, course_type, difficulty, status) "
            "SELECT id, id, 'Bench', 'standard', 'beginner', 'ready' FROM bench_learners",
            p,
        ),
        (
            "study contents",
            "INSERT INTO study_contents (id, course_id, type, status) SELECT id, id, 'quiz', 'completed' "
            "FROM bench_learners",
            p,
        ),
        (
            "topics",
            "INSERT INTO topics (id, course_id, chapter_index, chapter_title, topic_index, title) "
            "SELECT md5(bl.id::text || k)::uuid, bl.id, 0, 'One', k, 'Topic ' || k "
            "FROM bench_learners bl CROSS JOIN generate_series(0, 4) k",
            p,
        ),
        (
            "cards",
            "INSERT INTO flashcard_states (id, user_id, study_content_id, card_key, fsrs_card, due_at) "
            "SELECT md5(bl.id::text || 'card' || k)::uuid, bl.id, bl.id, 'c' || k, '{}', now() "
            "FROM bench_learners bl CROSS JOIN generate_series(0, 9) k",
            p,
        ),
        (
            "active days",
            "INSERT INTO learner_active_days (user_id, day, first_at, last_at) "
            "SELECT bl.id, d::date, d + make_interval(hours => 8 + (random() * 4)::int), "
            "d + make_interval(hours => 13 + (random() * 8)::int) "
            "FROM bench_learners bl CROSS JOIN generate_series(CAST(:first AS date), CAST(:last AS date), "
            "interval '1 day') d WHERE random() < bl.rate + 0 * extract(day FROM d)",
            p,
        ),
        (
            "attempts",
            "INSERT INTO quiz_attempts (user_id, study_content_id, course_id, answers, score, total, percentage, "
            "created_at) SELECT a.user_id, a.user_id, a.user_id, '{}', s.pct, 100, s.pct, a.first_at "
            "+ make_interval(mins => k * 7) FROM learner_active_days a CROSS JOIN LATERAL "
            "(SELECT k, (random() * 100)::int AS pct FROM generate_series(1, (random() * 3)::int + "
            "(a.day - a.day)) k) s JOIN bench_learners bl ON bl.id = a.user_id",
            p,
        ),
        (
            "reviews",
            "INSERT INTO flashcard_reviews (card_state_id, rating, review_log, reviewed_at, retrievability) "
            "SELECT md5(a.user_id::text || 'card' || (k % 10))::uuid, "
            "(ARRAY['again','hard','good','easy'])[1 + (random() * 3)::int], '{}', "
            "a.first_at + make_interval(mins => k * 3), 0.5 + random() * 0.5 "
            "FROM learner_active_days a JOIN bench_learners bl ON bl.id = a.user_id "
            "CROSS JOIN LATERAL generate_series(1, (random() * 4)::int + (a.day - a.day)) k",
            p,
        ),
        (
            "sessions",
            "INSERT INTO tutoring_sessions (organization_id, learner_id, subject, session_date, transcript_format, "
            "status) SELECT :org, a.user_id, 'Maths', a.day, 'text', 'ready' FROM learner_active_days a "
            "JOIN bench_learners bl ON bl.id = a.user_id WHERE random() < 0.03",
            p,
        ),
        (
            "mastery crossings",
            "INSERT INTO mastery_crossings (user_id, topic_id, mastered, at) "
            "SELECT a.user_id, md5(a.user_id::text || (random() * 4)::int)::uuid, random() < 0.8, a.last_at "
            "FROM learner_active_days a JOIN bench_learners bl ON bl.id = a.user_id WHERE random() < 0.05",
            p,
        ),
        (
            "nudges",
            "INSERT INTO notifications (user_id, kind, reason, message, day, created_at) "
            "SELECT bl.id, 'engagement', (ARRAY['streak','inactive','new_learner'])[1 + (random() * 2)::int], "
            "'Come back', d::date, d + interval '18 hours' "
            "FROM bench_learners bl CROSS JOIN generate_series(CAST(:first AS date), CAST(:last AS date), "
            "interval '1 day') d WHERE random() < 0.05",
            p,
        ),
        (
            "last active",
            "UPDATE users u SET last_active_date = x.d FROM (SELECT user_id, max(day) AS d "
            "FROM learner_active_days GROUP BY user_id) x WHERE u.id = x.user_id",
            p,
        ),
        ("analyze", "ANALYZE", p),
    ]


async def build(sessions, org: uuid.UUID, first, last, learners: int) -> float:
    started = time.perf_counter()
    for label, statement, params in _steps(org, first, last, learners):
        began = time.perf_counter()
        async with sessions.begin() as session:
            bound = {k: v for k, v in params.items() if f":{k}" in statement}
            result = await session.execute(text(statement), bound)
        rows = result.rowcount if result.rowcount and result.rowcount > 0 else ""
        print(f"  {label:<18} {rows!s:>10}  {time.perf_counter() - began:6.1f} s")
    return time.perf_counter() - started


async def roll(sessions, day, scope) -> float:
    began = time.perf_counter()
    await roll_unit(sessions, RollupDayInput(unit=RollupUnit(day=day, scope=scope), timezone=TZ, churn_days=14))
    return time.perf_counter() - began


async def timed(fn, reps: int) -> list[float]:
    out = []
    for _ in range(reps):
        began = time.perf_counter()
        await fn()
        out.append((time.perf_counter() - began) * 1000)
    return out


def show(label: str, ms: list[float]) -> tuple[float, float]:
    p50, p95 = percentile(ms, 50), percentile(ms, 95)
    print(f"  {label:<44} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms   (n={len(ms)})")
    return p50, p95


async def main(learners: int, days: int, reps: int, raw_reps: int, explain: Path | None = None) -> None:
    settings = Settings()
    today = today_in(TZ, datetime.now(UTC))
    first, last = today - timedelta(days=days), today - timedelta(days=1)
    org = uuid.uuid4()
    with BenchStack(start_api=False, start_worker=False, start_temporal=False) as stack:
        engine = create_engine(stack.database_url)
        sessions = create_session_factory(engine)
        try:
            # Events through today (the overview reads today live), rollups through yesterday.
            print(f"building: {learners:,} learners, {TUTORS} tutors, {days} days and today ({first} .. {today})")
            build_s = await build(sessions, org, first, today, learners)
            async with sessions() as session:
                counts = {
                    name: await session.scalar(text(f"SELECT count(*) FROM {name}"))
                    for name in (
                        "quiz_attempts",
                        "flashcard_reviews",
                        "learner_active_days",
                        "tutoring_sessions",
                        "notifications",
                        "mastery_crossings",
                    )
                }
                counts["learners with a last active day"] = await session.scalar(
                    text(
                        "SELECT count(*) FROM users u JOIN bench_learners b ON b.id = u.id "
                        "WHERE u.last_active_date IS NOT NULL"
                    )
                )
                db_size = await session.scalar(text("SELECT pg_size_pretty(pg_database_size(current_database()))"))
            print(f"built in {build_s:.0f} s: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
            print(f"database size on disk: {db_size}")

            print("\nrollups")
            one_learners = await roll(sessions, last, LEARNERS_SCOPE)
            one_org = await roll(sessions, last, org)
            print(f"  one day: learners {one_learners:.2f} s + organisation {one_org:.2f} s")
            month = days_between(last - timedelta(days=29), last)
            began = time.perf_counter()
            for day in month:
                await roll(sessions, day, LEARNERS_SCOPE)
                await roll(sessions, day, org)
            backfill_s = time.perf_counter() - began
            print(f"  backfill a month (30 days x 2 scopes): {backfill_s:.1f} s")
            began = time.perf_counter()
            for day in month[-3:]:
                await roll(sessions, day, LEARNERS_SCOPE)
                await roll(sessions, day, org)
            print(f"  re-roll the settle window (3 days): {time.perf_counter() - began:.1f} s")

            period = Window(month[0], today, today, TZ, settings.analytics_live_days_max)
            print(f"\nreads over {period.first} .. {period.last} ({len(period.days)} days, today live)")

            async def from_rollups():
                async with sessions() as session:
                    found = await organization_window(session, org, ALL, org, period, 14)
                return overview_of(org, ALL, org, period, found.days, settings, found.not_rolled)

            async def raw_scan():
                async with sessions() as session:
                    found = [
                        await org_days.live_day(session, org, ALL, org, Day.of(d, TZ), today=d == today, churn_days=14)
                        for d in period.days
                    ]
                return overview_of(org, ALL, org, period, found, settings)

            if explain:
                # Where the request path's time goes: the one live statement (today) it runs,
                # yesterday's row plus today's changes.
                statement = org_today._statement(sessions_present=True)
                params = org_days.day_params(org, Day.of(today, TZ), 14) | {"yday": last, "churn_days": 14}
                async with sessions() as session:
                    plan = await session.scalars(text(f"EXPLAIN (ANALYZE, BUFFERS) {statement}"), params)
                    explain.write_text("\n".join(plan) + "\n")
                print(f"  today's live statement, EXPLAIN ANALYZE: {explain}")
            async with sessions() as session:
                shortcut = await org_today.today_from_yesterday(session, org, Day.of(today, TZ), 14)
            # Declined, today would come from the full statement: the figures below would not be the request path's.
            print(f"  today from yesterday's row and today's counters: {'yes' if shortcut else 'declined'}")
            a, b = await from_rollups(), await raw_scan()
            same = {k: v for k, v in a.__dict__.items() if k != "not_rolled"} == {
                k: v for k, v in b.__dict__.items() if k != "not_rolled"
            }
            print(f"  overview from rollups == overview from raw scans: {same}; not rolled: {a.not_rolled}")
            await from_rollups()  # warm
            roll_p50, roll_p95 = show("admin overview from rollups", await timed(from_rollups, reps))
            raw_p50, raw_p95 = show("admin overview by raw scans", await timed(raw_scan, raw_reps))
            print(f"  ratio raw / rollups: p50 {raw_p50 / roll_p50:.0f}x   p95 {raw_p95 / roll_p95:.0f}x")

            async with sessions() as session:
                picks = list(await session.scalars(text("SELECT id FROM bench_learners ORDER BY random() LIMIT 200")))
            rng = random.Random(35)

            async def improvement():
                learner = rng.choice(picks)
                actor = Actor(id=learner, clerk_id="bench", plan="free", organization_id=org, role=Role.learner)
                async with sessions() as session:
                    await learner_improvement(session, settings, actor, learner, period)

            await improvement()
            show("learner improvement (30 days, today live)", await timed(improvement, reps))

            print("\ntable sizes")
            async with sessions() as session:
                for name in (
                    "analytics_learner_days",
                    "analytics_org_days",
                    "analytics_rollups",
                    "learner_active_days",
                    "quiz_attempts",
                    "flashcard_reviews",
                    "tutoring_sessions",
                    "notifications",
                    "mastery_crossings",
                ):
                    n = await session.scalar(text(f"SELECT count(*) FROM {name}"))
                    size = await session.scalar(text(f"SELECT pg_size_pretty(pg_total_relation_size('{name}'))"))
                    print(f"  {name:<24} {n:>12,} rows  {size:>10}")
        finally:
            await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=5000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--raw-reps", type=int, default=5)
    parser.add_argument("--explain", type=Path, help="write EXPLAIN ANALYZE of today's live statement here")
    args = parser.parse_args()
    asyncio.run(main(args.learners, args.days, args.reps, args.raw_reps, args.explain))
